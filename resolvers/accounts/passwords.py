"""Bounds the password checks a process runs at once: each argon2id check takes 64 MiB."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")


class PasswordCheckBusy(Exception):
    """No check became free in time; the caller answers a retryable error."""


class PasswordGate:
    """At most `concurrency` checks run in threads at once; a caller waits for a free one
    at most `wait_seconds`. Without the bound, a burst of sign-ins (each thread of the
    pool running argon2id) took a process to a gigabyte of memory."""

    def __init__(self, concurrency: int, wait_seconds: float) -> None:
        self._slots = anyio.Semaphore(concurrency)
        self._wait_seconds = wait_seconds

    async def run(self, check: Callable[..., T], *args: object) -> T:
        try:
            with anyio.fail_after(self._wait_seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise PasswordCheckBusy from None
        try:
            # A cancelled caller still waits for the thread, so the slot is held until the
            # memory is given back.
            return await anyio.to_thread.run_sync(check, *args)
        finally:
            self._slots.release()
