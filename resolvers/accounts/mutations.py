"""Sign-in and account mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from resolvers.accounts import service, sessions, staff, verification
from resolvers.accounts.errors import AccountError
from resolvers.accounts.events import AccountEvent, publish_account_event
from resolvers.client import client_of
from schema.accounts import (
    Account,
    BindWeChatPhoneError,
    BindWeChatPhoneInput,
    BindWeChatPhoneResult,
    GrantStaffRoleError,
    GrantStaffRoleInput,
    GrantStaffRoleResult,
    IdentityVerification,
    LoginStaffError,
    LoginStaffInput,
    LoginStaffResult,
    LoginTerminalError,
    LoginTerminalInput,
    LoginTerminalResult,
    LoginWithSmsError,
    LoginWithSmsInput,
    LoginWithSmsResult,
    LoginWithWeChatError,
    LoginWithWeChatInput,
    LoginWithWeChatResult,
    LogoutError,
    LogoutInput,
    LogoutResult,
    RefreshSessionError,
    RefreshSessionInput,
    RefreshSessionResult,
    RequestSmsCodeError,
    RequestSmsCodeInput,
    RequestSmsCodeResult,
    RevokeStaffRoleError,
    RevokeStaffRoleInput,
    RevokeStaffRoleResult,
    Session,
    SignedOut,
    SmsCodeSent,
    StaffAccountUnlocked,
    StaffRoleChanged,
    StartIdentityVerificationError,
    StartIdentityVerificationInput,
    StartIdentityVerificationResult,
    UnlockStaffAccountError,
    UnlockStaffAccountInput,
    UnlockStaffAccountResult,
    VerifyIdentityError,
    VerifyIdentityInput,
    VerifyIdentityResult,
)
from schema.context import Info


async def login_with_wechat(info: Info, input: LoginWithWeChatInput) -> LoginWithWeChatResult:
    try:
        issued = await service.login_with_wechat(
            info.context.resources, input.code, client_of(info)
        )
    except AccountError as error:
        return LoginWithWeChatError.of(error)
    return Session.of(issued)


async def bind_wechat_phone(info: Info, input: BindWeChatPhoneInput) -> BindWeChatPhoneResult:
    try:
        account = await service.bind_wechat_phone(
            info.context.resources, info.context.principal, input.code, client_of(info)
        )
    except AccountError as error:
        return BindWeChatPhoneError.of(error)
    return Account.of(account)


async def request_sms_code(info: Info, input: RequestSmsCodeInput) -> RequestSmsCodeResult:
    try:
        sent = await service.request_sms_code(info.context.resources, input.phone, client_of(info))
    except AccountError as error:
        return RequestSmsCodeError.of(error)
    return SmsCodeSent.of(sent)


async def login_with_sms(info: Info, input: LoginWithSmsInput) -> LoginWithSmsResult:
    try:
        issued = await service.login_with_sms(
            info.context.resources, input.phone, input.code, client_of(info)
        )
    except AccountError as error:
        return LoginWithSmsError.of(error)
    return Session.of(issued)


async def refresh_session(info: Info, input: RefreshSessionInput) -> RefreshSessionResult:
    try:
        issued = await sessions.refresh(info.context.resources, input.refresh_token)
    except AccountError as error:
        return RefreshSessionError.of(error)
    return Session.of(issued)


async def logout(info: Info, input: LogoutInput) -> LogoutResult:
    principal = info.context.principal
    try:
        ended = await sessions.revoke(
            info.context.resources, principal, all_devices=input.all_devices
        )
    except AccountError as error:
        return LogoutError.of(error)
    if input.all_devices and principal.account_id:
        await publish_account_event(
            info.context.resources, principal.account_id, AccountEvent.SIGNED_OUT_EVERYWHERE
        )
    return SignedOut(sessions_ended=ended)


async def start_identity_verification(
    info: Info, input: StartIdentityVerificationInput
) -> StartIdentityVerificationResult:
    try:
        started = await verification.start_identity_verification(
            info.context.resources,
            info.context.principal,
            input.name,
            input.id_number,
            client_of(info),
        )
    except AccountError as error:
        return StartIdentityVerificationError.of(error)
    return IdentityVerification.of(started)


async def verify_identity(info: Info, input: VerifyIdentityInput) -> VerifyIdentityResult:
    try:
        account = await verification.verify_identity(
            info.context.resources, info.context.principal, input.verify_id, client_of(info)
        )
    except AccountError as error:
        return VerifyIdentityError.of(error)
    return Account.of(account)


async def login_terminal(info: Info, input: LoginTerminalInput) -> LoginTerminalResult:
    try:
        issued = await service.login_terminal(
            info.context.resources, input.code, input.credential, client_of(info)
        )
    except AccountError as error:
        return LoginTerminalError.of(error)
    return Session.of(issued)


async def login_staff(info: Info, input: LoginStaffInput) -> LoginStaffResult:
    try:
        issued = await service.login_staff(
            info.context.resources, input.username, input.password, input.otp, client_of(info)
        )
    except AccountError as error:
        return LoginStaffError.of(error)
    return Session.of(issued)


async def unlock_staff_account(
    info: Info, input: UnlockStaffAccountInput
) -> UnlockStaffAccountResult:
    try:
        unlocked = await service.unlock_staff_account(
            info.context.resources, info.context.principal, input.username, client_of(info)
        )
    except AccountError as error:
        return UnlockStaffAccountError.of(error)
    return StaffAccountUnlocked.of(unlocked)


async def grant_staff_role(info: Info, input: GrantStaffRoleInput) -> GrantStaffRoleResult:
    try:
        change = await staff.change_role(
            info.context.resources,
            info.context.principal,
            input.username,
            input.role,
            grant=True,
            client=client_of(info),
        )
    except AccountError as error:
        return GrantStaffRoleError.of(error)
    return StaffRoleChanged.of(change)


async def revoke_staff_role(info: Info, input: RevokeStaffRoleInput) -> RevokeStaffRoleResult:
    try:
        change = await staff.change_role(
            info.context.resources,
            info.context.principal,
            input.username,
            input.role,
            grant=False,
            client=client_of(info),
        )
    except AccountError as error:
        return RevokeStaffRoleError.of(error)
    return StaffRoleChanged.of(change)
