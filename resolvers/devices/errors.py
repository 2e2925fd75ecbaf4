"""Error codes and zh-CN messages of devices and the card reads they sign."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class DeviceErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    # Registering
    CENTRE_NOT_FOUND = "CENTRE_NOT_FOUND"
    WINDOW_NOT_FOUND = "WINDOW_NOT_FOUND"
    TERMINAL_NOT_FOUND = "TERMINAL_NOT_FOUND"
    INVALID_PUBLIC_KEY = "INVALID_PUBLIC_KEY"
    SERIAL_TAKEN = "SERIAL_TAKEN"
    ALREADY_RETIRED = "ALREADY_RETIRED"
    # Reading a card
    UNKNOWN_DEVICE = "UNKNOWN_DEVICE"
    DEVICE_RETIRED = "DEVICE_RETIRED"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    STALE_READ = "STALE_READ"
    REPLAYED_READ = "REPLAYED_READ"
    INVALID_CARD = "INVALID_CARD"
    CARD_EXPIRED = "CARD_EXPIRED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    # Signing in at a terminal
    NOT_A_TERMINAL_READER = "NOT_A_TERMINAL_READER"
    FACE_MISMATCH = "FACE_MISMATCH"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"


# The messages of card-read refusals, shared with the domains that take a read as input.
CARD_MESSAGES: Mapping[str, str] = {
    "UNKNOWN_DEVICE": "读卡设备未登记。",
    "DEVICE_RETIRED": "读卡设备已停用。",
    "BAD_SIGNATURE": "读卡数据签名无效。",
    "STALE_READ": "读卡数据已过期，请重新读卡。",
    "REPLAYED_READ": "该读卡数据已使用过，请重新读卡。",
    "INVALID_CARD": "身份证信息无法识别，请重新读卡。",
    "CARD_EXPIRED": "身份证已过有效期。",
    "SERVICE_UNAVAILABLE": "服务暂时不可用，请稍后再试。",
}


class DeviceError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        DeviceErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        DeviceErrorCode.UNAUTHENTICATED: "请先登录。",
        DeviceErrorCode.FORBIDDEN: "您没有进行此操作的权限。",
        DeviceErrorCode.NOT_FOUND: "设备不存在或您无权查看。",
        DeviceErrorCode.CENTRE_NOT_FOUND: "政务服务中心不存在。",
        DeviceErrorCode.WINDOW_NOT_FOUND: "该中心没有这个窗口。",
        DeviceErrorCode.TERMINAL_NOT_FOUND: "自助终端不存在。",
        DeviceErrorCode.INVALID_PUBLIC_KEY: "设备公钥格式不正确（应为 Ed25519 公钥）。",
        DeviceErrorCode.SERIAL_TAKEN: "该设备序列号或公钥已登记。",
        DeviceErrorCode.ALREADY_RETIRED: "该设备已停用。",
        DeviceErrorCode.NOT_A_TERMINAL_READER: "该读卡设备不属于本终端。",
        DeviceErrorCode.FACE_MISMATCH: "人脸核验未通过，请重新核验。",
        DeviceErrorCode.ACCOUNT_DISABLED: "账号已停用。",
        **{DeviceErrorCode(code): message for code, message in CARD_MESSAGES.items()},
    }
