"""Every Tortoise model, imported here so that the ORM and its migrations find them."""

from storage.models.accounts import Account, AuditEvent, AuthSession, Role
from storage.models.catalogue import Department, Region, RegionLevel
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
    "AuditEvent",
    "AuthSession",
    "Department",
    "Document",
    "DocumentAccess",
    "DocumentKind",
    "DocumentStatus",
    "Region",
    "RegionLevel",
    "RejectionReason",
    "Role",
    "TrustLevel",
]
