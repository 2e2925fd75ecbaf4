"""A client that goes away while its request is still arriving (a phone losing its network in
the middle of an upload or a query) ends that request as 499: counted and logged like any
answer, never a 500 with a traceback at ERROR."""

from __future__ import annotations

from typing import Any

from tests.conftest import RunningApp, ServiceLog


async def _cut_off(app: RunningApp, path: str) -> list[dict[str, Any]]:
    """Sends the head of a POST with a body, then the client is gone."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"4000")],
        "client": ("203.0.113.40", 50000),
        "server": ("testserver", 80),
    }
    arriving = [
        {"type": "http.request", "body": b'{"query": "{ __typ', "more_body": True},
    ]

    async def receive() -> dict[str, Any]:
        return arriving.pop(0) if arriving else {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app.asgi(scope, receive, send)
    return sent


async def test_a_request_cut_off_mid_body_ends_as_499_without_an_error(
    running: RunningApp, service_log: ServiceLog
) -> None:
    path = "/graphql"
    sent = await _cut_off(running, path)
    log = service_log()

    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 499
    assert "ERROR" not in log
    assert "Traceback" not in log
    assert f'"POST {path} HTTP/1.1" 499 ' in log
