"""Sign-in and account mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

import strawberry

from resolvers.accounts import service, sessions, staff, verification
from resolvers.accounts.events import AccountEvent, publish_account_event
from resolvers.policy import Action
from schema.accounts.types import (
    Account,
    BindWeChatPhoneInput,
    BindWeChatPhoneResult,
    GrantStaffRoleInput,
    GrantStaffRoleResult,
    IdentityVerification,
    LoginStaffInput,
    LoginStaffResult,
    LoginTerminalInput,
    LoginTerminalResult,
    LoginWithSmsInput,
    LoginWithSmsResult,
    LoginWithWeChatInput,
    LoginWithWeChatResult,
    LogoutInput,
    LogoutResult,
    RefreshSessionInput,
    RefreshSessionResult,
    RequestSmsCodeInput,
    RequestSmsCodeResult,
    RevokeStaffRoleInput,
    RevokeStaffRoleResult,
    Session,
    SignedOut,
    SmsCodeSent,
    StaffAccountUnlocked,
    StaffRoleChanged,
    StartIdentityVerificationInput,
    StartIdentityVerificationResult,
    UnlockStaffAccountInput,
    UnlockStaffAccountResult,
    VerifyIdentityInput,
    VerifyIdentityResult,
)
from schema.authorised import authorised
from schema.context import Info, client_of


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_LOGIN_WECHAT),
        name="loginWithWeChat",
        description="Signs in with a `wx.login` code; creates the account on first use.",
    )
    async def login_with_we_chat(
        self, info: Info, input: LoginWithWeChatInput
    ) -> LoginWithWeChatResult:
        issued = await service.login_with_wechat(
            info.context.resources, input.code, client_of(info)
        )
        return Session.of(issued)

    @strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_BIND_WECHAT_PHONE),
        name="bindWeChatPhone",
        description="Binds the phone number WeChat vouches for to the signed-in account.",
    )
    async def bind_we_chat_phone(
        self, info: Info, input: BindWeChatPhoneInput
    ) -> BindWeChatPhoneResult:
        account = await service.bind_wechat_phone(
            info.context.resources, info.context.principal, input.code, client_of(info)
        )
        return Account.of(account)

    @strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_REQUEST_SMS_CODE),
        description="Sends a sign-in code by SMS (app sign-in).",
    )
    async def request_sms_code(
        self, info: Info, input: RequestSmsCodeInput
    ) -> RequestSmsCodeResult:
        sent = await service.request_sms_code(info.context.resources, input.phone, client_of(info))
        return SmsCodeSent.of(sent)

    @strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_LOGIN_SMS),
        description="Signs in with the SMS code; creates the account on first use.",
    )
    async def login_with_sms(self, info: Info, input: LoginWithSmsInput) -> LoginWithSmsResult:
        issued = await service.login_with_sms(
            info.context.resources, input.phone, input.code, client_of(info)
        )
        return Session.of(issued)

    @strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_REFRESH_SESSION),
        description="Exchanges a refresh token (once) for a new token and refresh token.",
    )
    async def refresh_session(self, info: Info, input: RefreshSessionInput) -> RefreshSessionResult:
        issued = await sessions.refresh(info.context.resources, input.refresh_token)
        return Session.of(issued)

    @strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_LOGOUT),
        description="Ends this session, or all of them.",
    )
    async def logout(self, info: Info, input: LogoutInput) -> LogoutResult:
        principal = info.context.principal
        ended = await sessions.revoke(
            info.context.resources, principal, all_devices=input.all_devices
        )
        if input.all_devices and principal.account_id:
            await publish_account_event(
                info.context.resources, principal.account_id, AccountEvent.SIGNED_OUT_EVERYWHERE
            )
        return SignedOut(sessions_ended=ended)

    @strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_START_IDENTITY_VERIFICATION),
        description=(
            "Starts real-name verification: checks the name and GB 11643 number, and opens a "
            "face check with WeChat (mini-program) or the real-name relay (app). Limited per "
            "account and per number each day (RATE_LIMITED with retryAfterSeconds)."
        ),
    )
    async def start_identity_verification(
        self, info: Info, input: StartIdentityVerificationInput
    ) -> StartIdentityVerificationResult:
        started = await verification.start_identity_verification(
            info.context.resources,
            info.context.principal,
            input.name,
            input.id_number,
            client_of(info),
        )
        return IdentityVerification.of(started)

    @strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_VERIFY_IDENTITY),
        description=(
            "Binds the identity once the face check of `verifyId` passed, as the provider (not "
            "the client) reports it; asking again answers the same. A number bound to another "
            "account moves here, and that account is told in its inbox."
        ),
    )
    async def verify_identity(self, info: Info, input: VerifyIdentityInput) -> VerifyIdentityResult:
        account = await verification.verify_identity(
            info.context.resources, info.context.principal, input.verify_id, client_of(info)
        )
        return Account.of(account)

    @strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_LOGIN_TERMINAL),
        description="A self-service terminal signs in with its device credential.",
    )
    async def login_terminal(self, info: Info, input: LoginTerminalInput) -> LoginTerminalResult:
        issued = await service.login_terminal(
            info.context.resources, input.code, input.credential, client_of(info)
        )
        return Session.of(issued)

    @strawberry.mutation(
        extensions=authorised(Action.ACCOUNT_LOGIN_STAFF),
        description=(
            "Staff sign-in: password and TOTP. Failures slow down the address they come "
            "from: after 5 (by default), each further attempt from it waits 1 s, doubling up "
            "to 5 minutes (RATE_LIMITED with retryAfterSeconds). Failures from many "
            "addresses lock the account for everyone (ACCOUNT_LOCKED, 15 minutes by default) "
            "unless an ADMIN unlocks it. An unknown username answers exactly like a wrong "
            "password. Retry SERVICE_BUSY and SERVICE_UNAVAILABLE after retryAfterSeconds."
        ),
    )
    async def login_staff(self, info: Info, input: LoginStaffInput) -> LoginStaffResult:
        issued = await service.login_staff(
            info.context.resources, input.username, input.password, input.otp, client_of(info)
        )
        return Session.of(issued)

    @strawberry.mutation(
        extensions=authorised(Action.STAFF_UNLOCK),
        description=(
            "ADMIN: lifts a staff account's sign-in lock and forgets the failed attempts "
            "counted against it (audited)."
        ),
    )
    async def unlock_staff_account(
        self, info: Info, input: UnlockStaffAccountInput
    ) -> UnlockStaffAccountResult:
        unlocked = await service.unlock_staff_account(
            info.context.resources, info.context.principal, input.username, client_of(info)
        )
        return StaffAccountUnlocked.of(unlocked)

    @strawberry.mutation(
        extensions=authorised(Action.STAFF_ROLE_GRANT),
        description=(
            "ADMIN: gives a staff account a role on top of STAFF (REVIEWER: reviews providers "
            "and their services); audited, in effect from the account's next request."
        ),
    )
    async def grant_staff_role(
        self, info: Info, input: GrantStaffRoleInput
    ) -> GrantStaffRoleResult:
        change = await staff.change_role(
            info.context.resources,
            info.context.principal,
            input.username,
            input.role,
            grant=True,
            client=client_of(info),
        )
        return StaffRoleChanged.of(change)

    @strawberry.mutation(
        extensions=authorised(Action.STAFF_ROLE_REVOKE),
        description="ADMIN: takes a role granted with grantStaffRole away again (audited).",
    )
    async def revoke_staff_role(
        self, info: Info, input: RevokeStaffRoleInput
    ) -> RevokeStaffRoleResult:
        change = await staff.change_role(
            info.context.resources,
            info.context.principal,
            input.username,
            input.role,
            grant=False,
            client=client_of(info),
        )
        return StaffRoleChanged.of(change)
