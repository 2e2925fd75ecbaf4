"""Sign-in (WeChat, SMS, staff password + TOTP) and phone binding."""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from integrations.sms import SmsError
from integrations.wechat import WeChatError, WeChatUnavailable
from resolvers import policy
from resolvers.accounts import sessions as sessions
from resolvers.accounts.card_holders import resident_by_card as resident_by_card
from resolvers.accounts.errors import AccountError, AccountErrorCode
from resolvers.accounts.events import AccountEvent, publish_account_event
from resolvers.accounts.identity import mainland_mobile, wechat_phone
from resolvers.accounts.identity import mask_digits as mask_digits
from resolvers.accounts.identity import person_name as person_name
from resolvers.accounts.passwords import PasswordCheckBusy
from resolvers.principal import ClientInfo, Principal
from resolvers.resources import Resources
from resolvers.settings import Settings
from storage import login_throttle as throttle
from storage.cache import Keys, Redis, RedisError, hit_rate_limit
from storage.crypto import Keyring
from storage.models.accounts import Account, Role
from storage.repositories import accounts as repo
from storage.transactions import IntegrityError

log = logging.getLogger(__name__)

_passwords = PasswordHasher()  # argon2id with the library's current recommended costs
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = _passwords.hash(secrets.token_urlsafe(16))
_WECHAT_CODE_ERRORS = {
    40029: AccountErrorCode.INVALID_WECHAT_CODE,
    40163: AccountErrorCode.WECHAT_CODE_USED,
    40226: AccountErrorCode.WECHAT_LOGIN_BLOCKED,
    45011: AccountErrorCode.WECHAT_RATE_LIMITED,
}

# Check-and-consume in one step, so a code is accepted once even when two requests race,
# and every attempt (also inside one aliased GraphQL request) counts against the limit.
_CONSUME_SMS_CODE = """
local stored = redis.call('HGET', KEYS[1], 'h')
if not stored then return 'EXPIRED' end
local attempts = redis.call('HINCRBY', KEYS[1], 'n', 1)
if stored == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 'OK'
end
if attempts >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return 'LOCKED'
end
return 'WRONG'
"""


def _now() -> datetime:
    return datetime.now(UTC)


async def _limit(
    resources: Resources, bucket: str, subject: str, *, limit: int, window: int
) -> None:
    try:
        result = await hit_rate_limit(
            resources.redis, Keys.rate(bucket, subject), limit=limit, window=window
        )
    except RedisError:
        # Limits fail closed: without Redis we cannot tell a flood from a user.
        raise AccountError(AccountErrorCode.SERVICE_UNAVAILABLE) from None
    if not result.allowed:
        raise AccountError(AccountErrorCode.RATE_LIMITED, retry_after=result.retry_after)


# -- WeChat


def _valid_wechat_code(code: str) -> str:
    code = code.strip()
    if not code or len(code) > 128 or not code.isascii() or not code.isprintable():
        raise AccountError(AccountErrorCode.INVALID_WECHAT_CODE, "code")
    return code


def _wechat_failure(exc: WeChatError) -> AccountError:
    if isinstance(exc, WeChatUnavailable):
        return AccountError(AccountErrorCode.WECHAT_UNAVAILABLE)
    code = _WECHAT_CODE_ERRORS.get(exc.errcode or 0)
    if code is None:
        log.warning("wechat answered errcode %s", exc.errcode)
        return AccountError(AccountErrorCode.WECHAT_UNAVAILABLE)
    return AccountError(code, None if code is AccountErrorCode.WECHAT_RATE_LIMITED else "code")


async def login_with_wechat(
    resources: Resources, code: str, client: ClientInfo
) -> sessions.IssuedSession:
    code = _valid_wechat_code(code)
    settings = resources.settings
    await _limit(
        resources,
        "wechat-login",
        client.ip,
        limit=settings.wechat_logins_per_client_minute,
        window=60,
    )
    try:
        login = await resources.wechat.code_to_session(code)
    except WeChatError as exc:
        await repo.audit(
            "LOGIN_WECHAT",
            success=False,
            detail=f"errcode {exc.errcode}",
            request_id=client.request_id,
        )
        raise _wechat_failure(exc) from None
    session_key = resources.keyring.seal(login.session_key, context="account.wechat_session_key")
    account = await _wechat_account(login.openid, login.unionid, session_key)
    issued = await sessions.issue(resources, account, method="WECHAT")
    await repo.audit(
        "LOGIN_WECHAT", success=True, actor_id=account.id, request_id=client.request_id
    )
    return issued


async def _wechat_account(openid: str, unionid: str | None, session_key_sealed: str) -> Account:
    """Finds the account of a WeChat user (by unionid first) or creates it, race-safely."""
    for _ in range(2):
        account = await repo.by_wechat(openid, unionid)
        if account is not None:
            await repo.update_fields(
                account.id,
                wechat_openid=openid,
                wechat_unionid=unionid or account.wechat_unionid,
                wechat_session_key_sealed=session_key_sealed,
            )
            account.wechat_openid = openid
            return account
        try:
            return await repo.create_resident(
                wechat_openid=openid,
                wechat_unionid=unionid,
                wechat_session_key_sealed=session_key_sealed,
            )
        except IntegrityError:
            continue  # the same user's other login created it a moment ago
    raise AccountError(AccountErrorCode.SERVICE_UNAVAILABLE)


async def bind_wechat_phone(
    resources: Resources, principal: Principal, code: str, client: ClientInfo
) -> Account:
    account = await _signed_in(principal)
    if not account.wechat_openid:
        raise AccountError(AccountErrorCode.NOT_A_WECHAT_ACCOUNT)
    code = _valid_wechat_code(code)
    try:
        number = await resources.wechat.phone_number(code, openid=account.wechat_openid)
    except WeChatError as exc:
        raise _wechat_failure(exc) from None
    phone = wechat_phone(number.pure_number, number.country_code)
    await _set_phone(resources, account, phone.e164, phone.masked)
    await repo.audit("PHONE_BOUND", success=True, actor_id=account.id, request_id=client.request_id)
    await publish_account_event(resources, account.id, AccountEvent.PHONE_BOUND)
    return account


async def _set_phone(resources: Resources, account: Account, e164: str, masked: str) -> None:
    index = resources.keyring.blind_index(e164, purpose="phone")
    if account.phone_index == index:
        return
    holder = await repo.by_phone_index(index)
    if holder is not None and holder.id != account.id:
        raise AccountError(AccountErrorCode.PHONE_IN_USE, "code")
    sealed = resources.keyring.seal(e164, context="account.phone")
    try:
        await repo.update_fields(
            account.id, phone_sealed=sealed, phone_index=index, phone_masked=masked
        )
    except IntegrityError:
        raise AccountError(AccountErrorCode.PHONE_IN_USE, "code") from None
    account.phone_sealed, account.phone_index, account.phone_masked = sealed, index, masked


# -- SMS


@dataclass(frozen=True, slots=True)
class SmsCodeSent:
    expires_at: datetime
    resend_after_seconds: int


async def request_sms_code(resources: Resources, raw_phone: str, client: ClientInfo) -> SmsCodeSent:
    """Sends a 6-digit code. The answer is the same whether or not the phone has an account."""
    settings = resources.settings
    phone = mainland_mobile(raw_phone)
    index = resources.keyring.blind_index(phone.e164, purpose="phone")
    redis = resources.redis
    await _limit(
        resources, "sms-client", client.ip, limit=settings.sms_per_client_hourly, window=3600
    )
    try:
        if not await redis.set(
            Keys.rate("sms-interval", index), "1", nx=True, ex=settings.sms_per_phone_interval
        ):
            ttl = await redis.ttl(Keys.rate("sms-interval", index))
            raise AccountError(AccountErrorCode.RATE_LIMITED, retry_after=max(int(ttl), 1))
        daily = await hit_rate_limit(
            redis, Keys.rate("sms-daily", index), limit=settings.sms_per_phone_daily, window=86400
        )
        if not daily.allowed:
            raise AccountError(AccountErrorCode.RATE_LIMITED, retry_after=daily.retry_after)
        code = f"{secrets.randbelow(1_000_000):06d}"
        key = Keys.sms_code(index)
        await redis.delete(key)
        await cast(Any, redis).hset(
            key, mapping={"h": resources.keyring.token_hash(f"{index}:{code}"), "n": 0}
        )
        await redis.expire(key, settings.sms_code_ttl)
    except RedisError:
        raise AccountError(AccountErrorCode.SERVICE_UNAVAILABLE) from None
    try:
        await resources.sms.send(
            phone.e164, "LOGIN_CODE", {"code": code, "minutes": str(settings.sms_code_ttl // 60)}
        )
    except SmsError:
        # Nothing was sent: give the attempt back so the resident can retry at once.
        try:
            await redis.delete(Keys.sms_code(index), Keys.rate("sms-interval", index))
            await redis.decr(Keys.rate("sms-daily", index))
        except RedisError:
            pass
        raise AccountError(AccountErrorCode.SMS_UNAVAILABLE) from None
    return SmsCodeSent(
        expires_at=_now() + timedelta(seconds=settings.sms_code_ttl),
        resend_after_seconds=settings.sms_per_phone_interval,
    )


async def login_with_sms(
    resources: Resources, raw_phone: str, code: str, client: ClientInfo
) -> sessions.IssuedSession:
    phone = mainland_mobile(raw_phone)
    code = code.strip()
    if len(code) != 6 or not code.isdigit() or not code.isascii():
        raise AccountError(AccountErrorCode.INVALID_SMS_CODE, "code")
    index = resources.keyring.blind_index(phone.e164, purpose="phone")
    try:
        verdict = await cast(Any, resources.redis).eval(
            _CONSUME_SMS_CODE,
            1,
            Keys.sms_code(index),
            resources.keyring.token_hash(f"{index}:{code}"),
            resources.settings.sms_code_max_attempts,
        )
    except RedisError:
        raise AccountError(AccountErrorCode.SERVICE_UNAVAILABLE) from None
    if verdict != "OK":
        await repo.audit(
            "LOGIN_SMS", success=False, detail=str(verdict), request_id=client.request_id
        )
        raise AccountError(
            {
                "EXPIRED": AccountErrorCode.SMS_CODE_EXPIRED,
                "LOCKED": AccountErrorCode.TOO_MANY_ATTEMPTS,
            }.get(str(verdict), AccountErrorCode.INVALID_SMS_CODE),
            "code",
        )
    account = await repo.by_phone_index(index)
    if account is None:
        try:
            account = await repo.create_resident(
                phone_sealed=resources.keyring.seal(phone.e164, context="account.phone"),
                phone_index=index,
                phone_masked=phone.masked,
            )
        except IntegrityError:
            account = await repo.by_phone_index(index)
            if account is None:
                raise AccountError(AccountErrorCode.SERVICE_UNAVAILABLE) from None
    issued = await sessions.issue(resources, account, method="SMS")
    await repo.audit("LOGIN_SMS", success=True, actor_id=account.id, request_id=client.request_id)
    return issued


# -- staff


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def _staff_login_user(keyring: Keyring, username: str) -> str:
    return keyring.blind_index(username, purpose="staff-login-user")


def _staff_login_address(keyring: Keyring, ip: str) -> str:
    """An IPv6 client is its /64: one host is handed a whole network to rotate through."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        scope = ip
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            scope = str(address.ipv4_mapped)
        elif isinstance(address, ipaddress.IPv6Address):
            scope = str(ipaddress.IPv6Network((address, 64), strict=False))
        else:
            scope = str(address)
    return keyring.blind_index(scope, purpose="staff-login-address")


def _throttle_policy(settings: Settings) -> throttle.Policy:
    return throttle.Policy(
        free_attempts=settings.staff_max_failed_logins,
        delay_ms=settings.staff_login_delay_seconds * 1000,
        max_delay_ms=settings.staff_login_max_delay_seconds * 1000,
        window_ms=settings.staff_login_failure_window_seconds * 1000,
        lock_addresses=settings.staff_lock_addresses,
        lock_ms=settings.staff_lockout_seconds * 1000,
    )


def _seconds(milliseconds: int) -> int:
    return max(1, -(-milliseconds // 1000))


async def login_staff(
    resources: Resources, username: str, password: str, otp: str | None, client: ClientInfo
) -> sessions.IssuedSession:
    """Password (and TOTP) sign-in of staff.

    Every step before the password check answers the same for a username that does not
    exist, and the check itself runs against a stand-in hash, so answers and timing do not
    tell which usernames exist. Failures slow down the (username, address) they come from;
    the account locks for everyone only when many addresses fail against it.
    """
    settings = resources.settings
    username = username.strip().lower()
    if not username or len(username) > 64 or not password or len(password) > 256:
        raise AccountError(AccountErrorCode.INVALID_CREDENTIALS)
    await _limit(
        resources,
        "staff-login",
        client.ip,
        limit=settings.staff_logins_per_client_hourly,
        window=3600,
    )
    user = _staff_login_user(resources.keyring, username)
    address = _staff_login_address(resources.keyring, client.ip)
    try:
        claim = await throttle.claim(resources.redis, user, address, _throttle_policy(settings))
    except RedisError:
        # Fails closed: without the shared count, parallel guesses would go unchecked.
        raise AccountError(AccountErrorCode.SERVICE_UNAVAILABLE) from None
    if claim.verdict is throttle.Verdict.WAIT:
        raise AccountError(AccountErrorCode.RATE_LIMITED, retry_after=_seconds(claim.milliseconds))
    if claim.verdict is not throttle.Verdict.ALLOWED:
        if claim.verdict is throttle.Verdict.LOCKED_NOW:
            # Which account, for the audit trail only (never a username: it may be a password).
            target = await repo.by_username(username)
            await repo.audit(
                "STAFF_LOCKED",
                success=True,
                detail=f"account {target.id}" if target else "unknown username",
                request_id=client.request_id,
            )
        raise AccountError(
            AccountErrorCode.ACCOUNT_LOCKED, retry_after=_seconds(claim.milliseconds)
        )
    account = await repo.by_username(username)
    stored_hash = account.password_hash if account is not None else None
    try:
        password_ok = await resources.passwords.run(
            _verify_password, stored_hash or _DUMMY_HASH, password
        )
    except PasswordCheckBusy:
        with contextlib.suppress(RedisError):
            await throttle.release(resources.redis, user, address)
        raise AccountError(AccountErrorCode.SERVICE_BUSY, retry_after=1) from None
    if account is None or stored_hash is None or not password_ok:
        await repo.audit(
            "LOGIN_STAFF",
            success=False,
            actor_id=account.id if account is not None and stored_hash else None,
            detail="password" if stored_hash else "unknown user",
            request_id=client.request_id,
        )
        wait = _seconds(claim.milliseconds) if claim.milliseconds else None
        raise AccountError(AccountErrorCode.INVALID_CREDENTIALS, retry_after=wait)
    otp_needed = settings.otp_required or account.totp_secret_sealed is not None
    if otp_needed:
        if account.totp_secret_sealed is None:
            # Production demands a second factor, and this account has none enrolled.
            raise AccountError(AccountErrorCode.OTP_REQUIRED, "otp")
        if not otp:
            raise AccountError(AccountErrorCode.OTP_REQUIRED, "otp")
        secret = resources.keyring.open(account.totp_secret_sealed, context="account.totp")
        counter = _totp_counter(secret, otp.strip(), _now())
        if counter is None or not await repo.claim_otp_counter(account.id, counter):
            await repo.audit(
                "LOGIN_STAFF",
                success=False,
                actor_id=account.id,
                detail="otp",
                request_id=client.request_id,
            )
            raise AccountError(AccountErrorCode.INVALID_OTP, "otp")
    if account.disabled:
        raise AccountError(AccountErrorCode.ACCOUNT_DISABLED)
    if _passwords.check_needs_rehash(stored_hash):
        with contextlib.suppress(PasswordCheckBusy):  # next time, then
            rehashed = await resources.passwords.run(hash_password, password)
            await repo.update_fields(account.id, password_hash=rehashed)
    try:
        locked_ms = await throttle.succeed(resources.redis, user, address)
    except RedisError:
        raise AccountError(AccountErrorCode.SERVICE_UNAVAILABLE) from None
    if locked_ms:
        # Locked while the password was being checked: the lock holds for this attempt too.
        await repo.audit(
            "LOGIN_STAFF",
            success=False,
            actor_id=account.id,
            detail="locked",
            request_id=client.request_id,
        )
        raise AccountError(AccountErrorCode.ACCOUNT_LOCKED, retry_after=_seconds(locked_ms))
    issued = await sessions.issue(resources, account, method="PASSWORD")
    await repo.audit("LOGIN_STAFF", success=True, actor_id=account.id, request_id=client.request_id)
    return issued


def _verify_password(password_hash: str, password: str) -> bool:
    try:
        return _passwords.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _totp_counter(secret: str, otp: str, now: datetime) -> int | None:
    """The time step the code belongs to (one step of clock drift either way), or None."""
    if len(otp) != 6 or not otp.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), otp):
            return step
    return None


@dataclass(frozen=True, slots=True)
class StaffUnlocked:
    account: Account
    was_locked: bool


async def unlock_staff_account(
    resources: Resources, principal: Principal, raw_username: str, client: ClientInfo
) -> StaffUnlocked:
    """ADMIN: lifts a staff account's lock and forgets the failures counted against it."""
    admin = await _signed_in(principal)
    # The admin's roles as they are now, not as the session cached them.
    fresh = sessions.principal_of(admin, principal.session_id)
    if not await policy.allows(resources, fresh, policy.Action.STAFF_UNLOCK):
        await policy.audit_refusal(fresh, policy.Action.STAFF_UNLOCK, client.request_id)
        raise policy.Refused(policy.RefusalCode.FORBIDDEN, policy.Action.STAFF_UNLOCK)
    username = raw_username.strip().lower()
    if not username or len(username) > 64:
        raise AccountError(AccountErrorCode.INVALID_INPUT, "username")
    account = await repo.by_username(username)
    if account is None or not is_staff(account):
        raise AccountError(AccountErrorCode.UNKNOWN_STAFF_ACCOUNT, "username")
    was_locked = await lift_staff_lock(
        resources.redis,
        resources.keyring,
        account,
        actor_id=admin.id,
        request_id=client.request_id,
    )
    return StaffUnlocked(account=account, was_locked=was_locked)


async def lift_staff_lock(
    redis: Redis, keyring: Keyring, account: Account, *, actor_id: UUID | None, request_id: str
) -> bool:
    """Lifts the lock of a staff account (also for `rongban staff-unlock`), audited."""
    assert account.username is not None
    try:
        was_locked = await throttle.unlock(redis, _staff_login_user(keyring, account.username))
    except RedisError:
        raise AccountError(AccountErrorCode.SERVICE_UNAVAILABLE) from None
    await repo.audit(
        "STAFF_UNLOCKED",
        success=True,
        actor_id=actor_id,
        detail=f"account {account.id}" + (" (was locked)" if was_locked else ""),
        request_id=request_id,
    )
    return was_locked


# -- devices


async def login_terminal(
    resources: Resources, code: str, credential: str, client: ClientInfo
) -> sessions.IssuedSession:
    """A self-service terminal signs in with the credential it got at registration."""
    terminal = await repo.terminal_by_code(code) if 0 < len(code) <= 32 else None
    presented = resources.keyring.token_hash(credential[:256])
    expected = terminal.credential_hash if terminal else resources.keyring.token_hash("")
    if terminal is None or not hmac.compare_digest(presented, expected) or terminal.retired:
        await repo.audit("LOGIN_TERMINAL", success=False, request_id=client.request_id)
        raise AccountError(AccountErrorCode.INVALID_CREDENTIALS)
    account = await repo.by_id(terminal.account_id)
    if account is None:
        raise AccountError(AccountErrorCode.INVALID_CREDENTIALS)
    issued = await sessions.issue(resources, account, method="DEVICE")
    await repo.audit(
        "LOGIN_TERMINAL", success=True, actor_id=account.id, request_id=client.request_id
    )
    return issued


# -- shared


async def _signed_in(principal: Principal) -> Account:
    if principal.account_id is None:
        raise AccountError(AccountErrorCode.UNAUTHENTICATED)
    account = await repo.by_id(principal.account_id)
    if account is None:
        raise AccountError(AccountErrorCode.UNAUTHENTICATED)
    if account.disabled:
        raise AccountError(AccountErrorCode.ACCOUNT_DISABLED)
    return account


def is_staff(account: Account) -> bool:
    return not {Role.STAFF.value, Role.ADMIN.value}.isdisjoint(account.roles)
