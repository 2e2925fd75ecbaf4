"""The outbox's handler registry: every domain that writes outbox rows adds its kinds here."""

from __future__ import annotations

from resolvers.appeals.photo_checks import HANDLERS as APPEAL_PHOTO_HANDLERS
from resolvers.applications.deadlines import HANDLERS as DEADLINE_HANDLERS
from resolvers.exchange.outbound import HANDLERS as EXCHANGE_HANDLERS
from resolvers.exchange.outbound import PUSH as EXCHANGE_PUSH
from resolvers.notifications.handlers import HANDLERS as NOTIFICATION_HANDLERS
from resolvers.outbox.dispatcher import Dispatcher, Handler
from resolvers.payments.service import HANDLERS as PAYMENT_HANDLERS
from resolvers.providers.services import HANDLERS as PROVIDER_SERVICE_HANDLERS
from resolvers.providers.webhooks import HANDLERS as WEBHOOK_HANDLERS
from resolvers.resources import Resources


def handlers() -> dict[str, Handler]:
    return {
        **NOTIFICATION_HANDLERS,
        **EXCHANGE_HANDLERS,
        **WEBHOOK_HANDLERS,
        **PROVIDER_SERVICE_HANDLERS,
        **APPEAL_PHOTO_HANDLERS,
        **DEADLINE_HANDLERS,
        **PAYMENT_HANDLERS,
    }


def dispatcher(resources: Resources) -> Dispatcher:
    return Dispatcher(
        resources=resources,
        handlers=handlers(),
        # The province keeps trying for about a day; a WeChat message late by a day is
        # useless, so notifications keep the shorter default.
        max_attempts={EXCHANGE_PUSH: resources.settings.exchange_max_attempts},
    )
