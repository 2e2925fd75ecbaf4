"""Whole-answer cache for anonymous catalogue queries: a short in-process layer in front of
Redis, keyed by the catalogue version so that a publish makes every cached answer stale.

An answer is stored under the version read *before* it was computed, and only if that is
still the version when it is stored: an answer computed while a publish commits is dropped
rather than kept under the new version."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from storage.cache import Keys, Redis, RedisError, catalogue_version
from storage.metrics import RESPONSE_CACHE

log = logging.getLogger(__name__)
_HIT, _MISS = RESPONSE_CACHE.labels("hit"), RESPONSE_CACHE.labels("miss")

REDIS_TTL_SECONDS = 300
LOCAL_TTL_SECONDS = 2.0  # how stale an answer may be after a publish, per process
LOCAL_ENTRIES = 2048
VERSION_TTL_SECONDS = 1.0


class ResponseCache:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._local: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
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

    def _local_get(self, key: str) -> bytes | None:
        entry = self._local.get(key)
        if entry is None:
            return None
        stored_at, body = entry
        if time.monotonic() - stored_at > LOCAL_TTL_SECONDS:
            del self._local[key]
            return None
        self._local.move_to_end(key)
        return body

    def _local_put(self, key: str, body: bytes) -> None:
        self._local[key] = (time.monotonic(), body)
        self._local.move_to_end(key)
        while len(self._local) > LOCAL_ENTRIES:
            self._local.popitem(last=False)

    async def get(self, key: str) -> bytes | None:
        body = await self._get(key)
        (_MISS if body is None else _HIT).inc()
        return body

    async def _get(self, key: str) -> bytes | None:
        body = self._local_get(key)
        if body is not None:
            return body
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
        self._local_put(key, body)
        return body

    async def put(self, key: str, body: bytes, version: str) -> None:
        """Stores an answer computed after `version` was read, unless a publish has moved the
        version since (read from Redis itself, not this process's memory of it)."""
        try:
            current = await catalogue_version(self._redis)
            if current != version:
                self._version = None
                return
            self._local_put(key, body)
            await self._redis.set(Keys.response(version, key), body, ex=REDIS_TTL_SECONDS)
        except RedisError:
            log.warning("response cache unavailable")

    def forget_local(self) -> None:
        """Drops this process's layer (after this process published a change itself)."""
        self._local.clear()
        self._version = None
