"""电视政务大厅 sign-in, bound to the device, in the manner of OAuth's device grant (RFC 8628):

1. the TV asks for a sign-in: a short `userCode` it shows on screen and a long `deviceCode`
   it keeps to itself;
2. the resident, signed in on the phone, confirms the user code;
3. the TV exchanges its device code (polling every `interval` seconds) for a session, once.

The session is a TV session (`Principal.tv`): it reads the catalogue, guides, centres and the
resident's own applications; the policy refuses every submission and change. Codes live in
Redis for a few minutes, only as keyed hashes; confirming and exchanging are atomic scripts,
so a code is confirmed once and exchanged once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

import orjson

from resolvers import policy
from resolvers.accounts.service import sessions
from resolvers.principal import ClientInfo, Principal
from resolvers.resources import Resources
from resolvers.tvhall.errors import TvSignInError
from resolvers.tvhall.errors import TvSignInErrorCode as Code
from storage.cache import RedisError, hit_rate_limit
from storage.repositories import accounts as accounts_repo

# Crockford's base32 without look-alikes: read off a TV across a room, typed on a phone.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
USER_CODE_LENGTH = 8  # 40 bits, valid for minutes, confirmations rate-limited per resident
TTL_SECONDS = 300
POLL_INTERVAL = 5
MAX_DEVICE_NAME = 32
STARTS_PER_ADDRESS = 20  # sign-ins a TV's address may start in 10 minutes
CONFIRMS_PER_RESIDENT = 10  # codes a resident may try in 10 minutes

# KEYS: the code's entry. ARGV: account id, ttl. Confirms a PENDING code once.
_CONFIRM = """
local entry = redis.call('GET', KEYS[1])
if not entry then return 'MISSING' end
local state = cjson.decode(entry)
if state['a'] then return 'CONFIRMED' end
state['a'] = ARGV[1]
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 'MISSING' end
redis.call('SET', KEYS[1], cjson.encode(state), 'PX', ttl)
return 'OK:' .. state['n']
"""
# KEYS: the device's entry. ARGV: the code-key prefix. Hands a confirmed code's account over
# once, deleting both entries; a pending one answers PENDING.
_EXCHANGE = """
local code_hash = redis.call('GET', KEYS[1])
if not code_hash then return 'MISSING' end
local code_key = ARGV[1] .. code_hash
local entry = redis.call('GET', code_key)
if not entry then return 'MISSING' end
local state = cjson.decode(entry)
if not state['a'] then return 'PENDING' end
redis.call('DEL', KEYS[1], code_key)
return 'OK:' .. state['a']
"""


def _code_key(code_hash: str) -> str:
    return f"tv:code:{code_hash}"


def _device_key(device_hash: str) -> str:
    return f"tv:device:{device_hash}"


@dataclass(frozen=True, slots=True)
class Started:
    user_code: str
    device_code: str
    expires_at: datetime
    interval: int


def normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


async def _limit(resources: Resources, bucket: str, subject: str, limit: int) -> None:
    try:
        result = await hit_rate_limit(
            resources.redis, f"rate:tv:{bucket}:{subject}", limit=limit, window=600
        )
    except RedisError:
        raise TvSignInError(Code.SERVICE_UNAVAILABLE) from None
    if not result.allowed:
        raise TvSignInError(Code.RATE_LIMITED, retry_after=max(result.retry_after, 1))


def clean_device_name(raw: str | None) -> str:
    """What the TV calls itself, shown to the resident when confirming: at most 32
    printable characters; a TV that gives none is "电视"."""
    name = " ".join((raw or "").split())
    if len(name) > MAX_DEVICE_NAME or not name.isprintable():
        raise TvSignInError(Code.INVALID_INPUT, "deviceName")
    return name or "电视"


@dataclass(frozen=True, slots=True)
class Confirmed:
    at: datetime
    device_name: str


async def start(
    resources: Resources, principal: Principal, client: ClientInfo, device_name: str | None
) -> Started:
    await policy.authorize(resources, principal, policy.Action.TV_SIGN_IN_START)
    name = clean_device_name(device_name)
    await _limit(resources, "start", client.ip, STARTS_PER_ADDRESS)
    user_code = "".join(secrets.choice(_ALPHABET) for _ in range(USER_CODE_LENGTH))
    device_code = secrets.token_urlsafe(32)
    keyring = resources.keyring
    code_hash, device_hash = keyring.token_hash(user_code), keyring.token_hash(device_code)
    try:
        async with resources.redis.pipeline(transaction=True) as pipe:
            entry = orjson.dumps({"a": False, "n": name}).decode()
            pipe.set(_code_key(code_hash), entry, ex=TTL_SECONDS)
            pipe.set(_device_key(device_hash), code_hash, ex=TTL_SECONDS)
            await pipe.execute()
    except RedisError:
        raise TvSignInError(Code.SERVICE_UNAVAILABLE) from None
    return Started(
        user_code=f"{user_code[:4]}-{user_code[4:]}",
        device_code=device_code,
        expires_at=resources.clock() + timedelta(seconds=TTL_SECONDS),
        interval=POLL_INTERVAL,
    )


async def confirm(resources: Resources, principal: Principal, user_code: str) -> Confirmed:
    """The signed-in resident confirms the code on the TV; answers which TV it was."""
    await policy.authorize(resources, principal, policy.Action.TV_SIGN_IN_CONFIRM)
    assert principal.account_id is not None
    code = normalised(user_code)
    if len(code) != USER_CODE_LENGTH or any(c not in _ALPHABET for c in code):
        raise TvSignInError(Code.INVALID_CODE, "userCode")
    await _limit(resources, "confirm", str(principal.account_id), CONFIRMS_PER_RESIDENT)
    key = _code_key(resources.keyring.token_hash(code))
    try:
        verdict = await cast(Any, resources.redis).eval(_CONFIRM, 1, key, str(principal.account_id))
    except RedisError:
        raise TvSignInError(Code.SERVICE_UNAVAILABLE) from None
    verdict = verdict.decode() if isinstance(verdict, bytes) else str(verdict)
    if verdict == "MISSING":
        raise TvSignInError(Code.INVALID_CODE, "userCode")
    if verdict == "CONFIRMED":
        raise TvSignInError(Code.ALREADY_CONFIRMED, "userCode")
    return Confirmed(at=resources.clock(), device_name=verdict[3:])


async def exchange(
    resources: Resources, principal: Principal, device_code: str
) -> sessions.IssuedSession:
    """The TV's device code for a read-only session of the resident who confirmed it, once."""
    await policy.authorize(resources, principal, policy.Action.TV_SIGN_IN_EXCHANGE)
    if not 0 < len(device_code) <= 128:
        raise TvSignInError(Code.INVALID_CODE, "deviceCode")
    device_key = _device_key(resources.keyring.token_hash(device_code))
    try:
        verdict = await cast(Any, resources.redis).eval(_EXCHANGE, 1, device_key, "tv:code:")
    except RedisError:
        raise TvSignInError(Code.SERVICE_UNAVAILABLE) from None
    verdict = verdict.decode() if isinstance(verdict, bytes) else str(verdict)
    if verdict == "PENDING":
        raise TvSignInError(Code.AUTHORIZATION_PENDING, "deviceCode", retry_after=POLL_INTERVAL)
    if not verdict.startswith("OK:"):
        raise TvSignInError(Code.INVALID_CODE, "deviceCode")
    account = await accounts_repo.by_id(UUID(verdict[3:]))
    if account is None or account.disabled:
        raise TvSignInError(Code.ACCOUNT_DISABLED)
    return await sessions.issue(resources, account, method=sessions.TV_METHOD)
