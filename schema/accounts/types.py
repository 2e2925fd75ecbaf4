"""Accounts, sessions and the sign-in mutations' inputs, results and errors."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated, Self

import strawberry
from strawberry import relay

from resolvers.accounts.errors import AccountErrorCode
from resolvers.accounts.events import AccountEvent
from resolvers.accounts.service import SmsCodeSent as _SmsCodeSent
from resolvers.accounts.service import StaffUnlocked
from resolvers.accounts.sessions import IssuedSession
from resolvers.accounts.staff import RoleChange
from resolvers.accounts.verification import VerificationStarted
from schema.catalogue.types import Department, Region
from schema.context import Info
from schema.cost import bounded
from schema.errors import UserError
from storage.models import accounts as models
from storage.models.accounts import IdentityChannel, Role


def _deprecate(enum: type[Enum], name: str, reason: str) -> None:
    """Marks one value of an exposed enum deprecated (the enum itself stays strawberry-free)."""
    for value in getattr(enum, "__strawberry_definition__").values:  # noqa: B009
        if value.name == name:
            value.deprecation_reason = reason


# Enums are defined once (models, domain errors) and exposed here.
strawberry.enum(Role)
strawberry.enum(AccountErrorCode)
_deprecate(
    AccountErrorCode,
    "ID_NUMBER_IN_USE",
    "No longer answered: it told anyone whether a number was registered. A number bound to "
    "another account moves to whoever passes the face check.",
)
strawberry.enum(
    AccountEvent, description="Changes of the signed-in account, for the resident's other devices"
)
strawberry.enum(IdentityChannel, description="Who checks the resident's face")


@strawberry.type(
    description=(
        "A signed-in person, officer, provider member or device. Personal data is only ever "
        "returned masked: no field returns a raw phone or ID number."
    )
)
class Account(relay.Node):
    id: relay.NodeID[str]
    roles: list[Role] = strawberry.field(directives=bounded(len(Role)), description="Each once.")
    phone_masked: str | None = strawberry.field(description="e.g. 138****0000")
    real_name_verified: bool
    name_masked: str | None = strawberry.field(description="e.g. 张*")
    id_number_masked: str | None = strawberry.field(description="e.g. 5101**********123X")
    username: str | None = strawberry.field(description="staff sign-in name")
    display_name: str | None
    created_at: datetime
    _model: strawberry.Private[models.Account]

    @classmethod
    def of(cls, model: models.Account) -> Self:
        return cls(
            id=str(model.id),
            roles=[Role(role) for role in dict.fromkeys(model.roles)],
            phone_masked=model.phone_masked,
            real_name_verified=model.identity_verified_at is not None,
            name_masked=model.name_masked,
            id_number_masked=model.id_number_masked,
            username=model.username,
            display_name=model.display_name,
            created_at=model.created_at,
            _model=model,
        )

    @strawberry.field(description="The department of a staff member.")
    async def department(self, info: Info) -> Department | None:
        if self._model.department_id is None:
            return None
        department = await info.context.loaders.department.load(self._model.department_id)
        return Department.of(department) if department else None

    @strawberry.field(description="The region a staff member works for.")
    async def region(self, info: Info) -> Region | None:
        if self._model.region_id is None:
            return None
        region = await info.context.loaders.region.load(self._model.region_id)
        return Region.of(region) if region else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        # Only one's own account is visible through node(id): never another person's.
        own = str(info.context.principal.account_id)
        results: list[Self | None] = []
        for node_id in node_ids:
            account = (
                await info.context.loaders.account.load(info.context.principal.account_id)
                if node_id == own and info.context.principal.account_id
                else None
            )
            results.append(cls.of(account) if account else None)
        return results


@strawberry.type(description="The result of every sign-in: keep `refreshToken` in secure storage.")
class Session:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    refresh_token: str = strawberry.field(
        description="One use only: `refreshSession` returns a new one with the new token."
    )
    expires_at: datetime = strawberry.field(description="When `token` stops working.")
    refresh_expires_at: datetime = strawberry.field(
        description="When the session ends for good; refreshing does not extend it."
    )
    account: Account

    @classmethod
    def of(cls, issued: IssuedSession) -> Self:
        return cls(
            token=issued.token,
            refresh_token=issued.refresh_token,
            expires_at=issued.expires_at,
            refresh_expires_at=issued.refresh_expires_at,
            account=Account.of(issued.account),
        )


@strawberry.type(
    description="A code is on its way (the same answer whether or not an account exists)."
)
class SmsCodeSent:
    expires_at: datetime
    resend_after_seconds: int

    @classmethod
    def of(cls, sent: _SmsCodeSent) -> Self:
        return cls(expires_at=sent.expires_at, resend_after_seconds=sent.resend_after_seconds)


@strawberry.type(
    description=(
        "A face check to complete, then confirm with `verifyIdentity(input: {verifyId})`. The "
        "answer is the same whether or not the ID number is registered to any account."
    )
)
class IdentityVerification:
    verify_id: str = strawberry.field(
        description=(
            "Mini-program: pass it to `wx.requestFacialVerify({verifyId})`; app: the relay's "
            "session. At most 256 characters."
        )
    )
    expires_at: datetime = strawberry.field(
        description="Complete the face check and call `verifyIdentity` before this."
    )
    channel: IdentityChannel
    link: str | None = strawberry.field(
        description="App accounts: open this (the relay's page or app) for the face check."
    )

    @classmethod
    def of(cls, started: VerificationStarted) -> Self:
        return cls(
            verify_id=started.verify_id,
            expires_at=started.expires_at,
            channel=started.channel,
            link=started.link,
        )


@strawberry.type
class SignedOut:
    sessions_ended: int


@strawberry.type(description="A staff account's sign-in lock is lifted and its failures forgotten.")
class StaffAccountUnlocked:
    account: Account
    was_locked: bool = strawberry.field(
        description="Whether the account was locked for every address (not just slowed down)."
    )

    @classmethod
    def of(cls, unlocked: StaffUnlocked) -> Self:
        return cls(account=Account.of(unlocked.account), was_locked=unlocked.was_locked)


@strawberry.type(description="A staff account's roles after a grant or a revocation.")
class StaffRoleChanged:
    account: Account
    changed: bool = strawberry.field(
        description="False when the account already had (or already lacked) the role."
    )

    @classmethod
    def of(cls, change: RoleChange) -> Self:
        return cls(account=Account.of(change.account), changed=change.changed)


# -- inputs


@strawberry.input
class LoginWithWeChatInput:
    code: str = strawberry.field(description="What `wx.login` returned: one use, five minutes.")


@strawberry.input
class BindWeChatPhoneInput:
    code: str = strawberry.field(description="What the getPhoneNumber button returned.")


@strawberry.input
class RequestSmsCodeInput:
    phone: str = strawberry.field(
        description="A mainland mobile number. One code a minute, 10 a day per phone."
    )


@strawberry.input
class LoginWithSmsInput:
    phone: str
    code: str = strawberry.field(description="6 digits, valid 5 minutes, 5 attempts.")


@strawberry.input
class RefreshSessionInput:
    refresh_token: str


@strawberry.input
class LogoutInput:
    all_devices: bool = strawberry.field(
        default=False, description="End every session of the account, not just this one."
    )


@strawberry.input
class StartIdentityVerificationInput:
    name: str = strawberry.field(description="As printed on the ID card.")
    id_number: str = strawberry.field(description="18-character resident ID number (GB 11643).")


@strawberry.input
class VerifyIdentityInput:
    verify_id: str | None = strawberry.field(
        default=None,
        description="From `startIdentityVerification`, once the face check is done.",
    )
    name: str | None = strawberry.field(
        default=None,
        deprecation_reason=(
            "A name and number alone prove nothing: start with `startIdentityVerification`, "
            "then send `verifyId`. Without it the answer is VERIFICATION_REQUIRED."
        ),
    )
    id_number: str | None = strawberry.field(
        default=None,
        deprecation_reason=(
            "A name and number alone prove nothing: start with `startIdentityVerification`, "
            "then send `verifyId`. Without it the answer is VERIFICATION_REQUIRED."
        ),
    )


@strawberry.input(description="A self-service terminal signs in with its device credential.")
class LoginTerminalInput:
    code: str
    credential: str


@strawberry.input
class LoginStaffInput:
    username: str
    password: str
    otp: str | None = strawberry.field(
        default=None, description="6-digit TOTP code; required in production."
    )


@strawberry.input
class UnlockStaffAccountInput:
    username: str = strawberry.field(description="The staff member's sign-in name.")


@strawberry.input
class GrantStaffRoleInput:
    username: str = strawberry.field(description="The staff member's sign-in name.")
    role: Role = strawberry.field(description="REVIEWER: reviews providers and their services.")


@strawberry.input
class RevokeStaffRoleInput:
    username: str = strawberry.field(description="The staff member's sign-in name.")
    role: Role


# -- errors and results


@strawberry.type
class LoginWithWeChatError(UserError):
    code: AccountErrorCode


@strawberry.type
class BindWeChatPhoneError(UserError):
    code: AccountErrorCode


@strawberry.type
class RequestSmsCodeError(UserError):
    code: AccountErrorCode


@strawberry.type
class LoginWithSmsError(UserError):
    code: AccountErrorCode


@strawberry.type
class RefreshSessionError(UserError):
    code: AccountErrorCode


@strawberry.type
class LogoutError(UserError):
    code: AccountErrorCode


@strawberry.type
class StartIdentityVerificationError(UserError):
    code: AccountErrorCode


@strawberry.type
class VerifyIdentityError(UserError):
    code: AccountErrorCode


@strawberry.type
class LoginStaffError(UserError):
    code: AccountErrorCode


@strawberry.type
class LoginTerminalError(UserError):
    code: AccountErrorCode


@strawberry.type
class UnlockStaffAccountError(UserError):
    code: AccountErrorCode


LoginWithWeChatResult = Annotated[
    Session | LoginWithWeChatError, strawberry.union("LoginWithWeChatResult")
]
BindWeChatPhoneResult = Annotated[
    Account | BindWeChatPhoneError, strawberry.union("BindWeChatPhoneResult")
]
RequestSmsCodeResult = Annotated[
    SmsCodeSent | RequestSmsCodeError, strawberry.union("RequestSmsCodeResult")
]
LoginWithSmsResult = Annotated[Session | LoginWithSmsError, strawberry.union("LoginWithSmsResult")]
RefreshSessionResult = Annotated[
    Session | RefreshSessionError, strawberry.union("RefreshSessionResult")
]
LogoutResult = Annotated[SignedOut | LogoutError, strawberry.union("LogoutResult")]
StartIdentityVerificationResult = Annotated[
    IdentityVerification | StartIdentityVerificationError,
    strawberry.union("StartIdentityVerificationResult"),
]
VerifyIdentityResult = Annotated[
    Account | VerifyIdentityError, strawberry.union("VerifyIdentityResult")
]
LoginStaffResult = Annotated[Session | LoginStaffError, strawberry.union("LoginStaffResult")]
LoginTerminalResult = Annotated[
    Session | LoginTerminalError, strawberry.union("LoginTerminalResult")
]


@strawberry.type
class GrantStaffRoleError(UserError):
    code: AccountErrorCode


@strawberry.type
class RevokeStaffRoleError(UserError):
    code: AccountErrorCode


GrantStaffRoleResult = Annotated[
    StaffRoleChanged | GrantStaffRoleError, strawberry.union("GrantStaffRoleResult")
]
RevokeStaffRoleResult = Annotated[
    StaffRoleChanged | RevokeStaffRoleError, strawberry.union("RevokeStaffRoleResult")
]
UnlockStaffAccountResult = Annotated[
    StaffAccountUnlocked | UnlockStaffAccountError, strawberry.union("UnlockStaffAccountResult")
]
