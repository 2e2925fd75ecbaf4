"""Every Tortoise model, imported here so that the ORM and its migrations find them."""

from storage.models.accounts import Account, AuditEvent, AuthSession, Role
from storage.models.applications import (
    Application,
    ApplicationCounter,
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationTask,
    IdempotencyRecord,
    Rating,
    Rectification,
)
from storage.models.calendar import CalendarDay
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
from storage.models.exchange import (
    ExchangeAcknowledgement,
    ExchangeCallback,
    ExchangeSystem,
)
from storage.models.notifications import Notification, SubscriptionGrant
from storage.models.outbox import OutboxMessage

__all__ = [
    "AccessAction",
    "Account",
    "Application",
    "ApplicationCounter",
    "ApplicationEvent",
    "ApplicationMaterial",
    "ApplicationTask",
    "Article",
    "ArticleItem",
    "AuditEvent",
    "AuthSession",
    "BaseItem",
    "CalendarDay",
    "CentreService",
    "Department",
    "Document",
    "DocumentAccess",
    "DocumentKind",
    "DocumentStatus",
    "ExchangeAcknowledgement",
    "ExchangeCallback",
    "ExchangeSystem",
    "IdempotencyRecord",
    "Implementation",
    "Material",
    "Notification",
    "OutboxMessage",
    "Rating",
    "Rectification",
    "Region",
    "RegionLevel",
    "RejectionReason",
    "Role",
    "ServiceCentre",
    "SubscriptionGrant",
    "Terminal",
    "TerminalService",
    "TrustLevel",
]
