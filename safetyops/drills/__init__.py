"""Drills: classes, the drill plan, live roll-call, real emergencies, after-action, staff training, civil defence."""
