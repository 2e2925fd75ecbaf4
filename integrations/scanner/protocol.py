"""What a malware scanner offers the documents domain, whatever engine is behind it."""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import Protocol


class ScannerUnavailable(Exception):
    """The scanner could not give a verdict (down, timed out, or it reported an error)."""


@dataclass(frozen=True, slots=True)
class ScanVerdict:
    clean: bool
    signature: str | None = None  # the engine's name for what it found


class Scanner(Protocol):
    async def scan(self, chunks: AsyncIterable[bytes]) -> ScanVerdict:
        """Scans a stream; raises ScannerUnavailable when it cannot decide."""
        ...

    async def ping(self) -> bool: ...
