"""Access table of the canteen area."""

from safetyops.auth.roles import Role

VIEW = frozenset(Role) - {Role.GUARD}
EDIT = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.CANTEEN, Role.ADMIN})
CHECK = frozenset({Role.CANTEEN, Role.DIRECTOR, Role.DEPUTY, Role.NURSE})
ACCOUNTS = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.CANTEEN, Role.ADMIN})

MATRIX = {
    "canteen.index": VIEW,
    "canteen.schedule": VIEW,
    "canteen.sitting_edit": EDIT,
    "canteen.sitting_delete": EDIT,
    "canteen.approve": frozenset({Role.DIRECTOR}),
    "canteen.discard": EDIT,
    "canteen.settings": EDIT,
    "canteen.duty": EDIT,
    "canteen.sanitary": CHECK,
    "canteen.tally": CHECK,
    "canteen.tally_month": ACCOUNTS,
    "canteen.tally_export": ACCOUNTS,
}


def objects(f, school) -> dict:
    return {"sitting_id": f.sitting(school).id}
