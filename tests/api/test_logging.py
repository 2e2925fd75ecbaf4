"""The redacting formatter: the safety net under "never log personal data"."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from api import logging as api_logging
from api.logging import RedactingFormatter, redact
from tests.conftest import ServiceLog


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("phone 13800138000 failed", "13800138000"),
        ("phone +86 13800138000", "13800138000"),
        ("id 11010519491231002X", "11010519491231002X"),
        ("id 11010519491231002x.", "11010519491231002x"),
        ("GET /sns/jscode2session?appid=wx1&secret=abc123&js_code=zz", "abc123"),
        ('{"refreshToken": "tok_abc"}', "tok_abc"),
        ("authorization: Bearer sekrit-token", "sekrit-token"),
    ],
)
def test_personal_data_and_secrets_are_masked(text: str, hidden: str) -> None:
    assert hidden not in redact(text)


def test_ordinary_text_is_left_alone() -> None:
    text = "request error GRAPHQL_VALIDATION_FAILED in 12 ms, 3 rows, order 20261127"

    assert redact(text) == text


def test_tracebacks_are_redacted_too() -> None:
    try:
        raise ValueError("bad id 11010519491231002X")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())

    written = RedactingFormatter("%(message)s").format(record)

    assert "ValueError" in written
    assert "11010519491231002X" not in written


def test_json_lines_are_redacted_objects() -> None:
    import orjson

    from api.logging import JsonFormatter

    record = logging.LogRecord(
        "api.test", logging.ERROR, __file__, 1, "sms to 13800138000 failed\nsecond", None, None
    )
    record.request_id = "req-12345678"
    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = orjson.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "api.test"
    assert entry["request_id"] == "req-12345678"
    assert "13800138000" not in entry["message"]
    assert "<phone>" in entry["message"]


def _access(n: int) -> None:
    api_logging.log_access("203.0.113.9:5000", "GET", f"/n/{n}", "", "1.1", 200, 10, 1.0)


def _numbers(text: str) -> list[int]:
    return [
        int(line.split('"GET /n/')[1].split(" ")[0]) for line in text.splitlines() if "/n/" in line
    ]


def _before_each_write(
    monkeypatch: pytest.MonkeyPatch, before: Callable[[list[Any]], object]
) -> None:
    """Runs `before` with each batch the installed writer thread is about to write."""
    handler = api_logging._installed
    assert handler is not None
    assert handler.listener is not None
    write = handler.listener._write

    def spied(items: list[Any]) -> None:
        before(items)
        write(items)

    monkeypatch.setattr(handler.listener, "_write", spied)


def test_a_burst_from_two_threads_is_written_whole_and_in_order_per_thread(
    service_log: ServiceLog,
) -> None:
    def others() -> None:
        for n in range(5000, 7000):
            _access(n)

    other = threading.Thread(target=others)
    other.start()
    for n in range(2000):
        _access(n)
    other.join()

    numbers = _numbers(service_log())

    assert sorted(numbers) == [*range(2000), *range(5000, 7000)]
    assert [n for n in numbers if n < 5000] == list(range(2000))
    assert [n for n in numbers if n >= 5000] == list(range(5000, 7000))


def test_a_writer_that_falls_behind_drops_lines_and_says_how_many(
    service_log: ServiceLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_logging, "QUEUE_SIZE", 10)
    writing, gate = threading.Event(), threading.Event()

    def slow(items: list[Any]) -> None:
        writing.set()
        gate.wait(5)

    _before_each_write(monkeypatch, slow)
    try:
        _access(0)
        assert writing.wait(5)  # the writer holds line 0 and writes nothing more for now
        for n in range(1, 26):
            _access(n)
    finally:
        gate.set()
    service_log()
    _access(99)  # room again: the drop is reported with it
    text = service_log()

    assert _numbers(text) == [*range(11), 99]
    assert "15 log records dropped: the log writer fell behind" in text


def test_closing_writes_what_is_still_queued(service_log: ServiceLog) -> None:
    handler = api_logging._installed
    assert handler is not None
    for n in range(300):
        _access(n)
    handler.close()

    assert _numbers(service_log()) == list(range(300))


def test_one_wake_up_writes_every_line_gathered_in_writes_of_at_most_1000(
    service_log: ServiceLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    service_log()  # nothing of an earlier test left queued
    gathered: list[int] = []
    _before_each_write(monkeypatch, lambda items: gathered.append(len(items)))
    monkeypatch.setattr(api_logging, "GATHER_SECONDS", 600.0)  # until service_log's flush
    for n in range(4500):
        _access(n)

    assert _numbers(service_log()) == list(range(4500))
    assert max(gathered) == 1000
    assert sum(gathered) == 4500


def test_flush_does_not_wait_for_the_gathering(
    service_log: ServiceLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    service_log()
    # Were flush to leave the writer to its gathering, the line would come after flush's
    # two seconds were up, and be missing here.
    monkeypatch.setattr(api_logging, "GATHER_SECONDS", 600.0)
    _access(1)

    assert _numbers(service_log()) == [1]


def test_a_warning_is_written_without_waiting_for_the_gathering(
    service_log: ServiceLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    service_log()
    written = threading.Event()
    _before_each_write(monkeypatch, lambda items: written.set())
    monkeypatch.setattr(api_logging, "GATHER_SECONDS", 600.0)
    _access(1)
    logging.getLogger("api.test").info("an ordinary line")
    assert not written.wait(0.3)  # gathering
    logging.getLogger("api.test").warning("a worker is about to be killed")

    assert written.wait(5)  # without a flush: a process killed now keeps its warning
    text = service_log()
    assert _numbers(text) == [1]
    assert "an ordinary line" in text
    assert "a worker is about to be killed" in text


def test_warnings_in_a_burst_are_written_together(
    service_log: ServiceLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # While Redis is down every request warns: each warning hurries the writer, which still
    # gathers a little, so that the burst is not one wake-up (and one write) per warning.
    service_log()
    batches: list[int] = []
    _before_each_write(monkeypatch, lambda items: batches.append(len(items)))
    monkeypatch.setattr(api_logging, "HURRIED_SECONDS", 1.0)
    for n in range(20):  # over about 0.2 s, each of them long enough for the writer to wake
        logging.getLogger("api.test").warning("session cache unavailable %d", n)
        time.sleep(0.01)

    text = service_log()
    assert all(f"session cache unavailable {n}" in text for n in range(20))
    assert batches == [20]
