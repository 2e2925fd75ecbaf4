"""Real-name verification: a claim is bound to an account only when a face check confirms it."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from integrations.identity import (
    Claim,
    IdentityProvider,
    IdentityProviderError,
    Outcome,
    Result,
)
from resolvers.accounts.errors import AccountError, AccountErrorCode
from resolvers.accounts.events import AccountEvent, publish_account_event
from resolvers.accounts.identity import mask_id_number, mask_name, person_name, resident_id
from resolvers.accounts.service import _limit, _signed_in
from resolvers.notifications.service import enqueue_inbox
from resolvers.principal import ClientInfo, Principal
from resolvers.resources import Resources
from storage.cache import Keys, RedisError
from storage.models.accounts import (
    Account,
    IdentityChannel,
    IdentityVerification,
    VerificationStatus,
)
from storage.repositories import accounts as repo
from storage.transactions import IntegrityError, atomic

log = logging.getLogger(__name__)

_DAY = 86_400
_CHINA = timedelta(hours=8)
# Questions to the provider about one verification: enough for a client that polls while the
# resident finishes, not enough to turn us into a free oracle of the provider.
MAX_CHECKS = 20
# A finished verification the account was verified in the meantime by another one.
_ALREADY_VERIFIED = "verified"
_ANSWERS = {
    VerificationStatus.MISMATCH: AccountErrorCode.IDENTITY_MISMATCH,
    VerificationStatus.FAILED: AccountErrorCode.VERIFICATION_FAILED,
    VerificationStatus.CANCELLED: AccountErrorCode.VERIFICATION_CANCELLED,
    VerificationStatus.EXPIRED: AccountErrorCode.VERIFICATION_EXPIRED,
}
_STATUS_OF = {
    Outcome.PASSED: VerificationStatus.PASSED,
    Outcome.MISMATCH: VerificationStatus.MISMATCH,
    Outcome.FAILED: VerificationStatus.FAILED,
    Outcome.CANCELLED: VerificationStatus.CANCELLED,
    Outcome.EXPIRED: VerificationStatus.EXPIRED,
}
TAKEN_OVER_TITLE = "实名认证已转移到其他账号"
TAKEN_OVER_BODY = (
    "您在本账号登记的身份信息，已由身份证持有人本人通过人脸核身在另一账号完成实名认证，"
    "本账号的实名认证随之解除，已提交的办件不受影响。如非您本人操作，请致电12345。"
)


@dataclass(frozen=True, slots=True)
class VerificationStarted:
    verify_id: str
    expires_at: datetime
    channel: IdentityChannel
    link: str | None


def _provider(resources: Resources, channel: IdentityChannel) -> IdentityProvider:
    providers = resources.identity
    if providers is None:
        raise AccountError(AccountErrorCode.VERIFICATION_UNAVAILABLE)
    return providers.wechat if channel is IdentityChannel.WECHAT_FACE else providers.relay


async def start_identity_verification(
    resources: Resources, principal: Principal, raw_name: str, raw_id: str, client: ClientInfo
) -> VerificationStarted:
    """Opens a face check of the claimed identity with the account's provider.

    The answer is the same whether or not the number is bound to any account: nothing here
    looks at other accounts. Attempts count per account and per number, each a day.
    """
    account = await _signed_in(principal)
    name = person_name(raw_name)
    now = resources.clock()
    resident = resident_id(raw_id, today=(now + _CHINA).date())
    if account.id_number_index is not None:
        raise AccountError(AccountErrorCode.IDENTITY_ALREADY_VERIFIED)
    settings = resources.settings
    channel = (
        IdentityChannel.WECHAT_FACE if account.wechat_openid else IdentityChannel.REAL_NAME_RELAY
    )
    index = resources.keyring.blind_index(resident.number, purpose="id_number")
    limits = (
        ("identity-account", str(account.id), settings.identity_verifications_per_account_daily),
        ("identity-number", index, settings.identity_verifications_per_number_daily),
    )
    counted: list[str] = []
    for bucket, subject, limit in limits:
        try:
            await _limit(resources, bucket, subject, limit=limit, window=_DAY)
        except AccountError as error:
            await _audit_start(account, channel, f"refused: {error.code.value}", client, ok=False)
            raise
        counted.append(Keys.rate(bucket, subject))
    provider = _provider(resources, channel)
    claim = Claim(
        out_seq_no=secrets.token_urlsafe(24),  # 32 characters of [0-9A-Za-z_-]
        name=name,
        id_number=resident.number,
        openid=account.wechat_openid,
    )
    try:
        started = await provider.start(claim)
    except IdentityProviderError as error:
        log.warning("identity provider refused a start (%s): %s", error.code, error.detail)
        await _give_back(resources, counted)
        await _audit_start(account, channel, f"provider {error.code}"[:64], client, ok=False)
        raise AccountError(AccountErrorCode.VERIFICATION_UNAVAILABLE) from None
    ttl = min(started.expires_in, settings.identity_verification_ttl_seconds)
    keyring = resources.keyring
    record = await repo.create_verification(
        account_id=account.id,
        channel=channel,
        out_seq_no=claim.out_seq_no,
        verify_id=started.verify_id,
        name_sealed=keyring.seal(name, context="identity_verification.name"),
        id_number_sealed=keyring.seal(resident.number, context="identity_verification.id_number"),
        id_number_index=index,
        expires_at=now + timedelta(seconds=ttl),
    )
    await _audit_start(account, channel, f"verification {record.id}", client, ok=True)
    return VerificationStarted(
        verify_id=record.verify_id,
        expires_at=record.expires_at,
        channel=channel,
        link=started.link,
    )


async def verify_identity(
    resources: Resources, principal: Principal, raw_verify_id: str | None, client: ClientInfo
) -> Account:
    """Binds the identity of a verification the provider confirmed, asking the provider (never
    the client) for the result. Idempotent: a finished verification answers as it ended.

    A number bound to another account moves to this one: only its holder passes the face
    check, so the other account was someone claiming it, or the holder's own older account.
    """
    account = await _signed_in(principal)
    if raw_verify_id is None:
        # The old input (name and number, no face check) must never bind anything again.
        await repo.audit(
            "IDENTITY_VERIFICATION_RESULT",
            success=False,
            actor_id=account.id,
            detail="refused: no verifyId (name and number alone)",
            request_id=client.request_id,
        )
        raise AccountError(AccountErrorCode.VERIFICATION_REQUIRED, "verifyId")
    verify_id = raw_verify_id.strip()
    if not 0 < len(verify_id) <= 256 or not (verify_id.isascii() and verify_id.isprintable()):
        raise AccountError(AccountErrorCode.VERIFICATION_NOT_FOUND, "verifyId")
    record = await repo.verification_by_verify_id(verify_id)
    if record is None or record.account_id != account.id:
        # Someone else's verification is as unknown as one that never was.
        raise AccountError(AccountErrorCode.VERIFICATION_NOT_FOUND, "verifyId")
    if record.status is not VerificationStatus.PENDING:
        return await _answer(record)
    now = resources.clock()
    if now >= record.expires_at:
        await _finish(record, VerificationStatus.EXPIRED, None, now, client)
        return await _answer(await _reloaded(record))
    if await repo.count_verification_check(record.id) > MAX_CHECKS:
        await _finish(record, VerificationStatus.FAILED, "too-many-checks", now, client)
        return await _answer(await _reloaded(record))
    keyring = resources.keyring
    claim = Claim(
        out_seq_no=record.out_seq_no,
        name=keyring.open(record.name_sealed, context="identity_verification.name"),
        id_number=keyring.open(record.id_number_sealed, context="identity_verification.id_number"),
        openid=account.wechat_openid,
    )
    try:
        result = await _provider(resources, record.channel).result(claim, record.verify_id)
    except IdentityProviderError as error:
        log.warning("identity provider gave no result (%s): %s", error.code, error.detail)
        raise AccountError(AccountErrorCode.VERIFICATION_UNAVAILABLE) from None
    if result.outcome is Outcome.PENDING:
        raise AccountError(AccountErrorCode.VERIFICATION_PENDING, "verifyId")
    if result.outcome is not Outcome.PASSED:
        await _finish(record, _STATUS_OF[result.outcome], result.code, now, client)
        return await _answer(await _reloaded(record))
    return await _bind(resources, record, account, claim, result, client)


async def _bind(
    resources: Resources,
    record: IdentityVerification,
    account: Account,
    claim: Claim,
    result: Result,
    client: ClientInfo,
) -> Account:
    """In one transaction: the verification passes, the identity moves to this account (from
    any account that held it, whose owner is told in the inbox), and the audit trail says so."""
    keyring = resources.keyring
    now = resources.clock()
    fields = {
        "name_sealed": keyring.seal(claim.name, context="account.name"),
        "name_masked": mask_name(claim.name),
        "id_number_sealed": keyring.seal(claim.id_number, context="account.id_number"),
        "id_number_index": record.id_number_index,
        "id_number_masked": mask_id_number(claim.id_number),
        "identity_verified_at": now,
    }
    detail = f"{record.channel.value} {VerificationStatus.PASSED.value} {result.code}"
    taken_from: UUID | None = None
    bound = False
    for _ in range(3):
        try:
            async with atomic():
                await repo.lock_verifications_of_number(record.id_number_index)
                current = await repo.locked_verification(record.id)
                if current is None or current.status is not VerificationStatus.PENDING:
                    break  # a parallel call finished it: answer as it ended
                owner = await repo.locked(account.id)
                if owner is None:
                    break
                if owner.id_number_index not in (None, record.id_number_index):
                    # Verified by another verification meanwhile, with another number.
                    await repo.finish_verification(
                        record.id, VerificationStatus.FAILED, result_code=_ALREADY_VERIFIED, at=now
                    )
                    break
                holder = await repo.locked_holder_of_id_number(record.id_number_index)
                if holder is not None and holder.id != account.id:
                    await repo.update_fields(holder.id, **repo.NO_IDENTITY)
                    await enqueue_inbox(
                        key=f"identity:{holder.id}",
                        now=now,
                        topic="IDENTITY_TAKEN_OVER",
                        title=TAKEN_OVER_TITLE,
                        body=TAKEN_OVER_BODY,
                        subject_id=None,
                        account_ids=[holder.id],
                    )
                    await repo.audit(
                        "IDENTITY_REMOVED",
                        success=True,
                        actor_id=holder.id,
                        detail=f"taken over by account {account.id}",
                        request_id=client.request_id,
                    )
                    await repo.audit(
                        "IDENTITY_TAKEN_OVER",
                        success=True,
                        actor_id=account.id,
                        detail=f"from account {holder.id}",
                        request_id=client.request_id,
                    )
                    taken_from = holder.id
                await repo.update_fields(account.id, **fields)
                await repo.finish_verification(
                    record.id, VerificationStatus.PASSED, result_code=result.code, at=now
                )
                await repo.audit(
                    "IDENTITY_VERIFICATION_RESULT",
                    success=True,
                    actor_id=account.id,
                    detail=detail,
                    request_id=client.request_id,
                )
                bound = True
            break
        except IntegrityError:
            # Another account bound the number between our look and our write; its row is
            # committed now, so the next round finds it as the holder and takes it over.
            taken_from = None
            continue
    else:
        raise AccountError(AccountErrorCode.SERVICE_BUSY, retry_after=1)
    if bound:
        await publish_account_event(resources, account.id, AccountEvent.IDENTITY_VERIFIED)
        if taken_from is not None:
            await publish_account_event(resources, taken_from, AccountEvent.IDENTITY_REMOVED)
    return await _answer(await _reloaded(record))


async def _answer(record: IdentityVerification) -> Account:
    """What a finished verification answers, each time it is asked."""
    if record.status is VerificationStatus.PASSED:
        account = await repo.by_id(record.account_id)
        if account is None:
            raise AccountError(AccountErrorCode.UNAUTHENTICATED)
        return account
    if record.result_code == _ALREADY_VERIFIED:
        raise AccountError(AccountErrorCode.IDENTITY_ALREADY_VERIFIED)
    code = _ANSWERS.get(record.status, AccountErrorCode.VERIFICATION_PENDING)
    raise AccountError(code, "verifyId")


async def _reloaded(record: IdentityVerification) -> IdentityVerification:
    fresh = await repo.verification_by_verify_id(record.verify_id)
    assert fresh is not None  # verifications are never deleted while their account lives
    return fresh


async def _finish(
    record: IdentityVerification,
    status: VerificationStatus,
    code: str | None,
    now: datetime,
    client: ClientInfo,
) -> None:
    if await repo.finish_verification(record.id, status, result_code=code, at=now):
        await repo.audit(
            "IDENTITY_VERIFICATION_RESULT",
            success=False,
            actor_id=record.account_id,
            detail=f"{record.channel.value} {status.value} {code or ''}".strip(),
            request_id=client.request_id,
        )


async def _audit_start(
    account: Account, channel: IdentityChannel, detail: str, client: ClientInfo, *, ok: bool
) -> None:
    await repo.audit(
        "IDENTITY_VERIFICATION_STARTED",
        success=ok,
        actor_id=account.id,
        detail=f"{channel.value} {detail}",
        request_id=client.request_id,
    )


async def _give_back(resources: Resources, keys: list[str]) -> None:
    """The provider failed us, not the resident: the attempt does not count."""
    try:
        for key in keys:
            await resources.redis.decr(key)
    except RedisError:
        pass
