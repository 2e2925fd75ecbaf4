"""Error codes and zh-CN messages of result delivery, and the courier webhook's refusals."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class DeliveryErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"  # no result yet
    ALREADY_CHOSEN = "ALREADY_CHOSEN"
    RECIPIENT_REQUIRED = "RECIPIENT_REQUIRED"
    INVALID_PHONE = "INVALID_PHONE"
    COURIER_UNAVAILABLE = "COURIER_UNAVAILABLE"
    # Collecting at a window: the card read, and whose result it is
    NOT_A_WINDOW_READER = "NOT_A_WINDOW_READER"
    UNKNOWN_DEVICE = "UNKNOWN_DEVICE"
    DEVICE_RETIRED = "DEVICE_RETIRED"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    STALE_READ = "STALE_READ"
    REPLAYED_READ = "REPLAYED_READ"
    INVALID_CARD = "INVALID_CARD"
    CARD_EXPIRED = "CARD_EXPIRED"
    NOT_THE_OWNER = "NOT_THE_OWNER"
    # Collecting (either way)
    WRONG_METHOD = "WRONG_METHOD"
    ALREADY_COLLECTED = "ALREADY_COLLECTED"
    # Collecting at a terminal with the pickup code
    NOT_AT_TERMINAL = "NOT_AT_TERMINAL"
    WRONG_CODE = "WRONG_CODE"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


class DeliveryError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        DeliveryErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        DeliveryErrorCode.UNAUTHENTICATED: "请先登录。",
        DeliveryErrorCode.FORBIDDEN: "无权进行此操作。",
        DeliveryErrorCode.NOT_FOUND: "申请不存在或您无权查看。",
        DeliveryErrorCode.INVALID_STATE: "办理结果出具后才能选择领取方式。",
        DeliveryErrorCode.ALREADY_CHOSEN: "已选择过领取方式。",
        DeliveryErrorCode.RECIPIENT_REQUIRED: "邮寄须填写收件人姓名、手机号和地址。",
        DeliveryErrorCode.INVALID_PHONE: "请输入有效的中国大陆手机号码。",
        DeliveryErrorCode.COURIER_UNAVAILABLE: "邮政寄递服务暂时不可用，请稍后再试。",
        DeliveryErrorCode.NOT_A_WINDOW_READER: "请使用本中心窗口登记的读卡器读取身份证。",
        DeliveryErrorCode.UNKNOWN_DEVICE: "读卡设备未登记。",
        DeliveryErrorCode.DEVICE_RETIRED: "读卡设备已停用。",
        DeliveryErrorCode.BAD_SIGNATURE: "读卡数据签名无效，请重新读卡。",
        DeliveryErrorCode.STALE_READ: "读卡数据已过期，请重新读卡。",
        DeliveryErrorCode.REPLAYED_READ: "该次读卡数据已使用，请重新读卡。",
        DeliveryErrorCode.INVALID_CARD: "身份证信息无效。",
        DeliveryErrorCode.CARD_EXPIRED: "身份证已过有效期。",
        DeliveryErrorCode.NOT_THE_OWNER: "持证人不是该办件的申请人，不能领取办理结果。",
        DeliveryErrorCode.WRONG_METHOD: "该办件的办理结果不是以此方式领取。",
        DeliveryErrorCode.ALREADY_COLLECTED: "办理结果已领取。",
        DeliveryErrorCode.NOT_AT_TERMINAL: "请在自助终端上输入取件码。",
        DeliveryErrorCode.WRONG_CODE: "取件码不正确。",
        DeliveryErrorCode.TOO_MANY_ATTEMPTS: "取件码输错次数过多，请稍后再试。",
        DeliveryErrorCode.SERVICE_UNAVAILABLE: "服务暂时不可用，请稍后再试。",
    }


class WebhookCode(StrEnum):
    STALE_TIMESTAMP = "STALE_TIMESTAMP"  # 401
    BAD_SIGNATURE = "BAD_SIGNATURE"  # 401
    BAD_EVENT = "BAD_EVENT"  # 400
    UNKNOWN_WAYBILL = "UNKNOWN_WAYBILL"  # 404
    REPLAYED = "REPLAYED"  # 409: this event id was received already


WEBHOOK_STATUS: Mapping[WebhookCode, int] = {
    WebhookCode.STALE_TIMESTAMP: 401,
    WebhookCode.BAD_SIGNATURE: 401,
    WebhookCode.BAD_EVENT: 400,
    WebhookCode.UNKNOWN_WAYBILL: 404,
    WebhookCode.REPLAYED: 409,
}


class WebhookRefused(DomainError):
    """The courier's webhook was not taken: the code and its HTTP status are the answer."""

    @property
    def status(self) -> int:
        return WEBHOOK_STATUS[WebhookCode(self.code.value)]
