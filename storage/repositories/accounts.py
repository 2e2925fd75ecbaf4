"""Queries on accounts, sessions and the audit trail (the only place they are written)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from storage.models.accounts import (
    Account,
    AuditEvent,
    AuthSession,
    IdentityVerification,
    Role,
    VerificationStatus,
)
from storage.models.catalogue import Terminal, TerminalStatus


async def by_id(account_id: UUID) -> Account | None:
    return await Account.get_or_none(id=account_id)


async def by_ids(account_ids: list[UUID]) -> list[Account]:
    return await Account.filter(id__in=account_ids)


async def by_wechat(openid: str, unionid: str | None) -> Account | None:
    if unionid:
        account = await Account.get_or_none(wechat_unionid=unionid)
        if account is not None:
            return account
    return await Account.get_or_none(wechat_openid=openid)


async def by_phone_index(phone_index: str) -> Account | None:
    return await Account.get_or_none(phone_index=phone_index)


async def by_id_number_index(id_number_index: str) -> Account | None:
    return await Account.get_or_none(id_number_index=id_number_index)


async def by_username(username: str) -> Account | None:
    return await Account.get_or_none(username=username)


async def create_resident(**fields: Any) -> Account:
    return await Account.create(roles=[Role.RESIDENT.value], **fields)


async def create_staff(username: str, roles: Sequence[str], **fields: Any) -> Account:
    """A staff account (its roles hold STAFF, and ADMIN or REVIEWER where given)."""
    return await Account.create(username=username, roles=list(roles), **fields)


async def create_terminal_account(**fields: Any) -> Account:
    """The account a self-service terminal signs in as (its credential is the terminal's)."""
    return await Account.create(roles=[Role.TERMINAL.value], **fields)


async def update_fields(account_id: UUID, **fields: Any) -> int:
    return await Account.filter(id=account_id).update(**fields)


# Every column of the real-name identity, as an account without one has them.
NO_IDENTITY: dict[str, Any] = {
    "name_sealed": None,
    "name_masked": None,
    "id_number_sealed": None,
    "id_number_index": None,
    "id_number_masked": None,
    "identity_verified_at": None,
}


async def locked(account_id: UUID) -> Account | None:
    """The account row, locked until the caller's transaction ends."""
    return await Account.filter(id=account_id).select_for_update().first()


async def locked_holder_of_id_number(id_number_index: str) -> Account | None:
    """The account the number is bound to, locked until the caller's transaction ends."""
    return await Account.filter(id_number_index=id_number_index).select_for_update().first()


async def claim_otp_counter(account_id: UUID, counter: int) -> bool:
    """Records a used TOTP step; False if it (or a later one) was already used: no replay."""
    fresh = await Account.filter(id=account_id, last_otp_counter__isnull=True).update(
        last_otp_counter=counter
    )
    if fresh:
        return True
    return (
        await Account.filter(id=account_id, last_otp_counter__lt=counter).update(
            last_otp_counter=counter
        )
        == 1
    )


@dataclass(frozen=True, slots=True)
class DeviceCredential:
    account_id: UUID
    credential_hash: str
    retired: bool


async def terminal_by_code(code: str) -> DeviceCredential | None:
    row = await Terminal.get_or_none(code=code)
    if row is None:
        return None
    return DeviceCredential(
        row.account_id, row.credential_hash, row.status is TerminalStatus.RETIRED
    )


# -- real-name verifications


async def create_verification(**fields: Any) -> IdentityVerification:
    return await IdentityVerification.create(**fields)


async def verification_by_verify_id(verify_id: str) -> IdentityVerification | None:
    return await IdentityVerification.get_or_none(verify_id=verify_id)


async def lock_verifications_of_number(id_number_index: str) -> None:
    """Locks every verification of one number, in one order: binds of the same number (each
    has its verification among them) then run one after the other, and see each other's
    outcome instead of colliding on the account's unique index."""
    # `only`, not `values_list`: Tortoise drops FOR UPDATE from values queries.
    await (
        IdentityVerification.filter(id_number_index=id_number_index)
        .order_by("id")
        .select_for_update()
        .only("id")
    )


async def locked_verification(verification_id: UUID) -> IdentityVerification | None:
    return await IdentityVerification.filter(id=verification_id).select_for_update().first()


async def count_verification_check(verification_id: UUID) -> int:
    """One more question to the provider about a pending verification; the new count."""
    await IdentityVerification.filter(id=verification_id, status=VerificationStatus.PENDING).update(
        checks=F("checks") + 1
    )
    rows = await IdentityVerification.filter(id=verification_id).values_list("checks", flat=True)
    return int(str(rows[0])) if rows else 0


async def finish_verification(
    verification_id: UUID, status: VerificationStatus, *, result_code: str | None, at: datetime
) -> bool:
    """Moves a pending verification to its outcome; False when it had one already."""
    updated = await IdentityVerification.filter(
        id=verification_id, status=VerificationStatus.PENDING
    ).update(status=status, result_code=result_code, finished_at=at)
    return updated == 1


# -- sessions


async def create_session(**fields: Any) -> AuthSession:
    return await AuthSession.create(**fields)


async def live_session_by_access(access_hash: str, now: datetime) -> AuthSession | None:
    return (
        await AuthSession.filter(
            access_hash=access_hash, revoked_at__isnull=True, access_expires_at__gt=now
        )
        .select_related("account")
        .first()
    )


async def session_for_refresh(refresh_hash: str) -> AuthSession | None:
    """The session whose current refresh token this is, locked for rotation, with its account
    (fetched apart: PostgreSQL cannot lock the nullable side of the join)."""
    session = await AuthSession.filter(refresh_hash=refresh_hash).select_for_update().first()
    if session is not None:
        session.account = await Account.get(id=session.account_id)
    return session


async def session_by_previous_refresh(refresh_hash: str) -> AuthSession | None:
    return await AuthSession.filter(previous_refresh_hash=refresh_hash).first()


async def rotate_session(session_id: UUID, **fields: Any) -> None:
    await AuthSession.filter(id=session_id).update(**fields)


async def revoke_session(session_id: UUID, at: datetime) -> str | None:
    """Revokes one session; returns its access hash so the caller can drop it from the cache."""
    session = await AuthSession.get_or_none(id=session_id, revoked_at__isnull=True)
    if session is None:
        return None
    await AuthSession.filter(id=session_id).update(revoked_at=at)
    return session.access_hash


async def revoke_all_sessions(account_id: UUID, at: datetime) -> list[str]:
    hashes = await AuthSession.filter(account_id=account_id, revoked_at__isnull=True).values_list(
        "access_hash", flat=True
    )
    await AuthSession.filter(account_id=account_id, revoked_at__isnull=True).update(revoked_at=at)
    return [str(h) for h in hashes]


async def purge_sessions_ended_before(cutoff: datetime) -> int:
    """Deletes the sessions whose refresh token expired before the cutoff; how many."""
    return await AuthSession.filter(refresh_expires_at__lt=cutoff).delete()


# -- audit


async def audit(
    action: str,
    *,
    success: bool,
    actor_id: UUID | None = None,
    detail: str = "",
    request_id: str = "",
) -> None:
    await AuditEvent.create(
        action=action, success=success, actor_id=actor_id, detail=detail, request_id=request_id
    )


async def set_role(account_id: UUID, role: str, *, present: bool) -> list[str] | None:
    """Adds (`present`) or removes one role, under the row's lock so that two changes at once
    both land; the roles before the change, or None for an unknown account."""
    async with in_transaction():
        account = await Account.filter(id=account_id).select_for_update().first()
        if account is None:
            return None
        before = list(account.roles)
        after = [r for r in before if r != role] + ([role] if present else [])
        if sorted(after) != sorted(before):
            await Account.filter(id=account_id).update(roles=after)
    return before


async def live_access_hashes(account_ids: Sequence[UUID], now: datetime) -> list[str]:
    """The access-token hashes of the accounts' live sessions (their cache keys)."""
    hashes = await AuthSession.filter(
        account_id__in=list(account_ids), revoked_at__isnull=True, access_expires_at__gt=now
    ).values_list("access_hash", flat=True)
    return [str(h) for h in hashes]
