"""Psychological safety: anonymous reports (bullying, violence, threats…) and their cases."""
