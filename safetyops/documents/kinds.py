"""What each kind of document is: its label, its group, who may read it, its default review
period, its area (whose responsible person keeps it), and its own fields and sections.

Anti-terror data (the passport and the plan of measures for safe operation) is read only by the
school's leaders: the director, the deputy, the safety officer and the administrator: not by
teachers, guards or the district inspector.  Contracts are for the leaders and the inspector.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from ..auth.roles import Role
from ..schools.models import Area
from .models import DocKind

LEADERS = frozenset({Role.DIRECTOR, Role.ADMIN, Role.DEPUTY, Role.SAFETY_OFFICER})
#: Anti-terror data: the leaders only.
SECRET = LEADERS
#: Contracts and local acts: the leaders and the district inspector.
MANAGEMENT = LEADERS | {Role.INSPECTOR}
#: What every member of staff must know (plans on the walls, instructions, orders).
STAFF = MANAGEMENT | {Role.TEACHER, Role.GUARD, Role.CANTEEN, Role.NURSE}


class Group:
    DOCUMENTS = "documents"
    CONTRACTS = "contracts"


GROUP_LABELS = {Group.DOCUMENTS: _l("Documents and local acts"), Group.CONTRACTS: _l("Contracts and licences")}


@dataclass(frozen=True)
class Field:
    key: str
    label: object
    #: "text" (one line) or "area" (a few lines).
    widget: str = "text"


@dataclass(frozen=True)
class KindInfo:
    label: object
    group: str
    readers: frozenset
    #: Whose responsible person keeps it by default (None: the director).
    area: Area | None
    #: Default review period in months (None: no fixed review; a contract has its end date).
    review_months: int | None = 12
    fields: tuple[Field, ...] = field(default_factory=tuple)
    #: Needs a contractor (and may have a licence).
    is_contract: bool = False


_PASSPORT_SECTIONS = (
    Field("staff", _l("Staff and the object's data"), "area"),
    Field("forces", _l("Forces and means of protection"), "area"),
    Field("life_support", _l("Life-support systems"), "area"),
    Field("cooperation", _l("Cooperation with law enforcement and supervisory bodies"), "area"),
    Field("annexes", _l("Annexes (instructions, memos, recommendations)"), "area"),
)
_ORDER_TOPICS = (Field("topic", _l("What the order is about"), "text"),)
_COUNCIL = (Field("council", _l("Adopted by the pedagogical council (minutes No., date)"), "text"),)
_PLAN_PLACE = (Field("building", _l("Building"), "text"), Field("floor", _l("Floor"), "text"))

KINDS: dict[DocKind, KindInfo] = {
    DocKind.ANTITERROR_PASSPORT: KindInfo(_l("Anti-terror protection passport"), Group.DOCUMENTS, SECRET,
                                          Area.ANTI_TERROR, 12, _PASSPORT_SECTIONS),
    DocKind.SAFETY_MEASURES_PLAN: KindInfo(_l("Plan of measures for safe operation"), Group.DOCUMENTS, SECRET,
                                           Area.ANTI_TERROR, 12),
    DocKind.EVACUATION_PLAN: KindInfo(_l("Evacuation plan"), Group.DOCUMENTS, STAFF, Area.FIRE_SAFETY, 12,
                                      _PLAN_PLACE),
    DocKind.FIRE_ACTION_PLAN: KindInfo(_l("Fire action plan of the administration and staff"), Group.DOCUMENTS,
                                       STAFF, Area.FIRE_SAFETY, 12),
    DocKind.FIRE_INSTRUCTION: KindInfo(_l("Fire-safety instruction"), Group.DOCUMENTS, STAFF, Area.FIRE_SAFETY, 36),
    DocKind.FIRE_MEMO: KindInfo(_l("Fire-safety memo"), Group.DOCUMENTS, STAFF, Area.FIRE_SAFETY, 36),
    DocKind.ORDER: KindInfo(_l("Order of the director"), Group.DOCUMENTS, STAFF, None, None, _ORDER_TOPICS),
    DocKind.LOCAL_ACT: KindInfo(_l("Local act"), Group.DOCUMENTS, STAFF, None, 36, _COUNCIL),
    DocKind.ROAD_SAFETY_PLAN: KindInfo(_l("Road-safety plan"), Group.DOCUMENTS, STAFF, None, 12),
    DocKind.ROUTE_PASSPORT: KindInfo(_l("Safety passport of the school route"), Group.DOCUMENTS, STAFF,
                                     None, 12),
    DocKind.CONTRACT_SECURITY: KindInfo(_l("Security company (guards by contract)"), Group.CONTRACTS, MANAGEMENT,
                                        Area.ANTI_TERROR, None, is_contract=True),
    DocKind.CONTRACT_ALARM: KindInfo(_l("Alarm monitoring to the fire service console 101"), Group.CONTRACTS,
                                     MANAGEMENT, Area.FIRE_SAFETY, None, is_contract=True),
    DocKind.CONTRACT_EXTINGUISHERS: KindInfo(_l("Extinguisher recharging and testing"), Group.CONTRACTS,
                                             MANAGEMENT, Area.FIRE_SAFETY, None, is_contract=True),
    DocKind.CONTRACT_WASTE: KindInfo(_l("Waste removal"), Group.CONTRACTS, MANAGEMENT, Area.ECOLOGY, None,
                                     is_contract=True),
    DocKind.CONTRACT_CANTEEN: KindInfo(_l("Canteen supplier"), Group.CONTRACTS, MANAGEMENT, Area.CANTEEN, None,
                                       is_contract=True),
    DocKind.CONTRACT_OTHER: KindInfo(_l("Other contract"), Group.CONTRACTS, MANAGEMENT, None, None,
                                     is_contract=True),
}

KIND_LABELS = {kind: info.label for kind, info in KINDS.items()}


def readable_kinds(role) -> list[DocKind]:
    """The kinds a role may read (and so see listed at all)."""
    return [kind for kind, info in KINDS.items() if role in info.readers]


def may_read(role, kind) -> bool:
    return role in KINDS[DocKind(kind)].readers
