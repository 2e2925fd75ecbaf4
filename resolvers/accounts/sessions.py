"""Opaque bearer sessions: issue, authenticate (Redis-cached), rotate and revoke."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import UUID

import orjson

from resolvers.accounts.errors import AccountError, AccountErrorCode
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.cache import Keys, Redis, RedisError
from storage.crypto import Keyring
from storage.models.accounts import Account, Role
from storage.repositories import accounts as repo
from storage.transactions import atomic

log = logging.getLogger(__name__)

# A cached principal is re-read from the database at least this often, so that a
# change made outside the service (a DBA disabling an account) takes effect quickly.
_CACHE_SECONDS = 300
TERMINAL_METHOD = "TERMINAL"  # a resident signed in at a self-service terminal
# A refresh token replayed this soon after its rotation is most likely a mobile client
# retrying a request whose answer it lost; later, it is most likely stolen.
_REPLAY_GRACE = timedelta(seconds=10)
_STAFF_ROLES = frozenset({Role.STAFF, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class IssuedSession:
    token: str
    refresh_token: str
    expires_at: datetime
    refresh_expires_at: datetime
    account: Account


def _now() -> datetime:
    return datetime.now(UTC)


def _lifetimes(resources: Resources, account: Account) -> tuple[timedelta, timedelta]:
    settings = resources.settings
    if not _STAFF_ROLES.isdisjoint(Role(r) for r in account.roles):
        return (
            timedelta(seconds=settings.staff_access_token_ttl),
            timedelta(seconds=settings.staff_refresh_token_ttl),
        )
    return (
        timedelta(seconds=settings.access_token_ttl),
        timedelta(seconds=settings.refresh_token_ttl),
    )


# The sign-in method of a TV session (电视政务大厅): its principal is read-only.
TV_METHOD = "TV"


def principal_of(
    account: Account,
    session_id: UUID | None,
    *,
    tv: bool = False,
    terminal_id: UUID | None = None,
) -> Principal:
    return Principal(
        account_id=account.id,
        roles=frozenset(Role(r) for r in account.roles),
        session_id=session_id,
        department_id=account.department_id,
        region_id=account.region_id,
        tv=tv,
        terminal_id=terminal_id,
    )


async def issue(resources: Resources, account: Account, *, method: str) -> IssuedSession:
    """Creates a session: 256-bit random tokens, only their keyed hashes are stored."""
    if account.disabled:
        raise AccountError(AccountErrorCode.ACCOUNT_DISABLED)
    access_ttl, refresh_ttl = _lifetimes(resources, account)
    now = _now()
    token, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await repo.create_session(
        account_id=account.id,
        access_hash=resources.keyring.token_hash(token),
        refresh_hash=resources.keyring.token_hash(refresh),
        access_expires_at=now + access_ttl,
        refresh_expires_at=now + refresh_ttl,
        method=method,
    )
    return IssuedSession(token, refresh, now + access_ttl, now + refresh_ttl, account)


async def authenticate(resources: Resources, token: str) -> Principal | None:
    """Maps a bearer token to its principal: Redis first, then the database."""
    if not token or len(token) > 128:
        return None
    access_hash = _access_hash(resources, token)
    key = Keys.session(access_hash)
    now = _now()
    try:
        cached = await resources.redis_gets.get(key)
    except RedisError:
        cached = None  # Redis down: sessions still resolve from the database
    if cached:
        expires, principal, at_terminal = _parsed(cached)
        if expires > now.timestamp():
            if not at_terminal:
                return principal
            terminal_id = await _still_active(resources, access_hash)
            if terminal_id is None:
                return None
            return replace(principal, terminal_id=terminal_id or None)
    session = await repo.live_session_by_access(access_hash, now)
    if session is None or session.account.disabled:
        return None
    at_terminal = session.method == TERMINAL_METHOD
    terminal_id = None
    if at_terminal:
        terminal_id = await _still_active(resources, access_hash)
        if terminal_id is None:
            return None
    principal = principal_of(
        session.account,
        session.id,
        tv=session.method == TV_METHOD,
        terminal_id=terminal_id or None,
    )
    ttl = min(_CACHE_SECONDS, int((session.access_expires_at - now).total_seconds()))
    if ttl > 0:
        payload = orjson.dumps(
            {
                "a": str(principal.account_id),
                "r": sorted(r.value for r in principal.roles),
                "s": str(session.id),
                "d": str(principal.department_id) if principal.department_id else None,
                "g": str(principal.region_id) if principal.region_id else None,
                "exp": session.access_expires_at.timestamp(),
                # A TV's session ("v": reads only) and a terminal's ("t": ends when idle).
                "v": principal.tv,
                "t": at_terminal,
            }
        )
        try:
            await resources.redis.set(key, payload, ex=ttl)
        except RedisError:
            log.warning("session cache unavailable")
    return principal


# What every signed-in request works out anew from the same inputs, kept per process (at
# most _MEMO_ENTRIES of each, then started afresh): a token's keyed hash, by the token's
# SHA-256 (the token itself is never kept), and the principal a cached session's payload
# describes, by the payload. Both are functions of their key alone: Redis is still asked for
# the session on every request, so a signed-out or changed session is never answered here.
_MEMO_ENTRIES = 10_000
_ACCESS_HASHES: dict[bytes, tuple[Keyring, str]] = {}
_PRINCIPALS: dict[str, tuple[float, Principal, bool]] = {}


def _access_hash(resources: Resources, token: str) -> str:
    digest = hashlib.sha256(token.encode()).digest()
    found = _ACCESS_HASHES.get(digest)
    # Under the keyring that made it (a process holds one; a test may hold several).
    if found is not None and found[0] is resources.keyring:
        return found[1]
    access_hash = resources.keyring.token_hash(token)
    if len(_ACCESS_HASHES) >= _MEMO_ENTRIES:
        _ACCESS_HASHES.clear()
    _ACCESS_HASHES[digest] = (resources.keyring, access_hash)
    return access_hash


def _parsed(payload: str) -> tuple[float, Principal, bool]:
    """A cached session's expiry, its principal and whether it is a terminal's."""
    found = _PRINCIPALS.get(payload)
    if found is not None:
        return found
    data = orjson.loads(payload)
    found = (
        float(data["exp"]),
        Principal(
            account_id=UUID(data["a"]),
            roles=frozenset(Role(r) for r in data["r"]),
            session_id=UUID(data["s"]),
            department_id=UUID(data["d"]) if data["d"] else None,
            region_id=UUID(data["g"]) if data["g"] else None,
            tv=bool(data.get("v")),
        ),
        bool(data.get("t")),
    )
    if len(_PRINCIPALS) >= _MEMO_ENTRIES:
        _PRINCIPALS.clear()
    _PRINCIPALS[payload] = found
    return found


async def _still_active(resources: Resources, access_hash: str) -> UUID | Literal[False] | None:
    """A resident's session at a terminal lives while its idle key does; each request
    renews it. Without Redis it cannot be told: the session ends (fail closed). The key
    holds the terminal the resident stands at: its id, False when it names none, None
    when the session ended."""
    key = Keys.terminal_idle(access_hash)
    try:
        async with resources.redis.pipeline(transaction=False) as pipe:
            pipe.expire(key, resources.settings.terminal_idle_seconds)
            pipe.get(key)
            renewed, value = await pipe.execute()
    except RedisError:
        return None
    if not renewed:
        return None
    try:
        text = value.decode() if isinstance(value, bytes) else str(value)
        return UUID(hex=text)
    except ValueError:
        return False


async def start_terminal_session(
    resources: Resources, account: Account, terminal_id: UUID | None = None
) -> IssuedSession:
    """A resident's session at a terminal: it ends after the terminal's idle time, and its
    refreshed tokens carry no idle key, so a refresh ends it too (the next resident must not
    inherit it)."""
    issued = await issue(resources, account, method=TERMINAL_METHOD)
    try:
        await resources.redis.set(
            Keys.terminal_idle(resources.keyring.token_hash(issued.token)),
            terminal_id.hex if terminal_id is not None else "1",
            ex=resources.settings.terminal_idle_seconds,
        )
    except RedisError:
        raise AccountError(AccountErrorCode.SERVICE_UNAVAILABLE) from None
    return issued


async def refresh(resources: Resources, refresh_token: str) -> IssuedSession:
    """Rotates a session's tokens; a replayed old refresh token revokes the session."""
    if not refresh_token or len(refresh_token) > 128:
        raise AccountError(AccountErrorCode.INVALID_REFRESH_TOKEN, "refreshToken")
    refresh_hash = resources.keyring.token_hash(refresh_token)
    now = _now()
    replayed = None
    async with atomic():
        session = await repo.session_for_refresh(refresh_hash)
        if session is None:
            replayed = await repo.session_by_previous_refresh(refresh_hash)
        else:
            account = session.account
            if session.revoked_at is not None or session.refresh_expires_at <= now:
                raise AccountError(AccountErrorCode.INVALID_REFRESH_TOKEN, "refreshToken")
            if account.disabled:
                raise AccountError(AccountErrorCode.ACCOUNT_DISABLED)
            access_ttl, _ = _lifetimes(resources, account)
            token, new_refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            old_access_hash = session.access_hash
            await repo.rotate_session(
                session.id,
                access_hash=resources.keyring.token_hash(token),
                refresh_hash=resources.keyring.token_hash(new_refresh),
                previous_refresh_hash=refresh_hash,
                access_expires_at=now + access_ttl,
                rotated_at=now,
            )
    if session is None:
        # Outside the transaction above: the refusal must not roll the revocation back.
        if (
            replayed is not None
            and replayed.revoked_at is None
            and now - (replayed.rotated_at or now) > _REPLAY_GRACE
        ):
            await repo.revoke_session(replayed.id, now)
            await _forget(resources, [replayed.access_hash])
            log.warning("refresh token replay: session %s revoked", replayed.id)
        raise AccountError(AccountErrorCode.INVALID_REFRESH_TOKEN, "refreshToken")
    await _forget(resources, [old_access_hash])
    # The refresh token's absolute lifetime does not grow with rotation: a stolen
    # session cannot be kept alive forever by refreshing it.
    return IssuedSession(token, new_refresh, now + access_ttl, session.refresh_expires_at, account)


async def revoke(resources: Resources, principal: Principal, *, all_devices: bool) -> int:
    """Signs out this device, or every device of the account; returns how many sessions ended."""
    if principal.account_id is None or principal.session_id is None:
        raise AccountError(AccountErrorCode.UNAUTHENTICATED)
    now = _now()
    if all_devices:
        hashes = await repo.revoke_all_sessions(principal.account_id, now)
    else:
        one = await repo.revoke_session(principal.session_id, now)
        hashes = [one] if one else []
    await _forget(resources, hashes)
    return len(hashes)


async def forget_account_sessions(resources: Resources, account_id: UUID) -> None:
    """Drops cached principals after an account's roles or status changed."""
    hashes = await repo.revoke_all_sessions(account_id, _now())
    await _forget(resources, hashes)


async def refresh_principals(resources: Resources, account_ids: Sequence[UUID]) -> None:
    """Roles changed: drop the accounts' cached principals so that their very next request
    reads the new roles, without signing anyone out."""
    # Sessions expire on real time (Resources), whatever the business clock says.
    await drop_cached_principals(resources.redis, account_ids, resources.wall_clock())


async def drop_cached_principals(redis: Redis, account_ids: Sequence[UUID], now: datetime) -> None:
    """`refresh_principals` with a Redis client of its own (the CLI has no Resources)."""
    hashes = await repo.live_access_hashes(account_ids, now)
    if not hashes:
        return
    try:
        await redis.delete(*(Keys.session(h) for h in hashes))
    except RedisError:
        log.warning("session cache unavailable: new roles apply when cached principals expire")


async def _forget(resources: Resources, access_hashes: list[str]) -> None:
    if not access_hashes:
        return
    try:
        await resources.redis.delete(*(Keys.session(h) for h in access_hashes))
    except RedisError:
        # The cache entry outlives the revocation by at most _CACHE_SECONDS.
        log.warning("session cache unavailable: revoked sessions linger up to %ss", _CACHE_SECONDS)
