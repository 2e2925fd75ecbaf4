"""The provincial exchange as other domains use it: the push of an application event, written
in the transaction that writes the event, and the signatures department systems use too."""

from __future__ import annotations

from resolvers.exchange.outbound import enqueue_for
from resolvers.exchange.signing import (
    HmacSha256,
    InvalidKey,
    RotatingHmac,
    Sm2Sm3,
    platform_signer,
)

__all__ = ["HmacSha256", "InvalidKey", "RotatingHmac", "Sm2Sm3", "enqueue_for", "platform_signer"]
