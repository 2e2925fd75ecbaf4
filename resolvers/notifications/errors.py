"""Error codes and zh-CN messages of the inbox and subscribe-message grants."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class NotificationErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    TOO_MANY_ITEMS = "TOO_MANY_ITEMS"
    UNKNOWN_TEMPLATE = "UNKNOWN_TEMPLATE"
    NOT_A_WECHAT_ACCOUNT = "NOT_A_WECHAT_ACCOUNT"


class NotificationError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        NotificationErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        NotificationErrorCode.UNAUTHENTICATED: "请先登录。",
        NotificationErrorCode.FORBIDDEN: "您没有进行此操作的权限。",
        NotificationErrorCode.TOO_MANY_ITEMS: "一次提交的条目过多。",
        NotificationErrorCode.UNKNOWN_TEMPLATE: "不是本服务的订阅消息模板。",
        NotificationErrorCode.NOT_A_WECHAT_ACCOUNT: "当前账号未通过微信登录，无法接收订阅消息。",
    }
