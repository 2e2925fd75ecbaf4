"""Redis: the staff sign-in throttle per (username, address) and the account-wide lock."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from storage.cache import Keys, Redis

# One attempt is claimed before its password is checked, in one step, so that parallel
# attempts (in any number of processes) cannot all pass a check made before any of them
# failed. The claim counts the attempt as a failure; only a success clears it. The clock is
# Redis's own, the same for every process.
#
# KEYS: attempts of this (user, address), addresses of this user (address -> time of its
# last attempt), the account-wide lock, the time the last lock was set.
# ARGV: free attempts, first delay (ms), longest delay (ms), failure window (ms), this
# address, addresses that lock, lock duration (ms).
_CLAIM = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local locked = redis.call('PTTL', KEYS[3])
if locked > 0 then return {'LOCKED', locked} end
local state = redis.call('HMGET', KEYS[1], 'n', 'next')
local n = tonumber(state[1]) or 0
local next_at = tonumber(state[2]) or 0
if now < next_at then return {'WAIT', next_at - now} end
n = n + 1
local free = tonumber(ARGV[1])
local delay = 0
if n >= free then
  delay = math.min(tonumber(ARGV[2]) * 2 ^ math.min(n - free, 30), tonumber(ARGV[3]))
end
local window = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'n', n, 'next', string.format('%.0f', now + delay))
redis.call('PEXPIRE', KEYS[1], window)
redis.call('ZADD', KEYS[2], string.format('%.0f', now), ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('(%.0f', now - window))
redis.call('PEXPIRE', KEYS[2], window)
-- Addresses that failed before the last lock do not count again towards the next one.
local since = tonumber(redis.call('GET', KEYS[4]) or '0')
local floor = math.max(now - window, since)
if redis.call('ZCOUNT', KEYS[2], string.format('(%.0f', floor), '+inf') >= tonumber(ARGV[6]) then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[7])
  redis.call('SET', KEYS[4], string.format('%.0f', now), 'PX', window)
  return {'LOCKED_NOW', tonumber(ARGV[7])}
end
return {'ALLOWED', delay}
"""

# The check just before a session is issued: an account locked while its password was being
# checked gets no session. Otherwise the address's failures are forgiven.
_SUCCEED = """
local locked = redis.call('PTTL', KEYS[3])
if locked > 0 then return locked end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 0
"""

# An attempt that was claimed but never checked (no password check was free) is given back.
_RELEASE = """
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n > 0 then redis.call('HINCRBY', KEYS[1], 'n', -1) end
return n
"""


class Verdict(StrEnum):
    ALLOWED = "ALLOWED"  # check the password now
    WAIT = "WAIT"  # this (username, address) must wait
    LOCKED = "LOCKED"  # the username is locked for every address
    LOCKED_NOW = "LOCKED_NOW"  # this attempt made it locked


@dataclass(frozen=True, slots=True)
class Policy:
    free_attempts: int
    delay_ms: int
    max_delay_ms: int
    window_ms: int
    lock_addresses: int
    lock_ms: int


@dataclass(frozen=True, slots=True)
class Claim:
    verdict: Verdict
    # ALLOWED: how long this address waits before its next attempt (0: no wait);
    # otherwise: how long until an attempt may be made.
    milliseconds: int


def _keys(user: str, address: str) -> list[str]:
    return [
        Keys.staff_login_attempts(user, address),
        Keys.staff_login_addresses(user),
        Keys.staff_login_lock(user),
        Keys.staff_login_counted_since(user),
    ]


async def claim(redis: Redis, user: str, address: str, policy: Policy) -> Claim:
    """Claims one sign-in attempt of `user` (a digest) from `address` (a digest)."""
    verdict, milliseconds = await cast(Any, redis).eval(
        _CLAIM,
        4,
        *_keys(user, address),
        policy.free_attempts,
        policy.delay_ms,
        policy.max_delay_ms,
        policy.window_ms,
        address,
        policy.lock_addresses,
        policy.lock_ms,
    )
    return Claim(Verdict(str(verdict)), int(milliseconds))


async def succeed(redis: Redis, user: str, address: str) -> int:
    """Clears the address's failures, unless the username is locked: then the lock's
    remaining milliseconds (and nothing is cleared)."""
    return int(await cast(Any, redis).eval(_SUCCEED, 3, *_keys(user, address)[:3], address))


async def release(redis: Redis, user: str, address: str) -> None:
    await cast(Any, redis).eval(_RELEASE, 1, Keys.staff_login_attempts(user, address))


async def unlock(redis: Redis, user: str) -> bool:
    """Lifts the account-wide lock and forgets every address's failures for `user`;
    True if a lock was lifted."""
    addresses = await cast(Any, redis).zrange(Keys.staff_login_addresses(user), 0, -1)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(Keys.staff_login_lock(user))
        pipe.delete(
            Keys.staff_login_addresses(user),
            Keys.staff_login_counted_since(user),
            *(Keys.staff_login_attempts(user, str(address)) for address in addresses),
        )
        lifted, _ = await pipe.execute()
    return bool(lifted)
