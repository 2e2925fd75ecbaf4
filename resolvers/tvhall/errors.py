"""Error codes and zh-CN messages of the TV hall sign-in."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class TvSignInErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INVALID_CODE = "INVALID_CODE"  # unknown, expired or already used
    ALREADY_CONFIRMED = "ALREADY_CONFIRMED"
    AUTHORIZATION_PENDING = "AUTHORIZATION_PENDING"  # not confirmed yet: poll again
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"


class TvSignInError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        TvSignInErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        TvSignInErrorCode.UNAUTHENTICATED: "请先登录。",
        TvSignInErrorCode.FORBIDDEN: "无权进行此操作。",
        TvSignInErrorCode.RATE_LIMITED: "操作过于频繁，请稍后再试。",
        TvSignInErrorCode.SERVICE_UNAVAILABLE: "服务暂时不可用，请稍后再试。",
        TvSignInErrorCode.INVALID_CODE: "电视登录码无效或已过期，请在电视上重新获取。",
        TvSignInErrorCode.ALREADY_CONFIRMED: "该电视登录码已确认过。",
        TvSignInErrorCode.AUTHORIZATION_PENDING: "请在手机上确认电视登录码。",
        TvSignInErrorCode.ACCOUNT_DISABLED: "账号已停用。",
    }
