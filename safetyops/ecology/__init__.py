"""Ecological safety: waste removal against the contract's schedule, separate collection, chemistry-lab
residues, greening of the territory."""
