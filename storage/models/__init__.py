"""Every Tortoise model, imported here so that the ORM and its migrations find them."""

from storage.models.accounts import Account, AuditEvent, AuthSession, Role
from storage.models.catalogue import Department, Region, RegionLevel

__all__ = [
    "Account",
    "AuditEvent",
    "AuthSession",
    "Department",
    "Region",
    "RegionLevel",
    "Role",
]
