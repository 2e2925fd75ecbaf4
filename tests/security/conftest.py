"""Helpers for attack reproductions: WebSockets through the ASGI app, `rongban serve` as a
real process (some attacks only exist behind a real HTTP server), and the service's log as
`rongban serve` writes it (configure_logging), captured for a test."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from resolvers.settings import Settings
from tests.conftest import ROOT, RunningApp, loopback
from tests.processes import free_port

PROTOCOL = "graphql-transport-ws"


@asynccontextmanager
async def websocket(
    running: RunningApp, headers: dict[str, str] | None = None, client: str = "203.0.113.7"
) -> AsyncIterator[Any]:
    transport = ASGIWebSocketTransport(app=running.asgi, client=(client, 50000))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        aconnect_ws("/graphql", http, subprotocols=[PROTOCOL], headers=headers or {}) as ws,  # type: ignore[var-annotated]
    ):
        yield ws


def settings_environment(settings: Settings) -> dict[str, str]:
    """The RONGBAN_* variables that rebuild `settings` in another process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RONGBAN_")}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        if isinstance(value, tuple):
            value = ",".join(
                v.get_secret_value() if hasattr(v, "get_secret_value") else str(v) for v in value
            )
        elif isinstance(value, dict):
            import json

            value = json.dumps(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[f"RONGBAN_{name.upper()}"] = str(value)
    return env


@contextmanager
def served(settings: Settings, log_path: Path) -> Iterator[str]:
    """`rongban serve` on a spare loopback port, as operators run it; yields its base URL."""
    port = free_port()
    env = settings_environment(settings.model_copy(update={"port": port, "host": "127.0.0.1"}))
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if loopback.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"`rongban serve` did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield base
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


# The start of every record (LINE_FORMAT): a timestamp, a level and a logger name.
RECORD_START = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+ \[")
# Every further line of a record (a traceback) starts with this.
CONTINUATION = "  | "


def assert_one_record_per_line(output: str) -> None:
    """Every line is a record of its own or a marked continuation of the one before."""
    lines = output.splitlines()
    assert lines, "nothing was logged"
    for line in lines:
        assert RECORD_START.match(line) or line.startswith(CONTINUATION), line
