"""The redacting formatter: the safety net under "never log personal data"."""

from __future__ import annotations

import logging
import sys

import pytest

from api.logging import RedactingFormatter, redact


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
