"""`rongban serve`'s HTTP protocol sends each response in one write, and otherwise behaves as
uvicorn's: keep-alive, pipelining, streaming, large bodies, `Connection: close` and WebSocket
upgrades, on a real uvicorn server over loopback sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from api.transport import FLUSH_BYTES, GatheredWrites, OneWritePerResponse
from tests.processes import free_port

BIG = bytes(range(256)) * (4 * FLUSH_BYTES // 256 + 7)


class Recording:
    """A transport that delegates, recording each write that reaches it."""

    def __init__(self, transport: asyncio.Transport, writes: list[bytes]) -> None:
        self._transport = transport
        self.writes = writes

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


WRITES: list[bytes] = []


class RecordedProtocol(OneWritePerResponse):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(Recording(transport, WRITES))  # type: ignore[arg-type]


def _app(release: asyncio.Event) -> Starlette:
    async def small(request: Request) -> Response:
        return JSONResponse({"n": int(request.query_params.get("n", "0"))})

    async def stream(request: Request) -> Response:
        async def parts() -> AsyncIterator[bytes]:
            yield b"first;"
            await release.wait()  # the client has read the first part before this one exists
            yield b"second"

        return StreamingResponse(parts(), media_type="text/plain")

    async def big(request: Request) -> Response:
        return Response(BIG, media_type="application/octet-stream")

    async def echo(socket: WebSocket) -> None:
        await socket.accept()
        while True:
            text = await socket.receive_text()
            await socket.send_text(f"echo {text}")

    return Starlette(
        routes=[
            Route("/small", small),
            Route("/stream", stream),
            Route("/big", big),
            WebSocketRoute("/ws", echo),
        ]
    )


@pytest.fixture
async def server() -> AsyncIterator[tuple[int, asyncio.Event]]:
    release = asyncio.Event()
    port = free_port()
    config = uvicorn.Config(
        _app(release),
        host="127.0.0.1",
        port=port,
        http=RecordedProtocol,
        lifespan="off",
        log_level="warning",
    )
    running = uvicorn.Server(config)
    task = asyncio.create_task(running.serve())
    for _ in range(500):
        if running.started:
            break
        await asyncio.sleep(0.01)
    assert running.started
    WRITES.clear()
    try:
        yield port, release
    finally:
        running.should_exit = True
        await asyncio.wait_for(task, 10)


@asynccontextmanager
async def _connection(
    port: int,
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A raw loopback connection to the server, closed afterwards."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()


async def _read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head, await reader.readexactly(length)


async def test_each_response_is_one_write_on_a_kept_alive_connection(
    server: tuple[int, asyncio.Event],
) -> None:
    port, _ = server
    async with _connection(port) as (reader, writer):
        for n in range(3):
            writer.write(f"GET /small?n={n} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
            head, body = await _read_response(reader)
            assert head.startswith(b"HTTP/1.1 200")
            assert json.loads(body) == {"n": n}
    # uvicorn's own protocol writes the head and the body apart: six writes for three.
    assert len(WRITES) == 3
    assert all(w.startswith(b"HTTP/1.1 200") and w.endswith(b"}") for w in WRITES)


async def test_pipelined_requests_are_answered_in_order(server: tuple[int, asyncio.Event]) -> None:
    port, _ = server
    async with _connection(port) as (reader, writer):
        writer.write(
            b"".join(f"GET /small?n={n} HTTP/1.1\r\nHost: test\r\n\r\n".encode() for n in range(5))
        )
        answers = [json.loads((await _read_response(reader))[1]) for _ in range(5)]
    assert answers == [{"n": n} for n in range(5)]


async def test_connection_close_sends_the_answer_then_closes(
    server: tuple[int, asyncio.Event],
) -> None:
    port, _ = server
    async with _connection(port) as (reader, writer):
        writer.write(b"GET /small?n=7 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        everything = await asyncio.wait_for(reader.read(), 5)  # up to the server's close
    head, _, body = everything.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(body) == {"n": 7}


async def test_a_streamed_part_is_not_held_for_the_next(
    server: tuple[int, asyncio.Event],
) -> None:
    port, release = server
    async with (
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client,
        client.stream("GET", "/stream") as response,
    ):
        parts = response.aiter_raw()
        first = await asyncio.wait_for(anext(parts), 5)
        assert first == b"first;"
        release.set()
        assert b"".join([part async for part in parts]) == b"second"


async def test_a_large_body_arrives_whole(server: tuple[int, asyncio.Event]) -> None:
    port, _ = server
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(3):
            response = await client.get("/big")
            assert response.content == BIG
    # A body of FLUSH_BYTES or more goes out as it is, not copied into a gathered write.
    assert WRITES.count(BIG) == 3


async def test_websocket_upgrade_after_an_answer_on_the_same_connection(
    server: tuple[int, asyncio.Event],
) -> None:
    port, _ = server
    async with _connection(port) as (reader, writer):
        writer.write(b"GET /small?n=1 HTTP/1.1\r\nHost: test\r\n\r\n")
        assert json.loads((await _read_response(reader))[1]) == {"n": 1}
        writer.write(
            b"GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        switching = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert switching.startswith(b"HTTP/1.1 101")
        payload = "你好".encode()
        mask = b"\x01\x02\x03\x04"
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        writer.write(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
        header = await asyncio.wait_for(reader.readexactly(2), 5)
        assert header[0] == 0x81
        assert (await reader.readexactly(header[1])).decode() == "echo 你好"


async def test_websocket_clients_connect_and_talk(server: tuple[int, asyncio.Event]) -> None:
    port, _ = server
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as socket:
        for text in ("一", "two"):
            await socket.send(text)
            assert await asyncio.wait_for(socket.recv(), 5) == f"echo {text}"


class _Transport:
    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def write_eof(self) -> None:
        self.calls.append(("eof", b""))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 10


async def test_gathered_writes_keep_order_around_close_eof_and_abort() -> None:
    loop = asyncio.get_running_loop()

    inner = _Transport()
    gathered = GatheredWrites(inner, loop)  # type: ignore[arg-type]
    gathered.write(b"head;")
    gathered.writelines([b"a", b"", memoryview(b"b")])
    assert inner.calls == []
    assert gathered.get_write_buffer_size() == 10 + len(b"head;ab")
    await asyncio.sleep(0)  # the loop's iteration ends
    assert inner.calls == [("write", b"head;ab")]

    inner = _Transport()
    gathered = GatheredWrites(inner, loop)  # type: ignore[arg-type]
    gathered.write(b"last")
    gathered.write_eof()
    gathered.write(b"more")
    gathered.close()
    await asyncio.sleep(0)
    assert inner.calls == [("write", b"last"), ("eof", b""), ("write", b"more"), ("close", b"")]

    inner = _Transport()
    gathered = GatheredWrites(inner, loop)  # type: ignore[arg-type]
    gathered.write(b"never")
    gathered.abort()
    gathered.write(b"after abort")  # the transport is closing: nothing more reaches it
    await asyncio.sleep(0)
    assert inner.calls == [("abort", b"")]


def test_rongban_serve_uses_it_with_one_worker_and_with_several(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import api.cli
    from api.prefork import RongbanWorker
    from resolvers.settings import Settings

    ran: dict[str, Any] = {}
    monkeypatch.setattr("api.cli.uvicorn.run", lambda *args, **kwargs: ran.update(kwargs))
    api.cli.cmd_serve(Settings(workers=1))
    assert ran["http"] is OneWritePerResponse
    assert RongbanWorker.CONFIG_KWARGS["http"] is OneWritePerResponse
