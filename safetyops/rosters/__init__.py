"""Duty rosters: posts, shifts, term roster generation, swaps, check-in, print and iCal."""
