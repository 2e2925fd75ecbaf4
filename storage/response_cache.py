"""Whole-response cache for anonymous catalogue queries: a short in-process layer in front of
Redis, keyed by the catalogue version so that a publish makes every cached answer stale."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from storage.cache import Keys, Redis, RedisError, catalogue_version

log = logging.getLogger(__name__)

REDIS_TTL_SECONDS = 300
LOCAL_TTL_SECONDS = 2.0  # how stale an answer may be after a publish, per process
LOCAL_ENTRIES = 2048
VERSION_TTL_SECONDS = 1.0


class ResponseCache:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._local: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._version: tuple[float, str] | None = None

    async def _current_version(self) -> str:
        now = time.monotonic()
        if self._version is not None and now - self._version[0] < VERSION_TTL_SECONDS:
            return self._version[1]
        version = await catalogue_version(self._redis)
        self._version = (now, version)
        return version

    def _local_get(self, digest: str) -> bytes | None:
        entry = self._local.get(digest)
        if entry is None:
            return None
        stored_at, body = entry
        if time.monotonic() - stored_at > LOCAL_TTL_SECONDS:
            del self._local[digest]
            return None
        self._local.move_to_end(digest)
        return body

    def _local_put(self, digest: str, body: bytes) -> None:
        self._local[digest] = (time.monotonic(), body)
        self._local.move_to_end(digest)
        while len(self._local) > LOCAL_ENTRIES:
            self._local.popitem(last=False)

    async def get(self, digest: str) -> bytes | None:
        body = self._local_get(digest)
        if body is not None:
            return body
        try:
            version = await self._current_version()
            stored = await self._redis.get(Keys.response(version, digest))
        except RedisError:
            return None  # serve from the database instead
        if stored is None:
            return None
        body = stored.encode() if isinstance(stored, str) else stored
        self._local_put(digest, body)
        return body

    async def put(self, digest: str, body: bytes) -> None:
        self._local_put(digest, body)
        try:
            version = await self._current_version()
            await self._redis.set(Keys.response(version, digest), body, ex=REDIS_TTL_SECONDS)
        except RedisError:
            log.warning("response cache unavailable")

    def forget_local(self) -> None:
        """Drops this process's layer (after this process published a change itself)."""
        self._local.clear()
        self._version = None
