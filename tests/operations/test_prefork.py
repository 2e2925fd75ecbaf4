"""`rongban serve` with RONGBAN_WORKERS=2: one parent that loaded the app (modules, schema,
search dictionaries) forks its workers, which share those pages; a worker killed is
replaced; a scrape of either worker counts both workers' requests; Ctrl-C stops everything
gracefully."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from resolvers.settings import Settings
from tests.conftest import RunningApp
from tests.processes import ROOT, eventually, free_port, process_env

pytestmark = pytest.mark.processes


def _workers(parent: psutil.Process) -> list[psutil.Process]:
    # gunicorn's arbiter forks its workers directly: they run the parent's command line.
    found = []
    for child in parent.children():
        try:
            if child.cmdline() == parent.cmdline():
                found.append(child)
        except psutil.Error:
            pass  # exited meanwhile (a zombie until the arbiter reaps it)
    return found


async def test_workers_are_forked_from_a_loaded_parent_and_replaced_when_killed(
    seeded: RunningApp, tmp_path: Path
) -> None:
    settings = seeded.settings
    if settings.embedded_redis or not settings.database_url.startswith("postgres"):
        pytest.skip("several workers share state only through real PostgreSQL and Redis")
    log = tmp_path / "server.log"
    with _server(settings, log) as (url, process):
        parent = psutil.Process(process.pid)
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await _exercise(client, process, parent, log)
            await _both_serve(url, _workers(parent))
    text = log.read_text(errors="replace")
    assert process.returncode == 0, text[-2000:]
    # Graceful: the one worker killed is the test's; none had to be killed at the stop.
    assert text.count("was sent SIGKILL") == 1, text[-2000:]
    # Each worker writes its own lines (its writer thread started after the fork), with
    # request ids of its own: three workers ran (one replaced), each said it was ready, and
    # the two that shared the load both logged their requests.
    assert len(set(re.findall(r"ready: process (\d+) serves", text))) == 3, text[-2000:]
    ids = re.findall(r"api\.access \[(\w+)-(\w+)\] \S+ \"POST /graphql", text)
    assert len(ids) >= 64 * 5
    assert len(set(ids)) == len(ids)  # no request id given twice
    # The residents' 64 connections, hashed over the two workers' sockets, give each about
    # half, give or take 6% (their requests by the prefix of the worker that served them; the
    # CPU each spent, measured before, moved with whatever else ran on the machine).
    served = sorted(Counter(prefix for prefix, _ in ids).values(), reverse=True)[:2]
    assert len(served) == 2, served
    assert served[1] >= 0.25 * sum(served), served


async def _both_serve(url: str, workers: list[psutil.Process]) -> None:
    """Connections spread over the workers: each listens on its own SO_REUSEPORT socket
    (on one shared socket, one worker took every keep-alive connection)."""
    page = {"query": "{ services(first: 5) { nodes { code name } } }"}

    def busy() -> dict[int, float]:
        return {w.pid: w.cpu_times().user + w.cpu_times().system for w in workers}

    async def resident() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as own:  # a connection each
            for _ in range(5):
                assert (await own.post("/graphql", json=page)).status_code == 200

    # Each worker listens on the port itself; the arbiter does not (else the kernel would
    # queue connections on its socket too).
    port = int(url.rsplit(":", 1)[1])
    for process in workers:
        listening = [c for c in process.net_connections("tcp") if c.status == psutil.CONN_LISTEN]
        assert [c.laddr.port for c in listening] == [port], (process.pid, listening)
    arbiter = workers[0].parent()
    assert arbiter is not None
    assert not [
        c
        for c in arbiter.net_connections("tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    ]

    # Before the quiet period below: a scrape costs its worker CPU of its own.
    counted = await _anonymous_requests_counted(url)

    # A replaced worker may still be starting (its lifespan loads the index) after another
    # one answered /readyz: measure from when neither is busy on its own.
    settled, before = False, busy()
    for _ in range(100):
        await asyncio.sleep(0.3)
        now = busy()
        settled = all(now[pid] - before[pid] < 0.01 for pid in now)
        before = now
        if settled:
            break
    assert settled, "a worker kept busy with no request to serve"
    await asyncio.gather(*(resident() for _ in range(64)))
    # Each worker adds its own tallies to the shared metrics files every second, and a
    # scrape of either adds up both: exactly the requests made, none lost or counted twice.
    await eventually(
        lambda: _counted_is(url, counted + 64 * 5), 10, "both workers' requests were counted"
    )


METRICS_TOKEN = "prefork-metrics-token"


async def _anonymous_requests(url: str) -> float:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:  # its own connection
        answer = await client.get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200, answer.text
    return sum(
        sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        # The residents' page below (a replaced worker's warm-up asks named operations)
        if sample.name == "rongban_graphql_requests_total"
        and sample.labels == {"operation": "anonymous", "outcome": "ok"}
    )


async def _anonymous_requests_counted(url: str) -> float:
    """The count once both workers have flushed what they counted (it stays the same over
    more than a flush interval)."""
    previous = await _anonymous_requests(url)
    for _ in range(10):
        await asyncio.sleep(1.5)
        now = await _anonymous_requests(url)
        if now == previous:
            return now
        previous = now
    pytest.fail("the count of anonymous requests kept changing with none being made")


async def _counted_is(url: str, expected: float) -> bool:
    now = await _anonymous_requests(url)
    assert now <= expected, (now, expected)
    return now == expected


@contextmanager
def _server(settings: Settings, log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    written = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve"],
        cwd=ROOT,
        # One test client plays 64 residents: the per-address caps are lifted.
        env=process_env(
            settings,
            port=str(port),
            workers="2",
            max_concurrent_per_address="1000",
            cost_budget_per_minute="100000000",
            metrics_token=METRICS_TOKEN,
            log_level="INFO",  # the workers' own lines are part of what is tested
        ),
        stdout=subprocess.DEVNULL,
        stderr=written,
    )
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail("Ctrl-C did not stop the server within 20 s")
        finally:
            written.close()


def _ready_pids(log: Path) -> set[int]:
    return {int(pid) for pid in re.findall(r"ready: process (\d+) serves", log.read_text())}


async def _exercise(
    client: httpx.AsyncClient, process: subprocess.Popen[bytes], parent: psutil.Process, log: Path
) -> None:
    async def ready() -> bool:
        assert process.poll() is None, "the server ended"
        try:
            return (await client.get("/readyz", timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False

    await eventually(ready, 90, "the server answered /readyz")
    await eventually(lambda: len(_workers(parent)) == 2, 30, "two workers ran")
    workers = _workers(parent)
    # /readyz is answered by whichever worker is up: the other may still be warming up.
    await eventually(
        lambda: {w.pid for w in workers} <= _ready_pids(log), 90, "both workers said ready"
    )

    # Searches load nothing new in a worker: the dictionaries came from the parent.
    for word in ("身份证", "shebao", "sfz"):
        answer = await client.post(
            "/graphql",
            json={
                "query": "query S($k: String!) { services(filter: {keyword: $k}, first: 5)"
                " { totalCount } }",
                "variables": {"k": word},
            },
        )
        assert answer.status_code == 200, answer.text
        assert "errors" not in answer.json(), answer.text
    for worker in workers:
        memory = worker.memory_full_info()
        # Most of a worker's resident pages are the parent's, shared (uvicorn's own
        # --workers spawns interpreters that share almost nothing: USS close to RSS).
        assert memory.uss < memory.rss / 2, (worker.pid, memory)

    # A worker killed mid-life is replaced, and the port keeps answering.
    os.kill(workers[0].pid, signal.SIGKILL)

    def replaced() -> bool:
        now = _workers(parent)
        return len(now) == 2 and workers[0].pid not in {w.pid for w in now}

    await eventually(replaced, 60, "the killed worker was replaced")
    await eventually(ready, 60, "the server answered after the replacement")
