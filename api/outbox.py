"""The outbox's handler registry: every domain that writes outbox rows adds its kinds here."""

from __future__ import annotations

from resolvers.context import Resources
from resolvers.notifications.handlers import HANDLERS as NOTIFICATION_HANDLERS
from resolvers.outbox.dispatcher import Dispatcher, Handler


def handlers() -> dict[str, Handler]:
    # [7/8] webhooks and [8/8] provincial pushes add their kinds beside these.
    return {**NOTIFICATION_HANDLERS}


def dispatcher(resources: Resources) -> Dispatcher:
    return Dispatcher(resources=resources, handlers=handlers())
