"""Outbound calls to third-party providers' systems: their webhook endpoints."""

from integrations.providers.webhooks import (
    HttpWebhookSender,
    WebhookFailure,
    WebhookResponse,
    WebhookSender,
)

__all__ = ["HttpWebhookSender", "WebhookFailure", "WebhookResponse", "WebhookSender"]
