"""Vocabulary for the access-matrix tables (tests/test_access_matrix.py and tests/<area>/access.py)."""

from safetyops.auth.roles import Role

ALL = frozenset(Role)
MANAGERS = frozenset({Role.DIRECTOR, Role.ADMIN})
#: Not signed in is fine.
PUBLIC = "public"
#: Any signed-in person, whatever the role.
SIGNED_IN = "signed-in"
#: Secret-URL routes (feeds, callbacks) that check a token or signature instead of a session:
#: the matrix test only checks that they never answer 200 without it.
TOKEN = "token"
