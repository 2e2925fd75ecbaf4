"""Error codes and zh-CN messages of providers, their services, keys, webhooks and hand-offs."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class ProviderErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    CONFLICT = "CONFLICT"
    INVALID_STATE = "INVALID_STATE"
    REASON_REQUIRED = "REASON_REQUIRED"
    # Onboarding
    INVALID_NAME = "INVALID_NAME"
    INVALID_CREDIT_CODE = "INVALID_CREDIT_CODE"
    CREDIT_CODE_TAKEN = "CREDIT_CODE_TAKEN"
    INVALID_CONTACT_NAME = "INVALID_CONTACT_NAME"
    INVALID_PHONE = "INVALID_PHONE"
    PROVIDER_REQUIRED = "PROVIDER_REQUIRED"
    PROVIDER_NOT_APPROVED = "PROVIDER_NOT_APPROVED"
    PROVIDER_SUSPENDED = "PROVIDER_SUSPENDED"
    # Members
    LAST_OWNER = "LAST_OWNER"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    PHONE_NOT_BOUND = "PHONE_NOT_BOUND"
    INVITATION_EXPIRED = "INVITATION_EXPIRED"
    INVITATION_CANCELLED = "INVITATION_CANCELLED"
    # Services
    INVALID_DESCRIPTION = "INVALID_DESCRIPTION"
    INVALID_HOURS = "INVALID_HOURS"
    UNKNOWN_THEME = "UNKNOWN_THEME"
    UNKNOWN_REGION = "UNKNOWN_REGION"
    TOO_MANY_ITEMS = "TOO_MANY_ITEMS"
    TOO_MANY_SERVICES = "TOO_MANY_SERVICES"
    INVALID_LINK = "INVALID_LINK"
    LINK_DOMAIN_NOT_ALLOWED = "LINK_DOMAIN_NOT_ALLOWED"
    INVALID_APP_ID = "INVALID_APP_ID"
    CONTENT_RISKY = "CONTENT_RISKY"
    CONTENT_CHECK_PENDING = "CONTENT_CHECK_PENDING"
    # API keys and webhooks
    INVALID_SCOPE = "INVALID_SCOPE"
    INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"
    INVALID_API_KEY = "INVALID_API_KEY"
    TOO_MANY_KEYS = "TOO_MANY_KEYS"
    INVALID_URL = "INVALID_URL"
    URL_NOT_ALLOWED = "URL_NOT_ALLOWED"
    UNKNOWN_EVENT = "UNKNOWN_EVENT"
    TOO_MANY_WEBHOOKS = "TOO_MANY_WEBHOOKS"
    # Hand-offs
    INVALID_FIELDS = "INVALID_FIELDS"
    NAME_UNAVAILABLE = "NAME_UNAVAILABLE"
    PHONE_UNAVAILABLE = "PHONE_UNAVAILABLE"
    INVALID_CODE = "INVALID_CODE"


class ProviderError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        ProviderErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        ProviderErrorCode.UNAUTHENTICATED: "请先登录。",
        ProviderErrorCode.FORBIDDEN: "您没有进行此操作的权限。",
        ProviderErrorCode.NOT_FOUND: "找不到该对象，或您无权访问。",
        ProviderErrorCode.RATE_LIMITED: "操作过于频繁，请稍后再试。",
        ProviderErrorCode.SERVICE_UNAVAILABLE: "服务暂时不可用，请稍后再试。",
        ProviderErrorCode.CONFLICT: "该对象刚被其他操作修改，请刷新后重试。",
        ProviderErrorCode.INVALID_STATE: "当前状态下不能进行此操作。",
        ProviderErrorCode.REASON_REQUIRED: "请填写原因（不超过 200 字）。",
        ProviderErrorCode.INVALID_NAME: "名称应为 2 至 40 个字符（机构名称不超过 64 个字符）。",
        ProviderErrorCode.INVALID_CREDIT_CODE: "统一社会信用代码不正确，请核对后重新输入。",
        ProviderErrorCode.CREDIT_CODE_TAKEN: "该统一社会信用代码已有机构注册。",
        ProviderErrorCode.INVALID_CONTACT_NAME: "请输入联系人的真实姓名。",
        ProviderErrorCode.INVALID_PHONE: "请输入正确的电话号码。",
        ProviderErrorCode.PROVIDER_REQUIRED: "您属于多个服务机构，请指明以哪个机构的身份操作。",
        ProviderErrorCode.PROVIDER_NOT_APPROVED: "服务机构通过审核后才能进行此操作。",
        ProviderErrorCode.PROVIDER_SUSPENDED: "该服务机构已被暂停，暂停期间不能进行此操作。",
        ProviderErrorCode.LAST_OWNER: "机构至少要保留一名管理员（OWNER）。",
        ProviderErrorCode.ALREADY_MEMBER: "您已是该服务机构的成员。",
        ProviderErrorCode.PHONE_NOT_BOUND: "请先绑定受邀的手机号，再接受邀请。",
        ProviderErrorCode.INVITATION_EXPIRED: "该邀请已过期或已被使用，请联系机构管理员重新邀请。",
        ProviderErrorCode.INVITATION_CANCELLED: "该邀请已被机构管理员撤回。",
        ProviderErrorCode.INVALID_DESCRIPTION: "服务介绍应为 10 至 1000 个字符。",
        ProviderErrorCode.INVALID_HOURS: "服务时间不超过 100 个字符。",
        ProviderErrorCode.UNKNOWN_THEME: "找不到该主题。",
        ProviderErrorCode.UNKNOWN_REGION: "找不到该行政区划，或该区划不在成都市范围内。",
        ProviderErrorCode.TOO_MANY_ITEMS: "所列项目超过上限。",
        ProviderErrorCode.TOO_MANY_SERVICES: "该机构的服务数量已达上限。",
        ProviderErrorCode.INVALID_LINK: "服务链接格式不正确。",
        ProviderErrorCode.LINK_DOMAIN_NOT_ALLOWED: (
            "H5 链接须为 https，且域名须在平台允许的名单内。"
        ),
        ProviderErrorCode.INVALID_APP_ID: "小程序 AppID 应为 wx 开头的 18 位字符。",
        ProviderErrorCode.CONTENT_RISKY: "服务名称或介绍含有违规内容，请修改后再提交。",
        ProviderErrorCode.CONTENT_CHECK_PENDING: "内容安全检测尚未完成，请稍后再审核。",
        ProviderErrorCode.INVALID_SCOPE: "请选择有效的权限范围。",
        ProviderErrorCode.INSUFFICIENT_SCOPE: "该 API 密钥没有此操作的权限范围。",
        ProviderErrorCode.INVALID_API_KEY: "API 密钥无效或已被吊销。",
        ProviderErrorCode.TOO_MANY_KEYS: "有效的 API 密钥数量已达上限，请先吊销不用的密钥。",
        ProviderErrorCode.INVALID_URL: "地址格式不正确（生产环境须为 https）。",
        ProviderErrorCode.URL_NOT_ALLOWED: "不能向内网、本机或保留地址发送回调。",
        ProviderErrorCode.UNKNOWN_EVENT: "不支持该事件类型。",
        ProviderErrorCode.TOO_MANY_WEBHOOKS: "回调地址数量已达上限。",
        ProviderErrorCode.INVALID_FIELDS: "请选择要共享的信息（姓名、手机号）。",
        ProviderErrorCode.NAME_UNAVAILABLE: "完成实名认证后才能共享姓名。",
        ProviderErrorCode.PHONE_UNAVAILABLE: "绑定手机号后才能共享手机号。",
        ProviderErrorCode.INVALID_CODE: "授权码无效、已使用、已过期或已被撤回。",
    }
