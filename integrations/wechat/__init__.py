"""The WeChat mini-program server API (login, phone number, subscribe messages, content checks)."""

from integrations.wechat.gateway import (
    ContentSuggestion,
    MediaType,
    PhoneNumber,
    TextCheck,
    WeChatError,
    WeChatGateway,
    WeChatLogin,
    WeChatUnavailable,
)
from integrations.wechat.wechatpy_adapter import WeChatpyGateway

__all__ = [
    "ContentSuggestion",
    "MediaType",
    "PhoneNumber",
    "TextCheck",
    "WeChatError",
    "WeChatGateway",
    "WeChatLogin",
    "WeChatUnavailable",
    "WeChatpyGateway",
]
