"""Error codes and zh-CN messages of appeals."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class AppealErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    # Filing
    CATEGORY_NOT_FOUND = "CATEGORY_NOT_FOUND"
    REGION_NOT_FOUND = "REGION_NOT_FOUND"
    CONTENT_REQUIRED = "CONTENT_REQUIRED"
    CONTENT_TOO_LONG = "CONTENT_TOO_LONG"
    CONTENT_RISKY = "CONTENT_RISKY"
    LOCATION_INVALID = "LOCATION_INVALID"
    CHANNEL_NOT_ALLOWED = "CHANNEL_NOT_ALLOWED"
    TOO_MANY_PHOTOS = "TOO_MANY_PHOTOS"
    PHOTO_NOT_FOUND = "PHOTO_NOT_FOUND"
    PHOTO_NOT_AVAILABLE = "PHOTO_NOT_AVAILABLE"
    NOT_A_PHOTO = "NOT_A_PHOTO"
    DUPLICATE_PHOTO = "DUPLICATE_PHOTO"
    PHONE_REQUIRED = "PHONE_REQUIRED"
    # Handling
    INVALID_STATE = "INVALID_STATE"
    CONFLICT = "CONFLICT"
    DEPARTMENT_NOT_FOUND = "DEPARTMENT_NOT_FOUND"
    SAME_DEPARTMENT = "SAME_DEPARTMENT"
    REASON_REQUIRED = "REASON_REQUIRED"
    RETURN_WINDOW_CLOSED = "RETURN_WINDOW_CLOSED"
    EXTENSION_TOO_LONG = "EXTENSION_TOO_LONG"
    EXTENSION_PENDING = "EXTENSION_PENDING"
    NO_EXTENSION_PENDING = "NO_EXTENSION_PENDING"
    REPLY_REQUIRED = "REPLY_REQUIRED"
    # Merging
    NOTHING_TO_MERGE = "NOTHING_TO_MERGE"
    TOO_MANY_APPEALS = "TOO_MANY_APPEALS"
    CANNOT_MERGE_INTO_ITSELF = "CANNOT_MERGE_INTO_ITSELF"
    CATEGORY_MISMATCH = "CATEGORY_MISMATCH"
    # The resident's side
    NOT_REPLIED = "NOT_REPLIED"
    ALREADY_RATED = "ALREADY_RATED"
    WINDOW_CLOSED = "WINDOW_CLOSED"
    ALREADY_REVISITED = "ALREADY_REVISITED"
    # Editing the dispatch catalogue and table
    CATEGORY_RETIRED = "CATEGORY_RETIRED"
    CATALOGUE_TOO_LARGE = "CATALOGUE_TOO_LARGE"
    ROUTE_NOT_FOUND = "ROUTE_NOT_FOUND"
    # Photos shown to the public
    PHOTO_NOT_CHECKED = "PHOTO_NOT_CHECKED"
    PHOTO_CONFIDENTIAL = "PHOTO_CONFIDENTIAL"


class AppealError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        AppealErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        AppealErrorCode.UNAUTHENTICATED: "请先登录。",
        AppealErrorCode.FORBIDDEN: "您没有进行此操作的权限。",
        AppealErrorCode.NOT_FOUND: "诉求不存在或您无权查看。",
        AppealErrorCode.RATE_LIMITED: "提交过于频繁，请稍后再试。",
        AppealErrorCode.CATEGORY_NOT_FOUND: "请选择诉求类别目录中的具体类别。",
        AppealErrorCode.REGION_NOT_FOUND: "找不到该区域。",
        AppealErrorCode.CONTENT_REQUIRED: "请填写诉求内容。",
        AppealErrorCode.CONTENT_TOO_LONG: "诉求内容过长。",
        AppealErrorCode.CONTENT_RISKY: "诉求内容含有违法违规信息，未能提交，请修改后再试。",
        AppealErrorCode.LOCATION_INVALID: "位置坐标不正确。",
        AppealErrorCode.CHANNEL_NOT_ALLOWED: "该渠道不能提交诉求。",
        AppealErrorCode.TOO_MANY_PHOTOS: "附带的照片过多。",
        AppealErrorCode.PHOTO_NOT_FOUND: "照片不存在或不属于您。",
        AppealErrorCode.PHOTO_NOT_AVAILABLE: "照片尚未通过校验，暂不能使用。",
        AppealErrorCode.NOT_A_PHOTO: "只能附带照片。",
        AppealErrorCode.DUPLICATE_PHOTO: "同一张照片附带了两次。",
        AppealErrorCode.PHONE_REQUIRED: (
            "请先绑定手机号，以便承办部门联系您；建议、表扬类诉求也可选择无需回复。"
        ),
        AppealErrorCode.INVALID_STATE: "诉求当前的状态不允许此操作。",
        AppealErrorCode.CONFLICT: "诉求刚被其他人更新，请刷新后再试。",
        AppealErrorCode.DEPARTMENT_NOT_FOUND: "找不到该承办部门。",
        AppealErrorCode.SAME_DEPARTMENT: "诉求已在该部门办理，无需改派。",
        AppealErrorCode.REASON_REQUIRED: "请填写理由。",
        AppealErrorCode.RETURN_WINDOW_CLOSED: "已超过退单期限（收到后2个工作日内），请继续办理。",
        AppealErrorCode.EXTENSION_TOO_LONG: "延期天数超过允许的上限。",
        AppealErrorCode.EXTENSION_PENDING: "已有延期申请等待审批。",
        AppealErrorCode.NO_EXTENSION_PENDING: "没有待审批的延期申请。",
        AppealErrorCode.REPLY_REQUIRED: "请填写答复内容。",
        AppealErrorCode.NOTHING_TO_MERGE: "请选择要合并的诉求。",
        AppealErrorCode.TOO_MANY_APPEALS: "一次合并的诉求过多。",
        AppealErrorCode.CANNOT_MERGE_INTO_ITSELF: "诉求不能与自身合并。",
        AppealErrorCode.CATEGORY_MISMATCH: "只能合并同一类别的诉求。",
        AppealErrorCode.NOT_REPLIED: "诉求答复后才能评价。",
        AppealErrorCode.ALREADY_RATED: "您已评价过本次答复。",
        AppealErrorCode.WINDOW_CLOSED: "已超过评价或重新办理的期限。",
        AppealErrorCode.ALREADY_REVISITED: "该诉求已完成回访。",
        AppealErrorCode.CATEGORY_RETIRED: "该诉求类别已停用。",
        AppealErrorCode.CATALOGUE_TOO_LARGE: "诉求类别目录已达上限（每级最多30项）。",
        AppealErrorCode.ROUTE_NOT_FOUND: "派单目录中没有该类别在该区域的派单规则。",
        AppealErrorCode.PHOTO_NOT_CHECKED: "该照片未通过内容安全检查，不能公开。",
        AppealErrorCode.PHOTO_CONFIDENTIAL: "举报类诉求的照片不能公开，以保护举报人。",
    }
