"""Every Tortoise model, imported here so that the ORM and its migrations find them."""

from storage.models.accounts import Account, AuditEvent, AuthSession, Role
from storage.models.catalogue import (
    Article,
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

__all__ = [
    "Account",
    "Article",
    "AuditEvent",
    "AuthSession",
    "BaseItem",
    "CentreService",
    "Department",
    "Implementation",
    "Material",
    "Region",
    "RegionLevel",
    "Role",
    "ServiceCentre",
    "Terminal",
    "TerminalService",
]
