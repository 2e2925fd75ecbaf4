"""Redis: the client, every key name, fixed-window rate limits and single-use codes."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Redis = aioredis.Redis

__all__ = [
    "Bucket",
    "CoalescedGets",
    "HotCommands",
    "Keys",
    "RateLimit",
    "Redis",
    "RedisError",
    "appeals_version",
    "bump_appeals_version",
    "bump_catalogue_version",
    "catalogue_version",
    "create_redis",
    "hit_rate_limit",
    "settle_and_admit",
    "spend_budgets",
]


def create_redis(url: str, max_connections: int = 64) -> Redis:
    """`memory://` gives an in-process fakeredis (same API, Lua included) for the embedded mode.

    The pool is capped and waits (briefly) for a free connection rather than failing at once:
    requests are capped per process too, so a wait is short, and a burst never turns into
    MaxConnectionsError for sign-ins. Subscriptions share one connection (storage/events.py).
    """
    if url.startswith("memory://"):
        import fakeredis  # only the embedded mode needs it

        return cast(Redis, fakeredis.FakeAsyncRedis(decode_responses=True))
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=2.0,
        decode_responses=True,
        socket_timeout=2.0,
        socket_connect_timeout=2.0,
        health_check_interval=30,
    )
    return aioredis.Redis.from_pool(pool)  # closing the client closes its pool


class HotCommands:
    """The commands on every signed-in request's path (its session's read, its cost budget's
    admission), sent over connections of their own rather than through the client.

    redis-py's command path around the round trip cost about half of a command's CPU: the
    blocking pool's condition and timeout, its check that a pooled connection has nothing
    unread, the retry wrapper, the observability hooks, and a task per write (the socket
    timeout is applied to the write with `asyncio.wait_for`). Here a connection serves one
    command at a time and is kept for the next only when its reply was read whole, so the
    checks are not needed, and the client's socket timeout bounds the whole command as one
    deadline. Up to CONNECTIONS are kept; a command beyond them goes through the client, as
    does everything else."""

    # About the commands one process has waiting on Redis at once under load (a session
    # read and an admission for each request running).
    CONNECTIONS = 16

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        pool = redis.connection_pool
        self._timeout: float | None = pool.connection_kwargs.get("socket_timeout")
        # The deadline is this class's: the connection's own would wrap each write in a task.
        self._connection_kwargs = pool.connection_kwargs | {"socket_timeout": None}
        self._idle: list[AbstractConnection] = []
        self._open = 0
        self._closed = False

    async def execute_command(self, *args: Any) -> Any:
        if self._idle:
            connection = self._idle.pop()
            try:
                return await self._on(connection, args)
            except (RedisConnectionError, ConnectionError):
                # A kept connection Redis closed meanwhile (a restart, an idle timeout): once
                # more on a new one, as the client itself retries. A timeout is not retried:
                # Redis is slow, not gone, and the caller has waited already.
                pass
        elif self._open >= self.CONNECTIONS:
            return await cast(Any, self.redis).execute_command(*args)
        self._open += 1
        connection = self.redis.connection_pool.connection_class(**self._connection_kwargs)
        return await self._on(connection, args)

    async def aclose(self) -> None:
        """Closes the kept connections (one still in a command is closed when it ends)."""
        self._closed = True
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection in idle:
            await connection.disconnect()

    async def _on(self, connection: AbstractConnection, args: tuple[Any, ...]) -> Any:
        try:
            async with asyncio.timeout(self._timeout):
                await connection.send_packed_command(connection.pack_command(*args))
                reply = await connection.read_response()
        except ResponseError:
            await self._keep(connection)  # an error reply (NOSCRIPT) was read whole
            raise
        except BaseException as error:
            # Anything else may leave a reply half read, which would answer the next command.
            self._open -= 1
            with contextlib.suppress(Exception):
                await connection.disconnect()
            if isinstance(error, TimeoutError):
                raise RedisTimeoutError("Redis did not answer in time") from None
            raise
        await self._keep(connection)
        return reply

    async def _keep(self, connection: AbstractConnection) -> None:
        if self._closed:
            self._open -= 1
            await connection.disconnect()
        else:
            self._idle.append(connection)


class CoalescedGets:
    """GETs of one process that are waiting at once, sent to Redis as one MGET.

    Every signed-in request reads its session from Redis first, and redis-py's cost is per
    command (taking a pooled connection, writing, parsing, waking the caller), not per key:
    under load the sessions of the requests that arrived together cost one round trip. A read
    waits for nothing but the event loop's next turn, so a lone request is not delayed, and
    each key is still read from Redis after its request asked (nothing is kept between
    batches: a session deleted a moment ago is never answered)."""

    def __init__(self, hot: HotCommands) -> None:
        self._hot = hot
        self._waiting: dict[str, list[asyncio.Future[str | None]]] = {}
        self._fetching: set[asyncio.Task[None]] = set()

    async def get(self, key: str) -> str | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()
        if not self._waiting:
            # In a context of its own: the batch's round trip is no one request's work.
            loop.call_soon(self._send, context=contextvars.Context())
        self._waiting.setdefault(key, []).append(future)
        return await future

    def _send(self) -> None:
        waiting, self._waiting = self._waiting, {}
        task = asyncio.get_running_loop().create_task(self._fetch(waiting))
        self._fetching.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._fetching.discard)

    async def _fetch(self, waiting: dict[str, list[asyncio.Future[str | None]]]) -> None:
        keys = list(waiting)
        try:
            values = await self._mget(keys)
            answered = list(zip(keys, values, strict=True))
        except RedisError as error:  # each caller decides what Redis down means to it
            _fail(waiting, error)
            return
        except OSError as error:
            _fail(waiting, RedisError(str(error)))
            return
        except BaseException as error:
            # Anything else (the process stopping, a reply of the wrong length): no reader
            # is left waiting for an answer that will never come, each gets a Redis error.
            _fail(waiting, RedisError(f"the read failed: {type(error).__name__}"))
            raise
        for key, value in answered:
            for future in waiting[key]:
                if not future.done():  # its request may have been cancelled meanwhile
                    future.set_result(cast(str | None, value))

    async def _mget(self, keys: list[str]) -> list[Any]:
        return cast(list[Any], await self._hot.execute_command("MGET", *keys))


def _fail(waiting: dict[str, list[asyncio.Future[str | None]]], error: RedisError) -> None:
    for futures in waiting.values():
        for future in futures:
            if not future.done():
                future.set_exception(error)


class Keys:
    """Every Redis key the service writes, in one place so that prefixes never collide."""

    @staticmethod
    def session(access_hash: str) -> str:
        return f"sess:{access_hash}"

    @staticmethod
    def wechat_token(app_id: str) -> str:
        return f"wechat:token:{app_id}"

    @staticmethod
    def wechat_token_lock(app_id: str) -> str:
        return f"wechat:token-lock:{app_id}"

    @staticmethod
    def sms_code(phone_index: str) -> str:
        return f"sms:code:{phone_index}"

    @staticmethod
    def rate(bucket: str, subject: str) -> str:
        return f"rl:{bucket}:{subject}"

    # Staff sign-in throttle. Both parts are keyed digests (a mistyped username may be a
    # password); the username in braces keeps one account's keys in one cluster slot.
    @staticmethod
    def staff_login_attempts(user: str, address: str) -> str:
        return f"stafflogin:{{{user}}}:attempts:{address}"

    @staticmethod
    def staff_login_addresses(user: str) -> str:
        return f"stafflogin:{{{user}}}:addresses"

    @staticmethod
    def staff_login_lock(user: str) -> str:
        return f"stafflogin:{{{user}}}:lock"

    @staticmethod
    def staff_login_counted_since(user: str) -> str:
        return f"stafflogin:{{{user}}}:since"

    @staticmethod
    def cost_budget(principal: str) -> str:
        return f"cost:{principal}"

    @staticmethod
    def time_budget(principal: str) -> str:
        return f"exec-time:{principal}"

    @staticmethod
    def account_events(account_id: str) -> str:
        return f"events:account:{account_id}"

    CATALOGUE_VERSION = "catalogue:version"

    @staticmethod
    def response(version: str, digest: str) -> str:
        return f"resp:{version}:{digest}"

    @staticmethod
    def persisted_query(sha256: str) -> str:
        return f"apq:{sha256}"

    @staticmethod
    def wechat_push_nonce(timestamp: str, nonce: str) -> str:
        """A (timestamp, nonce) pair a WeChat push was signed with: remembered past the
        window, so that a replayed push has no effect."""
        return f"wechat:push-nonce:{timestamp[:16]}:{nonce[:64]}"

    @staticmethod
    def exchange_nonce(system: str, nonce: str) -> str:
        """A nonce a department system used: remembered past the callback window."""
        return f"exchange:nonce:{system}:{nonce}"

    @staticmethod
    def device_nonce(device_id: str, nonce: str) -> str:
        """A nonce a card reader or terminal signed a read with: remembered past the window."""
        return f"device:nonce:{device_id}:{nonce[:64]}"

    @staticmethod
    def pickup_failures(terminal_id: str) -> str:
        """Wrong result pickup codes entered at one terminal in the current window."""
        return f"pickup-fail:{terminal_id}"

    @staticmethod
    def terminal_idle(access_hash: str) -> str:
        """A resident's session at a terminal: alive while this key is (each request renews
        it), so the session ends after the terminal's idle time."""
        return f"terminal-idle:{access_hash}"

    # Aggregate counts only (which services were applied for most), the same for everyone.
    POPULAR_SERVICES = "reco:popular"

    @staticmethod
    def popular_in(region_code: str) -> str:
        return f"reco:popular:{region_code}"

    @staticmethod
    def appeal_insights(digest: str) -> str:
        return f"appeals:insights:{digest}"

    # Counts committed changes to appeals (filings, status moves, ratings); part of every
    # cached insight's key.
    APPEALS_VERSION = "appeals:version"


# INCR and EXPIRE in one step: a crash between them must not leave a counter without expiry.
_FIXED_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('TTL', KEYS[1])
return {count, ttl}
"""


async def catalogue_version(redis: Redis) -> str:
    """The version token of everything residents can read in the catalogue.

    A random token rather than a counter: Redis may restart empty, and a counter starting
    again at 1 would make stale cached answers look current.
    """
    version = await redis.get(Keys.CATALOGUE_VERSION)
    if version:
        return str(version)
    fresh = uuid.uuid4().hex
    if await redis.set(Keys.CATALOGUE_VERSION, fresh, nx=True):
        return fresh
    return str(await redis.get(Keys.CATALOGUE_VERSION))


async def bump_catalogue_version(redis: Redis) -> None:
    """Called after every committed change residents can see: cached answers become stale."""
    await redis.set(Keys.CATALOGUE_VERSION, uuid.uuid4().hex)


async def appeals_version(redis: Redis) -> int:
    """How many changes to appeals have committed (as counted here). A counter is enough:
    the answers keyed by it live in the same Redis and go with it if it restarts empty."""
    return int(await redis.get(Keys.APPEALS_VERSION) or 0)


async def bump_appeals_version(redis: Redis) -> None:
    """Called after a change to appeals commits: insights computed before it are stale."""
    await redis.incr(Keys.APPEALS_VERSION)


@dataclass(frozen=True, slots=True)
class RateLimit:
    allowed: bool
    count: int
    retry_after: int


async def hit_rate_limit(redis: Redis, key: str, *, limit: int, window: int) -> RateLimit:
    """Counts one hit in a fixed window and says whether it is within the limit."""
    count, ttl = cast("list[int]", await cast(Any, redis).eval(_FIXED_WINDOW, 1, key, window))
    return RateLimit(allowed=count <= limit, count=int(count), retry_after=max(int(ttl), 0))


# Leaky buckets (Shopify's model) of what a principal spends: query-cost points and seconds of
# execution. Each level drains at its rate on Redis's own clock, so every process and host
# agrees. A request is admitted while every bucket is below its capacity; what it actually
# spent is added afterwards, so one expensive answer can overflow a bucket and its principal
# waits until it has drained.
# KEYS: the buckets of one or more principals, each principal's together. ARGV[1]: how many
# buckets a principal has; ARGV[2]: 1 to admit (the amounts added first: what earlier
# requests spent and still owed) or 0 to charge only; then the capacity, rate per second and
# amount of each bucket, in KEYS order. Answers, per principal: whether it was admitted, then
# each bucket's room left, seconds until empty and wait; or 0 for a principal one of whose
# keys is not a bucket, none of whose buckets it changed (the others are charged all the
# same: one principal's broken key must not cost everyone settled with it their charges).
_BUCKETS = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local per = tonumber(ARGV[1])
local check = ARGV[2] == '1'
local answers = {}
for first = 1, #KEYS, per do
  local states = {}
  for i = first, first + per - 1 do
    local state = redis.pcall('HMGET', KEYS[i], 'level', 'at')
    if state['err'] then
      states = nil
      break
    end
    states[i] = state
  end
  if states == nil then
    table.insert(answers, 0)
  else
    local admitted = 1
    local result = {}
    for i = first, first + per - 1 do
      local capacity = tonumber(ARGV[3 * i])
      local rate = tonumber(ARGV[3 * i + 1])
      local amount = tonumber(ARGV[3 * i + 2])
      local level = tonumber(states[i][1]) or 0
      local at = tonumber(states[i][2]) or now
      level = math.max(0, level - math.max(0, now - at) * rate)
      if check and level + amount >= capacity then
        admitted = 0
      end
      level = level + amount
      redis.call('HSET', KEYS[i], 'level', tostring(level), 'at', tostring(now))
      redis.call('EXPIRE', KEYS[i], math.ceil(level / rate) + 1)
      local wait = 0
      if level >= capacity then
        wait = (level - capacity) / rate
      end
      table.insert(result, tostring(capacity - level))
      table.insert(result, tostring(level / rate))
      table.insert(result, tostring(wait))
    end
    table.insert(result, 1, admitted)
    table.insert(answers, result)
  end
end
return answers
"""
# Redis names cached scripts by their SHA-1 (an identifier here, not a safeguard).
_BUCKETS_SHA = hashlib.sha1(_BUCKETS.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class Bucket:
    """One leaky bucket of a principal: its key, how much it holds, what drains per minute."""

    key: str
    capacity: float
    per_minute: float


@dataclass(frozen=True, slots=True)
class Level:
    remaining: float  # what is left before the bucket is full (negative: in debt)
    reset_seconds: float  # until the bucket is empty again
    retry_after: float  # until a request would be admitted again (0: now)


@dataclass(frozen=True, slots=True)
class Budget:
    allowed: bool
    levels: tuple[Level, ...]  # in the order the buckets were given

    @property
    def retry_after(self) -> float:
        return max((level.retry_after for level in self.levels), default=0.0)


def _script_arguments(
    charges: Sequence[tuple[Sequence[Bucket], Sequence[float]]], *, check: bool
) -> list[object]:
    """The script's key count, keys and arguments for principals' charges (each principal's
    buckets, then what to add to each), all with as many buckets."""
    per = len(charges[0][0])
    keys: list[object] = []
    arguments: list[object] = [per, 1 if check else 0]
    for buckets, amounts in charges:
        if len(buckets) != per:
            raise ValueError("every principal settled together has as many buckets")
        for bucket, amount in zip(buckets, amounts, strict=True):
            keys.append(bucket.key)
            arguments += [bucket.capacity, bucket.per_minute / 60, amount]
    return [len(keys), *keys, *arguments]


async def _buckets(
    redis: Redis | HotCommands, buckets: Sequence[Bucket], amounts: Sequence[float], *, check: bool
) -> Budget:
    arguments = _script_arguments([(buckets, amounts)], check=check)
    try:
        # By its digest: the script's text crosses the wire once per Redis, not per request.
        answers = await redis.execute_command("EVALSHA", _BUCKETS_SHA, *arguments)
    except NoScriptError:  # a Redis that restarted or never saw it: EVAL also caches it
        answers = await redis.execute_command("EVAL", _BUCKETS, *arguments)
    budget = _budget_of(answers[0])
    if budget is None:
        raise ResponseError("a budget key holds something other than a bucket")
    return budget


def _budget_of(answer: Any) -> Budget | None:
    """One principal's answer: whether it was admitted, then each bucket's level; None when
    the script left the principal alone (a key that is not a bucket)."""
    if not isinstance(answer, list):
        return None
    numbers = [float(value) for value in answer[1:]]
    levels = tuple(
        Level(remaining=numbers[i], reset_seconds=numbers[i + 1], retry_after=numbers[i + 2])
        for i in range(0, len(numbers), 3)
    )
    return Budget(allowed=bool(int(answer[0])), levels=levels)


async def settle_and_admit(
    redis: Redis | HotCommands, buckets: Sequence[Bucket], owed: Sequence[float]
) -> Budget:
    """Adds what earlier requests spent and still owe, then whether every bucket has room
    for another request, in one round trip (nothing owed: only whether there is room)."""
    return await _buckets(redis, buckets, owed, check=True)


# Principals charged by one run of the script: Redis runs a script to its end before any
# other command, so a run is kept short (about a millisecond at this size); the runs of one
# settling still go in one round trip.
SETTLED_PER_SCRIPT = 50


async def spend_budgets(
    redis: Redis, charges: Sequence[tuple[Sequence[Bucket], Sequence[float]]]
) -> list[Budget | None]:
    """Adds what requests actually spent to their principals' buckets, every principal in
    one round trip and up to SETTLED_PER_SCRIPT in one run of the script (a command each
    cost the process more than the round trip: redis-py packs, sends and parses every
    command on its own); returns each charge's buckets as they stand after it, or None where
    Redis did not add it (a key that is not a bucket). A connection error raises: then
    nothing is known to have run."""
    settled: list[Budget | None] = [None] * len(charges)
    runs = [
        range(start, min(start + SETTLED_PER_SCRIPT, len(charges)))
        for start in range(0, len(charges), SETTLED_PER_SCRIPT)
    ]
    for script, name in ((_BUCKETS_SHA, "evalsha"), (_BUCKETS, "eval")):
        if not runs:
            break
        pipeline = cast(Any, redis).pipeline(transaction=False)
        for run in runs:
            arguments = _script_arguments(
                [(charges[p][0], [max(amount, 0.001) for amount in charges[p][1]]) for p in run],
                check=False,
            )
            getattr(pipeline, name)(script, *arguments)
        answers = await pipeline.execute(raise_on_error=False)
        # Runs Redis had no script for did not run: they are sent again with its text (EVAL
        # also caches it). Any other failure is final.
        failed = []
        for run, answer in zip(runs, answers, strict=True):
            if isinstance(answer, Exception):
                failed.append((run, answer))
                continue
            for position, one in zip(run, answer, strict=True):
                settled[position] = _budget_of(one)
        runs = [run for run, _ in failed]
        if not all(isinstance(error, NoScriptError) for _, error in failed):
            break
    return settled
