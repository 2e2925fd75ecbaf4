"""Error codes and zh-CN messages of sign-in, sessions and identity."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class AccountErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    SERVICE_BUSY = "SERVICE_BUSY"
    # WeChat
    INVALID_WECHAT_CODE = "INVALID_WECHAT_CODE"
    WECHAT_CODE_USED = "WECHAT_CODE_USED"
    WECHAT_LOGIN_BLOCKED = "WECHAT_LOGIN_BLOCKED"
    WECHAT_RATE_LIMITED = "WECHAT_RATE_LIMITED"
    WECHAT_UNAVAILABLE = "WECHAT_UNAVAILABLE"
    NOT_A_WECHAT_ACCOUNT = "NOT_A_WECHAT_ACCOUNT"
    # Phone and SMS
    INVALID_PHONE = "INVALID_PHONE"
    PHONE_IN_USE = "PHONE_IN_USE"
    SMS_UNAVAILABLE = "SMS_UNAVAILABLE"
    INVALID_SMS_CODE = "INVALID_SMS_CODE"
    SMS_CODE_EXPIRED = "SMS_CODE_EXPIRED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    # Identity
    INVALID_NAME = "INVALID_NAME"
    INVALID_ID_NUMBER = "INVALID_ID_NUMBER"
    # No longer answered: it told anyone whether a number was registered (see the schema).
    ID_NUMBER_IN_USE = "ID_NUMBER_IN_USE"
    IDENTITY_ALREADY_VERIFIED = "IDENTITY_ALREADY_VERIFIED"
    VERIFICATION_REQUIRED = "VERIFICATION_REQUIRED"
    VERIFICATION_NOT_FOUND = "VERIFICATION_NOT_FOUND"
    VERIFICATION_PENDING = "VERIFICATION_PENDING"
    VERIFICATION_FAILED = "VERIFICATION_FAILED"
    VERIFICATION_CANCELLED = "VERIFICATION_CANCELLED"
    VERIFICATION_EXPIRED = "VERIFICATION_EXPIRED"
    IDENTITY_MISMATCH = "IDENTITY_MISMATCH"
    VERIFICATION_UNAVAILABLE = "VERIFICATION_UNAVAILABLE"
    # Staff and sessions
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    OTP_REQUIRED = "OTP_REQUIRED"
    INVALID_OTP = "INVALID_OTP"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    UNKNOWN_STAFF_ACCOUNT = "UNKNOWN_STAFF_ACCOUNT"
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"  # noqa: S105 (an error code)
    ROLE_NOT_GRANTABLE = "ROLE_NOT_GRANTABLE"


class AccountError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        AccountErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        AccountErrorCode.UNAUTHENTICATED: "请先登录。",
        AccountErrorCode.FORBIDDEN: "您没有进行此操作的权限。",
        AccountErrorCode.RATE_LIMITED: "操作过于频繁，请稍后再试。",
        AccountErrorCode.SERVICE_UNAVAILABLE: "服务暂时不可用，请稍后再试。",
        AccountErrorCode.SERVICE_BUSY: "系统繁忙，请稍后再试。",
        AccountErrorCode.INVALID_WECHAT_CODE: "微信登录凭证无效或已过期，请重新登录。",
        AccountErrorCode.WECHAT_CODE_USED: "微信登录凭证已被使用，请重新登录。",
        AccountErrorCode.WECHAT_LOGIN_BLOCKED: "微信判定当前账号存在风险，暂时无法登录。",
        AccountErrorCode.WECHAT_RATE_LIMITED: "微信接口调用过于频繁，请一分钟后再试。",
        AccountErrorCode.WECHAT_UNAVAILABLE: "暂时无法连接微信，请稍后再试。",
        AccountErrorCode.NOT_A_WECHAT_ACCOUNT: "当前账号未通过微信登录，无法获取微信手机号。",
        AccountErrorCode.INVALID_PHONE: "请输入正确的中国大陆手机号码。",
        AccountErrorCode.PHONE_IN_USE: "该手机号已绑定其他账号，请使用短信验证码登录该账号。",
        AccountErrorCode.SMS_UNAVAILABLE: "短信发送失败，请稍后再试。",
        AccountErrorCode.INVALID_SMS_CODE: "验证码不正确。",
        AccountErrorCode.SMS_CODE_EXPIRED: "验证码已过期或未发送，请重新获取。",
        AccountErrorCode.TOO_MANY_ATTEMPTS: "验证码错误次数过多，请重新获取。",
        AccountErrorCode.INVALID_NAME: "请输入与身份证一致的姓名。",
        AccountErrorCode.INVALID_ID_NUMBER: "身份证号码不正确，请核对后重新输入。",
        AccountErrorCode.ID_NUMBER_IN_USE: "该身份证号码已在其他账号完成实名认证。",
        AccountErrorCode.IDENTITY_ALREADY_VERIFIED: "当前账号已完成实名认证，不能更换身份信息。",
        AccountErrorCode.VERIFICATION_REQUIRED: "请先完成人脸核身：实名认证须经人脸核身确认。",
        AccountErrorCode.VERIFICATION_NOT_FOUND: "没有找到这次实名认证，请重新发起。",
        AccountErrorCode.VERIFICATION_PENDING: "人脸核身尚未完成，请完成后再试。",
        AccountErrorCode.VERIFICATION_FAILED: "人脸核身未通过，请在光线充足处重新发起实名认证。",
        AccountErrorCode.VERIFICATION_CANCELLED: "人脸核身已取消，如需实名认证请重新发起。",
        AccountErrorCode.VERIFICATION_EXPIRED: "本次实名认证已过期，请重新发起。",
        AccountErrorCode.IDENTITY_MISMATCH: (
            "人脸核身结果与填写的身份信息不一致，请核对本人姓名和身份证号码后重新发起。"
        ),
        AccountErrorCode.VERIFICATION_UNAVAILABLE: "实名核验服务暂时不可用，请稍后再试。",
        AccountErrorCode.INVALID_CREDENTIALS: "用户名或密码不正确。",
        AccountErrorCode.OTP_REQUIRED: "请输入动态验证码。",
        AccountErrorCode.INVALID_OTP: "动态验证码不正确。",
        AccountErrorCode.ACCOUNT_LOCKED: (
            "账号登录失败次数过多，已临时锁定，请稍后再试或联系管理员解锁。"
        ),
        AccountErrorCode.ACCOUNT_DISABLED: "账号已停用。",
        AccountErrorCode.UNKNOWN_STAFF_ACCOUNT: "没有使用该用户名的工作人员账号。",
        AccountErrorCode.ROLE_NOT_GRANTABLE: "该角色不能通过此操作授予或收回。",
        AccountErrorCode.INVALID_REFRESH_TOKEN: "登录状态已失效，请重新登录。",
    }
