"""A request can no longer write lines of its own into the log: the Open311 request id with
`%0A` and a forged record (name and dashed phone) is refused as a typed 400 and reaches the
log only escaped and redacted; messages and exceptions with control characters stay one
record, whose traceback lines are all marked."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

import pytest

from tests.conftest import RunningApp, ServiceLog
from tests.security.conftest import (
    CONTINUATION,
    RECORD_START,
    assert_one_record_per_line,
)

FORGED_STAMP = "2026-01-01 00:00:00,000"
FORGED = f"SQ1\n{FORGED_STAMP} ERROR api.open311 [-] 张三 138-1234-5678"


def _forged_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(FORGED_STAMP)]


async def test_an_open311_request_id_cannot_forge_a_log_line(
    running: RunningApp, service_log: ServiceLog
) -> None:
    response = await running.client.get(f"/open311/v2/requests/{quote(FORGED)}.json")
    output = service_log()

    assert response.status_code == 400
    assert response.json() == [
        {
            "code": 400,
            "description": "service_request_id must be 1 to 24 letters, digits or dashes",
        }
    ]
    assert _forged_lines(output) == []
    assert_one_record_per_line(output)
    assert "138-1234-5678" not in output
    assert "12345678" not in re.sub(r"\D", "", output)
    assert "张三" not in output
    # The request itself is on record, on one line, with its request id.
    request_id = response.headers["x-request-id"]
    access = [line for line in output.splitlines() if f"[{request_id}]" in line]
    assert len(access) == 1
    assert "/open311/v2/requests/SQ1\\n2026-01-01" in access[0]
    assert "<name> <phone>" in access[0]


@pytest.mark.parametrize(
    "separator", ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]
)
async def test_a_message_with_a_line_break_stays_one_record(
    separator: str, service_log: ServiceLog
) -> None:
    forged = f"ok{separator}{FORGED_STAMP} CRITICAL api.auth [-] admin signed in"

    logging.getLogger("api.test").warning("appeal text: %s", forged)
    output = service_log()

    assert _forged_lines(output) == []
    assert len(output.splitlines()) == 1
    assert RECORD_START.match(output)
    assert "admin signed in" in output  # kept, escaped, on the record's own line


async def test_terminal_escapes_and_bidi_overrides_are_written_as_escapes(
    service_log: ServiceLog,
) -> None:
    logging.getLogger("api.test").warning("name \x1b[2K\x1b[1A\u202eevil\u2066 done")
    output = service_log()

    assert "\x1b" not in output
    assert "\u202e" not in output
    assert "\u2066" not in output
    assert "\\x1b[2K\\x1b[1A\\u202eevil\\u2066 done" in output


async def test_an_exception_message_cannot_forge_a_record(service_log: ServiceLog) -> None:
    try:
        try:
            raise ValueError(f"Length of '{FORGED}' 66 > 24")
        except ValueError as error:
            raise RuntimeError("lookup failed") from error
    except RuntimeError:
        logging.getLogger("api.test").exception("open311 request failed")
    output = service_log()

    assert _forged_lines(output) == []
    assert_one_record_per_line(output)
    lines = output.splitlines()
    assert lines[0].endswith("open311 request failed")
    assert all(line.startswith(CONTINUATION) for line in lines[1:])
    # The whole message is one (escaped, redacted) continuation line.
    message = [line for line in lines if line.startswith(f"{CONTINUATION}ValueError")]
    assert message == [
        f"{CONTINUATION}ValueError: Length of 'SQ1\\n{FORGED_STAMP} ERROR api.open311 [-] "
        "<name> <phone>' 66 > 24"
    ]
    assert any("RuntimeError: lookup failed" in line for line in lines)
    assert "138-1234-5678" not in output
    assert "张三" not in output
