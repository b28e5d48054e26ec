"""Who may use the scheduler's routes."""

from tests.access_common import MANAGERS

MATRIX = {"scheduler.status": MANAGERS}


def objects(f, school):
    return {}
