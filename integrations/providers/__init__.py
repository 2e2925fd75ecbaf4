"""Outbound calls to third-party providers' systems: their webhook endpoints."""

from integrations.providers.webhooks import (
    HttpWebhookSender,
    Resolver,
    WebhookFailure,
    WebhookRefused,
    WebhookResponse,
    WebhookSender,
    address_allowed,
    embedded_ipv4,
)

__all__ = [
    "HttpWebhookSender",
    "Resolver",
    "WebhookFailure",
    "WebhookRefused",
    "WebhookResponse",
    "WebhookSender",
    "address_allowed",
    "embedded_ipv4",
]
