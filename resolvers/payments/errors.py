"""Error codes and zh-CN messages of fees and payments."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class PaymentErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"  # no such application, or not the caller's
    NOTHING_DUE = "NOTHING_DUE"  # free of charge, exempted, or the application ended
    NOT_YET_DUE = "NOT_YET_DUE"  # its charging step is not reached yet
    ALREADY_PAID = "ALREADY_PAID"
    WECHAT_NOT_BOUND = "WECHAT_NOT_BOUND"  # the mini-program pays as a WeChat user
    PAYMENT_UNAVAILABLE = "PAYMENT_UNAVAILABLE"  # WeChat Pay is not configured or not reachable
    CONFLICT = "CONFLICT"
    # Exemptions (staff)
    ITEM_NOT_FOUND = "ITEM_NOT_FOUND"
    EXEMPTION_NOT_ALLOWED = "EXEMPTION_NOT_ALLOWED"
    ALREADY_EXEMPT = "ALREADY_EXEMPT"
    INVALID_STATE = "INVALID_STATE"


class PaymentError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        PaymentErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        PaymentErrorCode.UNAUTHENTICATED: "请先登录。",
        PaymentErrorCode.FORBIDDEN: "您没有进行此操作的权限。",
        PaymentErrorCode.NOT_FOUND: "申请不存在或您无权查看。",
        PaymentErrorCode.NOTHING_DUE: "该申请当前没有需要缴纳的费用。",
        PaymentErrorCode.NOT_YET_DUE: "尚未到缴费环节，请等待办理进度。",
        PaymentErrorCode.ALREADY_PAID: "该费用已缴纳。",
        PaymentErrorCode.WECHAT_NOT_BOUND: "请先使用微信登录后再缴费。",
        PaymentErrorCode.PAYMENT_UNAVAILABLE: "支付服务暂时不可用，请稍后再试。",
        PaymentErrorCode.CONFLICT: "缴费信息刚被更新，请刷新后再试。",
        PaymentErrorCode.ITEM_NOT_FOUND: "该申请没有这个收费项目。",
        PaymentErrorCode.EXEMPTION_NOT_ALLOWED: "该收费项目不适用这项减免规定。",
        PaymentErrorCode.ALREADY_EXEMPT: "该收费项目已经减免。",
        PaymentErrorCode.INVALID_STATE: "申请当前的状态不允许此操作。",
    }
