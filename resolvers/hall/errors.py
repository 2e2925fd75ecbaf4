"""Error codes and zh-CN messages of the hall: centres, appointments and the queue."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class HallErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    # centres
    CENTRE_NOT_FOUND = "CENTRE_NOT_FOUND"
    SERVICE_NOT_FOUND = "SERVICE_NOT_FOUND"
    SERVICE_NOT_HANDLED = "SERVICE_NOT_HANDLED"
    ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"
    LAST_MANAGER = "LAST_MANAGER"
    HOURS_INVALID = "HOURS_INVALID"
    TERMINAL_NOT_FOUND = "TERMINAL_NOT_FOUND"
    TERMINAL_IN_ANOTHER_HALL = "TERMINAL_IN_ANOTHER_HALL"
    # booking
    DAY_NOT_BOOKABLE = "DAY_NOT_BOOKABLE"
    SLOT_NOT_FOUND = "SLOT_NOT_FOUND"
    SLOT_FULL = "SLOT_FULL"
    ALREADY_BOOKED = "ALREADY_BOOKED"
    BOOKING_SUSPENDED = "BOOKING_SUSPENDED"
    NO_WINDOW_FOR_SERVICE = "NO_WINDOW_FOR_SERVICE"
    CANCEL_TOO_LATE = "CANCEL_TOO_LATE"
    INVALID_STATE = "INVALID_STATE"
    # the queue
    NOT_CHECK_IN_TIME = "NOT_CHECK_IN_TIME"
    ALREADY_CHECKED_IN = "ALREADY_CHECKED_IN"
    CENTRE_CLOSED = "CENTRE_CLOSED"
    WINDOW_CLOSED = "WINDOW_CLOSED"
    QUEUE_EMPTY = "QUEUE_EMPTY"
    RECALL_LIMIT = "RECALL_LIMIT"
    NOT_CALLED = "NOT_CALLED"


class HallError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        HallErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        HallErrorCode.UNAUTHENTICATED: "请先登录。",
        HallErrorCode.FORBIDDEN: "您没有进行此操作的权限。",
        HallErrorCode.NOT_FOUND: "记录不存在或您无权查看。",
        HallErrorCode.CENTRE_NOT_FOUND: "找不到该政务服务中心。",
        HallErrorCode.SERVICE_NOT_FOUND: "找不到该事项。",
        HallErrorCode.SERVICE_NOT_HANDLED: "该中心不办理此事项。",
        HallErrorCode.ACCOUNT_NOT_FOUND: "找不到该工作人员账号。",
        HallErrorCode.TERMINAL_NOT_FOUND: "找不到该自助终端，或它不在这个大厅。",
        HallErrorCode.TERMINAL_IN_ANOTHER_HALL: (
            "该自助终端已放在另一个中心的大厅，请先从那里移出。"
        ),
        HallErrorCode.LAST_MANAGER: "中心至少需要保留一名管理员。",
        HallErrorCode.HOURS_INVALID: (
            "开放时间不正确：结束时间须晚于开始时间，每个星期几只能设置一次。"
        ),
        HallErrorCode.DAY_NOT_BOOKABLE: (
            "该日期不可预约：仅可预约开放的工作日，且须在规定的提前天数内。"
        ),
        HallErrorCode.SLOT_NOT_FOUND: "该时段不存在，请重新选择。",
        HallErrorCode.SLOT_FULL: "该时段已约满，请选择其他时段。",
        HallErrorCode.ALREADY_BOOKED: "您当天已预约过该事项。",
        HallErrorCode.BOOKING_SUSPENDED: "您近期多次预约未到，网上预约已暂停，请现场取号办理。",
        HallErrorCode.NO_WINDOW_FOR_SERVICE: "该中心暂无办理此事项的窗口。",
        HallErrorCode.CANCEL_TOO_LATE: "距预约时间太近，已不能取消。",
        HallErrorCode.INVALID_STATE: "当前状态下不能进行此操作。",
        HallErrorCode.NOT_CHECK_IN_TIME: "不在签到时间内，请在预约时段内到中心签到。",
        HallErrorCode.ALREADY_CHECKED_IN: "您已签到取号。",
        HallErrorCode.CENTRE_CLOSED: "中心当前不在开放时间。",
        HallErrorCode.WINDOW_CLOSED: "该窗口已暂停服务。",
        HallErrorCode.QUEUE_EMPTY: "当前没有等候的号。",
        HallErrorCode.RECALL_LIMIT: "已达到重呼次数上限，请过号。",
        HallErrorCode.NOT_CALLED: "该号未被叫到，不能重呼或过号。",
    }
