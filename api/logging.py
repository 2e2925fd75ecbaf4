"""Log set-up: one line per event with the request id, and personal data redacted."""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# Safety net under the rule "never log personal data": whatever slips into a message, a
# traceback or an access-log URL is masked before it is written.
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # secrets and one-time codes in URLs, JSON and key=value text
    (
        re.compile(
            r"(?i)(\"?(?:secret|access_token|session_key|js_code|refresh_?token|token|"
            r"password|otp|code|authorization)\"?\s*[=:]\s*\"?)(?:Bearer\s+)?[^\s\"&,}]+"
        ),
        r"\1***",
    ),
    (re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"), "<id-number>"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)"), "<phone>"),
)


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.request_id = request_id_var.get()
        return redact(super().format(record))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    quiet_chatty_libraries()


def quiet_chatty_libraries() -> None:
    """Libraries that log request URLs or SQL parameters at DEBUG stay at WARNING, whatever
    the root level: WeChat puts the app secret and js_code in URLs, and SQL parameters
    include openids and keyed digests."""
    for name in ("urllib3", "requests", "httpx", "httpcore", "tortoise", "aiosqlite", "asyncpg"):
        logging.getLogger(name).setLevel(logging.WARNING)
