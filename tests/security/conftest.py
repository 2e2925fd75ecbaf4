"""The service's log as `rongban serve` writes it (configure_logging), captured for a test."""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Callable, Iterator

import pytest

from api.logging import configure_logging

# The start of every record (LINE_FORMAT): a timestamp, a level and a logger name.
RECORD_START = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+ \[")
# Every further line of a record (a traceback) starts with this.
CONTINUATION = "  | "

ServiceLog = Callable[[], str]


@pytest.fixture
def service_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServiceLog]:
    """Logging configured as in production, writing to a buffer instead of stderr; calling
    the fixture's value returns everything written so far (waiting for queued records)."""
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    uvicorn_loggers = {
        name: (list(logger.handlers), logger.propagate)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        for logger in [logging.getLogger(name)]
    }
    written = io.StringIO()
    monkeypatch.setattr(sys, "stderr", written)
    configure_logging("INFO")
    installed = [handler for handler in root.handlers if handler not in before]

    def read() -> str:
        for handler in installed:
            handler.flush()
        return written.getvalue()

    try:
        yield read
    finally:
        for handler in installed:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
        for name, (handlers, propagate) in uvicorn_loggers.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.propagate = propagate


def assert_one_record_per_line(output: str) -> None:
    """Every line is a record of its own or a marked continuation of the one before."""
    lines = output.splitlines()
    assert lines, "nothing was logged"
    for line in lines:
        assert RECORD_START.match(line) or line.startswith(CONTINUATION), line
