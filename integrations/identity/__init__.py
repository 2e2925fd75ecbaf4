"""Identity providers that confirm a real-name claim with a face check (WeChat, an HTTP relay)."""

from dataclasses import dataclass

from integrations.identity.protocol import (
    Claim,
    IdentityProvider,
    IdentityProviderError,
    IdentityProviderUnavailable,
    Outcome,
    Result,
    Started,
)
from integrations.identity.relay import HttpRealNameRelay
from integrations.identity.wechat_face import WeChatFaceProvider


@dataclass(frozen=True, slots=True)
class IdentityProviders:
    """Mini-program accounts are checked by WeChat, app accounts by the relay."""

    wechat: IdentityProvider
    relay: IdentityProvider


__all__ = [
    "Claim",
    "HttpRealNameRelay",
    "IdentityProvider",
    "IdentityProviderError",
    "IdentityProviderUnavailable",
    "IdentityProviders",
    "Outcome",
    "Result",
    "Started",
    "WeChatFaceProvider",
]
