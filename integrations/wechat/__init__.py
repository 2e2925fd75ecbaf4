"""The WeChat mini-program server API (login, phone, messages, content checks, face checks)."""

from integrations.wechat.gateway import (
    IDENTITY_CARD,
    ContentSuggestion,
    FaceVerifyId,
    MediaType,
    PhoneNumber,
    TextCheck,
    WeChatError,
    WeChatGateway,
    WeChatLogin,
    WeChatUnavailable,
    cert_hash,
)
from integrations.wechat.wechatpy_adapter import WeChatpyGateway

__all__ = [
    "IDENTITY_CARD",
    "ContentSuggestion",
    "FaceVerifyId",
    "MediaType",
    "PhoneNumber",
    "TextCheck",
    "WeChatError",
    "WeChatGateway",
    "WeChatLogin",
    "WeChatUnavailable",
    "WeChatpyGateway",
    "cert_hash",
]
