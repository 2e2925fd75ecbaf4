"""Real `rongban serve` and `rongban worker` processes for the tests that need more than one:
state shared only through PostgreSQL and Redis, as in production."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from resolvers.settings import Settings

# Ports this process has handed out: the OS may give the same free port to two binds in a row
# once the first socket is closed, and a test that takes several ports before starting its
# servers then started two of them on one port (seen in CI: `rongban dev`'s API and its
# province sandbox).
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on now, and never one this process handed out before."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


ROOT = Path(__file__).resolve().parent.parent


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `rongban` process on the test's database, Redis, mock WeChat and
    provincial sandbox; `extra` settings by name."""
    values = {
        "database_url": settings.database_url,
        "redis_url": settings.redis_url,
        "storage_url": settings.storage_url,
        "secret_key": settings.secret_key.get_secret_value(),
        "wechat_app_id": settings.wechat_app_id,
        "wechat_app_secret": settings.wechat_app_secret.get_secret_value(),
        "wechat_api_base": settings.wechat_api_base,
        "wechat_timeout_seconds": str(settings.wechat_timeout_seconds),
        "sms_url": settings.sms_url,
        "sms_secret": settings.sms_secret.get_secret_value(),
        "identity_relay_url": settings.identity_relay_url,
        "identity_relay_secret": settings.identity_relay_secret.get_secret_value(),
        "exchange_province_url": settings.exchange_province_url,
        "exchange_system_id": settings.exchange_system_id,
        "exchange_secret": settings.exchange_secret.get_secret_value(),
        "exchange_timeout_seconds": str(settings.exchange_timeout_seconds),
        "demo_password": settings.demo_password.get_secret_value(),
        "log_level": "WARNING",
    } | extra
    return {k: v for k, v in os.environ.items() if not k.startswith("RONGBAN_")} | {
        f"RONGBAN_{name.upper()}": value for name, value in values.items()
    }


class Worker:
    """One `rongban worker` process; `kill()` is `kill -9`."""

    def __init__(self, settings: Settings, log: Path | None, **extra: str) -> None:
        self.log = log.open("ab") if log is not None else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"],
            cwd=ROOT,
            env=process_env(settings, **extra),
            stdout=subprocess.DEVNULL,
            stderr=self.log or subprocess.DEVNULL,
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.log is not None:
            self.log.close()


@contextmanager
def worker_processes(
    settings: Settings, count: int, log: Path | None = None, **extra: str
) -> Iterator[list[Worker]]:
    """`rongban worker` processes on the test's database, Redis and peers; stopped at the end
    (those still alive), stderr appended to `log` when given."""
    workers: list[Worker] = []
    try:
        for _ in range(count):
            workers.append(Worker(settings, log, **extra))
        yield workers
    finally:
        for worker in workers:
            worker.stop()


@contextmanager
def api_processes(settings: Settings, count: int, **extra: str) -> Iterator[list[str]]:
    """`rongban serve` processes on the test's database and Redis, one port each."""
    ports = [free_port() for _ in range(count)]
    processes = []
    for port in ports:
        env = process_env(settings, port=str(port), **extra)
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


async def eventually(
    check: Callable[[], Awaitable[bool] | bool], seconds: float, what: str
) -> None:
    """Polls `check` until it holds; fails naming `what` when `seconds` pass first (a bound
    the behaviour promises, never a speed measurement)."""
    deadline = time.monotonic() + seconds
    while True:
        outcome = check()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        assert time.monotonic() < deadline, f"{what}: not within {seconds:g} s"
        await asyncio.sleep(0.1)
