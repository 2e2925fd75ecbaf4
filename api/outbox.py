"""The outbox's handler registry: every domain that writes outbox rows adds its kinds here."""

from __future__ import annotations

from resolvers.context import Resources
from resolvers.notifications.handlers import HANDLERS as NOTIFICATION_HANDLERS
from resolvers.outbox.dispatcher import Dispatcher, Handler
from resolvers.providers.services import HANDLERS as PROVIDER_SERVICE_HANDLERS
from resolvers.providers.webhooks import HANDLERS as WEBHOOK_HANDLERS


def handlers() -> dict[str, Handler]:
    # [8/8] provincial pushes add their kinds beside these.
    return {**NOTIFICATION_HANDLERS, **WEBHOOK_HANDLERS, **PROVIDER_SERVICE_HANDLERS}


def dispatcher(resources: Resources) -> Dispatcher:
    return Dispatcher(resources=resources, handlers=handlers())
