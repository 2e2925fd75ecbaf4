"""uvicorn's HTTP protocol, sending each response in one write.

uvicorn writes a response's status line and headers, then its body, each straight to the
socket: two system calls and, with Nagle's algorithm off as uvicorn sets it, two TCP
segments that the client reads apart. On a virtual machine, where a system call costs
several microseconds, the second write was a sixth of a cached answer's whole cost. Here
the writes a request's task makes in one step are gathered and sent together at the end of
the event loop's current iteration: one call, one segment, for a small answer.

Nothing waits longer than that iteration, so streamed answers and keep-alive behave as
before; what is gathered goes out at once when it reaches `FLUSH_BYTES`, and a write that
large goes straight to the socket after it, so a large body is neither held nor copied.
WebSocket connections get the socket's own transport when they upgrade."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# From this size on, bytes go out at once: a second call costs little beside them, and flow
# control (pause_writing) must see them.
FLUSH_BYTES = 64 * 1024


class GatheredWrites:
    """An asyncio transport's stand-in for one HTTP connection: `write` gathers, and what is
    gathered is written in one call when the loop's current iteration ends (or at once
    beyond FLUSH_BYTES, and before close or write_eof). Everything else is the transport's."""

    __slots__ = ("_gathered", "_loop", "_size", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._gathered: list[bytes] | None = None
        self._size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if len(data) >= FLUSH_BYTES:
            # A large body goes as it is, after what came before it, rather than copied.
            self.flush()
            if not self.transport.is_closing():
                self.transport.write(data)
            return
        gathered = self._gathered
        if gathered is None:
            gathered = self._gathered = []
            self._loop.call_soon(self.flush)
        gathered.append(bytes(data))
        self._size += len(data)
        if self._size >= FLUSH_BYTES:
            self.flush()

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Writes what is gathered now (nothing when it already has been)."""
        gathered = self._gathered
        if gathered is None:
            return
        # A flush already scheduled then finds nothing; a later write schedules its own.
        self._gathered = None
        self._size = 0
        if not self.transport.is_closing():
            self.transport.write(gathered[0] if len(gathered) == 1 else b"".join(gathered))

    def get_write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size() + self._size

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self._gathered = None
        self._size = 0
        self.transport.abort()

    def __getattr__(self, name: str) -> Any:
        # Only reached for what this class does not define: the transport's own.
        return getattr(self.transport, name)


class OneWritePerResponse(HttpToolsProtocol):
    """uvicorn's httptools protocol over GatheredWrites (pass as uvicorn's `http`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(GatheredWrites(transport, self.loop))  # type: ignore[arg-type]

    def handle_websocket_upgrade(self) -> None:
        gathered: object = self.transport
        if isinstance(gathered, GatheredWrites):
            gathered.flush()  # an earlier answer on this connection goes first
            self.transport = gathered.transport
        super().handle_websocket_upgrade()
