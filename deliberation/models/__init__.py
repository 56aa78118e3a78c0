"""Models, one module per concept. Import from here: `from deliberation.models import Topic`."""

from deliberation.models.audit import AuditEntry, AuditHead
from deliberation.models.community import (
    AreaBasis,
    Building,
    Community,
    DeemedVotes,
    Estate,
    Grid,
    Holder,
    HolderKind,
    Membership,
    Ownership,
    Role,
    StreetOffice,
    Tiebreak,
    Unit,
    UnitKind,
)
from deliberation.models.notice import Notice, NoticeKind, Notification
from deliberation.models.topic import Category, Channel, Phase, Scope, Topic

__all__ = [
    "AreaBasis",
    "AuditEntry",
    "AuditHead",
    "Building",
    "Category",
    "Channel",
    "Community",
    "DeemedVotes",
    "Estate",
    "Grid",
    "Holder",
    "HolderKind",
    "Membership",
    "Notice",
    "NoticeKind",
    "Notification",
    "Ownership",
    "Phase",
    "Role",
    "Scope",
    "StreetOffice",
    "Tiebreak",
    "Topic",
    "Unit",
    "UnitKind",
]
