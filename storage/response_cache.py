"""Whole-answer cache for anonymous catalogue queries: a short in-process layer in front of
Redis, keyed by the catalogue version so that a publish makes every cached answer stale.

An answer is stored under the version read *before* it was computed, and only if that is
still the version when it is stored: an answer computed while a publish commits is dropped
rather than kept under the new version."""

from __future__ import annotations

import gzip
import logging
import time
from collections import OrderedDict

import brotli

from storage.cache import Keys, Redis, RedisError, catalogue_version
from storage.metrics import RESPONSE_CACHE, CounterTally

log = logging.getLogger(__name__)
_HIT = CounterTally(RESPONSE_CACHE.labels("hit"))
_MISS = CounterTally(RESPONSE_CACHE.labels("miss"))

REDIS_TTL_SECONDS = 300
LOCAL_TTL_SECONDS = 2.0  # how stale an answer may be after a publish, per process
LOCAL_ENTRIES = 2048
VERSION_TTL_SECONDS = 1.0
# Answers shorter than this are sent as they are: compressing them saves less than it costs.
COMPRESS_MIN_BYTES = 1024


class Answer:
    """One cached answer as this process keeps it: the data, the catalogue version it was
    computed under (which the HTTP ETag names), and its compressed forms, each made once."""

    __slots__ = ("body", "data", "etag", "stored_at", "variants", "version")

    def __init__(self, key: str, data: bytes, version: str, stored_at: float) -> None:
        self.data = data
        self.version = version
        self.stored_at = stored_at
        self.body = b'{"data":' + data + b"}"
        self.etag = f'W/"{version[:16]}-{key[:16]}"'.encode()
        self.variants: dict[str, bytes] = {}

    def encoded(self, encoding: str | None) -> bytes:
        """The body in `encoding` ("br", "gzip" or None for identity)."""
        if encoding is None or len(self.body) < COMPRESS_MIN_BYTES:
            return self.body
        found = self.variants.get(encoding)
        if found is None:
            if encoding == "br":
                found = brotli.compress(self.body, quality=5, mode=brotli.MODE_TEXT)
            else:
                found = gzip.compress(self.body, compresslevel=6, mtime=0)
            self.variants[encoding] = found
        return found


class ResponseCache:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._local: OrderedDict[str, Answer] = OrderedDict()
        self._version: tuple[float, str] | None = None

    async def version(self) -> str | None:
        """The catalogue version (remembered for a second in this process); None without
        Redis, when nothing is cached."""
        now = time.monotonic()
        if self._version is not None and now - self._version[0] < VERSION_TTL_SECONDS:
            return self._version[1]
        try:
            version = await catalogue_version(self._redis)
        except RedisError:
            return None
        self._version = (now, version)
        return version

    def local(self, key: str) -> Answer | None:
        """The answer this process holds, if still fresh: no await, no I/O (the hit path).
        Recency is not tracked here (eviction is oldest-stored first): a hit stays a few
        dictionary lookups."""
        entry = self._local.get(key)
        if entry is None or time.monotonic() - entry.stored_at > LOCAL_TTL_SECONDS:
            return None
        return entry

    def _local_put(self, key: str, data: bytes, version: str) -> Answer:
        answer = Answer(key, data, version, time.monotonic())
        self._local.pop(key, None)
        self._local[key] = answer
        while len(self._local) > LOCAL_ENTRIES:
            self._local.popitem(last=False)
        return answer

    async def get(self, key: str) -> Answer | None:
        answer = await self._get(key)
        (_MISS if answer is None else _HIT).inc()
        return answer

    async def _get(self, key: str) -> Answer | None:
        answer = self.local(key)
        if answer is not None:
            return answer
        version = await self.version()
        if version is None:
            return None
        try:
            stored = await self._redis.get(Keys.response(version, key))
        except RedisError:
            return None  # serve from the database instead
        if stored is None:
            return None
        body = stored.encode() if isinstance(stored, str) else stored
        return self._local_put(key, body, version)

    async def put(self, key: str, body: bytes, version: str) -> Answer | None:
        """Stores an answer computed after `version` was read, unless a publish has moved the
        version since (read from Redis itself, not this process's memory of it); returns it
        as kept, or None when it was not kept."""
        try:
            current = await catalogue_version(self._redis)
            if current != version:
                self._version = None
                return None
            answer = self._local_put(key, body, version)
            await self._redis.set(Keys.response(version, key), body, ex=REDIS_TTL_SECONDS)
        except RedisError:
            log.warning("response cache unavailable")
            return None
        return answer

    def forget_local(self) -> None:
        """Drops this process's layer (after this process published a change itself)."""
        self._local.clear()
        self._version = None
