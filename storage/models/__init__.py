"""Every Tortoise model, imported here so that the ORM and its migrations find them."""

from storage.models.accounts import Account, AuditEvent, AuthSession, Role
from storage.models.catalogue import (
    Article,
    ArticleItem,
    BaseItem,
    CentreService,
    Department,
    Implementation,
    Material,
    Region,
    RegionLevel,
    ServiceCentre,
    Terminal,
    TerminalService,
)
from storage.models.documents import (
    AccessAction,
    Document,
    DocumentAccess,
    DocumentKind,
    DocumentStatus,
    RejectionReason,
    TrustLevel,
)

__all__ = [
    "AccessAction",
    "Account",
    "Article",
    "ArticleItem",
    "AuditEvent",
    "AuthSession",
    "BaseItem",
    "CentreService",
    "Department",
    "Document",
    "DocumentAccess",
    "DocumentKind",
    "DocumentStatus",
    "Implementation",
    "Material",
    "Region",
    "RegionLevel",
    "RejectionReason",
    "Role",
    "ServiceCentre",
    "Terminal",
    "TerminalService",
    "TrustLevel",
]
