"""A ClamAV daemon client speaking clamd's INSTREAM protocol over TCP or a unix socket."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterable
from urllib.parse import urlsplit

from integrations.scanner.protocol import ScannerUnavailable, ScanVerdict

# clamd closes an INSTREAM connection past its StreamMaxLength (25 MB by default); the
# wallet's per-kind limits stay below it. Chunks are framed by a 4-byte big-endian length.
_MAX_CHUNK = 64 * 1024
_MAX_REPLY = 4096


class ClamdScanner:
    """`address` is tcp://host:port or unix:///path/to/clamd.sock."""

    def __init__(self, address: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(address)
        if parts.scheme == "tcp" and parts.hostname and parts.port:
            self._tcp: tuple[str, int] | None = (parts.hostname, parts.port)
            self._unix: str | None = None
        elif parts.scheme == "unix" and parts.path:
            self._tcp, self._unix = None, parts.path
        else:
            raise ValueError("clamd address must be tcp://host:port or unix:///path")
        self.timeout = timeout

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._tcp is not None:
            return await asyncio.open_connection(*self._tcp)
        assert self._unix is not None
        return await asyncio.open_unix_connection(self._unix)

    async def _exchange(self, command: bytes, chunks: AsyncIterable[bytes] | None) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await self._connect()
                try:
                    # The `z` prefix: commands and replies are NUL-terminated.
                    writer.write(b"z" + command + b"\0")
                    if chunks is not None:
                        async for chunk in chunks:
                            for start in range(0, len(chunk), _MAX_CHUNK):
                                piece = chunk[start : start + _MAX_CHUNK]
                                writer.write(struct.pack(">I", len(piece)) + piece)
                                await writer.drain()
                        writer.write(struct.pack(">I", 0))
                    await writer.drain()
                    reply = await reader.readuntil(b"\0")
                finally:
                    writer.close()
                    # clamd may already have hung up; the verdict is in hand.
                    with contextlib.suppress(OSError):
                        await writer.wait_closed()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            raise ScannerUnavailable("clamd did not answer") from None
        return reply[:_MAX_REPLY].rstrip(b"\0").decode("utf-8", "replace").strip()

    async def scan(self, chunks: AsyncIterable[bytes]) -> ScanVerdict:
        reply = await self._exchange(b"INSTREAM", chunks)
        # "stream: OK", "stream: <signature> FOUND" or "<message> ERROR"
        if reply.endswith("FOUND"):
            signature = reply.removeprefix("stream:").removesuffix("FOUND").strip()
            return ScanVerdict(clean=False, signature=signature or "unknown")
        if reply == "stream: OK":
            return ScanVerdict(clean=True)
        raise ScannerUnavailable("clamd reported an error")

    async def ping(self) -> bool:
        try:
            return await self._exchange(b"PING", None) == "PONG"
        except ScannerUnavailable:
            return False
