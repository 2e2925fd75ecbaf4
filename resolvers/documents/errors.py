"""Error codes and zh-CN messages of the document wallet."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class DocumentErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    # Requesting an upload
    INVALID_FILE_NAME = "INVALID_FILE_NAME"
    UNSUPPORTED_CONTENT_TYPE = "UNSUPPORTED_CONTENT_TYPE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    # Confirming it
    NOT_UPLOADED = "NOT_UPLOADED"
    UPLOAD_EXPIRED = "UPLOAD_EXPIRED"
    CONFIRMATION_IN_PROGRESS = "CONFIRMATION_IN_PROGRESS"
    EMPTY_FILE = "EMPTY_FILE"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    MALWARE_FOUND = "MALWARE_FOUND"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    IMAGE_UNREADABLE = "IMAGE_UNREADABLE"
    DOCUMENT_REJECTED = "DOCUMENT_REJECTED"
    SCANNER_UNAVAILABLE = "SCANNER_UNAVAILABLE"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    # Deleting and verifying
    IN_USE = "IN_USE"
    NOT_AVAILABLE = "NOT_AVAILABLE"
    ALREADY_TRUSTED = "ALREADY_TRUSTED"
    REASON_REQUIRED = "REASON_REQUIRED"


class DocumentError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        DocumentErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        DocumentErrorCode.UNAUTHENTICATED: "请先登录。",
        DocumentErrorCode.FORBIDDEN: "您没有进行此操作的权限。",
        DocumentErrorCode.NOT_FOUND: "材料不存在或已删除。",
        DocumentErrorCode.RATE_LIMITED: "上传过于频繁，请稍后再试。",
        DocumentErrorCode.SERVICE_UNAVAILABLE: "服务暂时不可用，请稍后再试。",
        DocumentErrorCode.INVALID_FILE_NAME: "文件名无效，请重新选择文件。",
        DocumentErrorCode.UNSUPPORTED_CONTENT_TYPE: "该类材料不支持此文件格式。",
        DocumentErrorCode.FILE_TOO_LARGE: "文件超过该类材料允许的大小。",
        DocumentErrorCode.QUOTA_EXCEEDED: "材料库空间已满，请先删除不需要的材料。",
        DocumentErrorCode.NOT_UPLOADED: "尚未收到文件，请上传后再确认。",
        DocumentErrorCode.UPLOAD_EXPIRED: "上传凭证已过期，请重新上传。",
        DocumentErrorCode.CONFIRMATION_IN_PROGRESS: "材料正在校验中，请稍候。",
        DocumentErrorCode.EMPTY_FILE: "文件为空，请重新上传。",
        DocumentErrorCode.TYPE_MISMATCH: "文件内容与声明的格式不符，已拒收。",
        DocumentErrorCode.MALWARE_FOUND: "文件未通过安全检查，已拒收。",
        DocumentErrorCode.IMAGE_TOO_LARGE: "图片像素过多，请压缩后重新上传。",
        DocumentErrorCode.IMAGE_UNREADABLE: "图片已损坏或无法读取，请重新拍摄或选择图片。",
        DocumentErrorCode.DOCUMENT_REJECTED: "该材料未通过校验，请重新上传。",
        DocumentErrorCode.SCANNER_UNAVAILABLE: "安全检查服务暂时不可用，请稍后再确认。",
        DocumentErrorCode.STORAGE_UNAVAILABLE: "文件存储服务暂时不可用，请稍后再试。",
        DocumentErrorCode.IN_USE: "该材料正被未办结的申请使用，暂不能删除。",
        DocumentErrorCode.NOT_AVAILABLE: "材料尚未通过校验，暂不能核验。",
        DocumentErrorCode.ALREADY_TRUSTED: "该材料已是权威来源，无需核验原件。",
        DocumentErrorCode.REASON_REQUIRED: "请填写核验说明。",
    }
