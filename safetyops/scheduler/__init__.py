"""The scheduler: idempotent sweeps over database state, run by one leader at a time."""
