"""Real `rongban serve` processes for the tests that need more than one: state shared only
through PostgreSQL and Redis, as in production."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from resolvers.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def api_processes(settings: Settings, count: int, **extra: str) -> Iterator[list[str]]:
    """`rongban serve` processes on the test's database and Redis, one port each."""
    ports = [free_port() for _ in range(count)]
    processes = []
    for port in ports:
        env = (
            {k: v for k, v in os.environ.items() if not k.startswith("RONGBAN_")}
            | {
                "RONGBAN_DATABASE_URL": settings.database_url,
                "RONGBAN_REDIS_URL": settings.redis_url,
                "RONGBAN_STORAGE_URL": settings.storage_url,
                "RONGBAN_SECRET_KEY": settings.secret_key.get_secret_value(),
                "RONGBAN_PORT": str(port),
                "RONGBAN_LOG_LEVEL": "WARNING",
            }
            | {f"RONGBAN_{name.upper()}": value for name, value in extra.items()}
        )
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, "the API process ended"
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the API process did not come up"
                time.sleep(0.1)
        yield urls
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
