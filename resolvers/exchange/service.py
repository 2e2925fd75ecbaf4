"""The provincial exchange as other domains use it: the push of an application event, written
in the transaction that writes the event, and the signatures department systems use too; and
what the schema reads of it for admins (reads)."""

from __future__ import annotations

from resolvers.exchange.outbound import enqueue_for
from resolvers.exchange.reads import callbacks, messages, readable_messages
from resolvers.exchange.signing import (
    HmacSha256,
    InvalidKey,
    RotatingHmac,
    Sm2Sm3,
    platform_signer,
)

__all__ = [
    "HmacSha256",
    "InvalidKey",
    "RotatingHmac",
    "Sm2Sm3",
    "callbacks",
    "enqueue_for",
    "messages",
    "platform_signer",
    "readable_messages",
]
