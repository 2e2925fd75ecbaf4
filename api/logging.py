"""Log set-up: one line per record with the request id, personal data and bearer material
redacted, written off the request path."""

from __future__ import annotations

import atexit
import collections
import contextlib
import copy
import itertools
import logging
import os
import re
import sys
import threading
import time
import traceback
from contextvars import ContextVar
from logging.handlers import QueueHandler
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import orjson

from storage.objects import DOWNLOAD_PATH

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Every line of a traceback after the record's own line starts with this: a record line
# always starts with its timestamp, so no continuation can pass for a record of its own.
CONTINUATION = "  | "
# Records waiting for the writer thread; beyond this a burst is dropped (and counted) rather
# than let a slow stderr hold up requests or grow memory without bound.
QUEUE_SIZE = 10_000
# How long the writer lets lines gather once woken (see _Writer).
GATHER_SECONDS = 0.05
# How long lines still gather once hurried (a warning, a flush): enough that a storm of
# warnings (every request's, while Redis is down) wakes the writer a few hundred times a
# second rather than once per warning.
HURRIED_SECONDS = 0.005
# The server's own start and stop lines are written at once, after whatever is queued:
# uvicorn re-raises SIGTERM right after its last line, which ends the process before a
# writer thread would get to it.
WRITTEN_AT_ONCE = frozenset({"uvicorn", "uvicorn.error"})
REDACTED = "<redacted>"
# Longer messages (and traceback lines) are cut: redaction stays cheap, a log stays readable.
MAX_LINE = 16_384
MAX_LOGGED_PATH = 512
MAX_LOGGED_QUERY = 2048
MAX_LOGGED_FIELDS = 32

# -- one record, one line

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidirectional
# overrides and isolates (which can make a line read differently from what it holds).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """The text on one line: control characters written as escapes (`\\n`, `\\x1b`, `\\u2028`).
    Backslashes are kept, so escaping twice changes nothing."""
    return _CONTROLS.sub(_escaped, text)


# -- bearer material: whatever alone grants access, in paths, queries, JSON and headers

# Query, form, JSON and header keys (case-insensitive) whose values are credentials: any key
# ending in token, secret, signature, password, credential, api key, session key or id or
# ticket (access_token, refreshToken, X-Amz-Signature, X-Amz-Credential, q-signature,
# client_secret, upload_token), and one-time codes and signatures by their usual names.
BEARER_KEYS = re.compile(
    r"(?:[A-Za-z0-9_-]*(?:token|secret|signature|password|passwd|credential|api[_-]?key|"
    r"session[_-]?key|session[_-]?id|ticket)|sig|sign|pay[_-]?sign|code|js[_-]?code|otp|"
    r"authorization|awsaccesskeyid)",
    re.IGNORECASE,
)
# Paths whose last segment is itself a credential: the local store's download links.
BEARER_PATHS = (DOWNLOAD_PATH,)

_BEARER_PATH = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in BEARER_PATHS) + r")[^\s?#\"'<>]+"
)
# key=value in URLs and text, "key": "value" in JSON, key: value in headers.
_BEARER_PAIR = re.compile(
    r"(?<![A-Za-z0-9_-])(\"?(?:" + BEARER_KEYS.pattern + r")\"?\s*[=:]\s*\"?)"
    r"(?!<redacted>)(?:Bearer\s+)?[^\s\"&;,}]+",
    re.IGNORECASE,
)
_BEARER_SCHEME = re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9._~+/=-]+")
# Our own credentials carry a prefix: provider API keys, terminal credentials, webhook secrets.
_PREFIXED_SECRET = re.compile(r"\b(rb_pk_|rbt_|whsec_)[A-Za-z0-9._~+/=-]+")


def loggable_target(path: str, query: str = "") -> str:
    """A request's path and query as a log may show them: the credential in a bearer path
    and the values of bearer keys replaced, both cut to a sane length. The query is
    decoded, so an encoded key (`X%2DAmz%2DSignature`) is recognised as well."""
    for prefix in BEARER_PATHS:
        if path.startswith(prefix) and len(path) > len(prefix):
            path = prefix + REDACTED
            break
    path = _cut(path, MAX_LOGGED_PATH)
    if not query:
        return path
    pairs = parse_qsl(query[:MAX_LOGGED_QUERY], keep_blank_values=True)
    shown = "&".join(
        f"{key}={REDACTED if BEARER_KEYS.fullmatch(_bare(key)) else value}"
        for key, value in pairs[:MAX_LOGGED_FIELDS]
    )
    if len(pairs) > MAX_LOGGED_FIELDS or len(query) > MAX_LOGGED_QUERY:
        shown += "&…"
    return f"{path}?{shown}"


def _bare(key: str) -> str:
    """A query key without the decorations that would hide it (`token[]`, ` token `)."""
    return key.strip().removesuffix("[]").strip()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…({len(text) - limit} more)"


# -- personal data

_DIGIT_SEP = r"[\s\-]{0,3}"  # 138-1234-5678, 138 1234 5678, 510104-19900101-1234
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z\uff10-\uff19])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z\uff10-\uff19])"
# Resident ID numbers (GB 11643): 17 digits and a check digit or X, with any separators
# between digits (5101 0419 9001 0112 34, 510104-19900101-1234).
_ID_NUMBER = re.compile(
    f"{_NOT_ALNUM_BEFORE}\\d(?:{_DIGIT_SEP}\\d){{16}}{_DIGIT_SEP}[\\dXx]{_NOT_ALNUM_AFTER}"
)
# Mainland mobiles with an optional +86 / 0086 / (+86) / 86- prefix and separators, and
# landlines with their area code (028-8888 8888).
_MOBILE = re.compile(
    f"{_NOT_ALNUM_BEFORE}(?:(?:\\+|00)?86{_DIGIT_SEP}|\\(\\+?86\\){_DIGIT_SEP})?"
    f"1[3-9](?:{_DIGIT_SEP}\\d){{9}}{_NOT_ALNUM_AFTER}"
)
_LANDLINE = re.compile(
    _NOT_ALNUM_BEFORE + r"0\d{2,3}[\s\-]{1,3}\d{3,4}[\s\-]?\d{4}" + _NOT_ALNUM_AFTER
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Words that label a number rather than name a person (电话 138...), never taken for a name.
_LABELS = (
    "联系电话|手机号码|手机号|电话号码|电话|手机|号码|身份证号码|身份证号|身份证|证件号码|证件号|"
    "证件|联系方式|姓名|名字|联系人"
)
_NAME_CHAR = f"(?:(?!{_LABELS})[{_HAN}])"
# A name: 2 to 4 Han characters, or a transliterated one with a middle dot (买买提·艾力).
_NAME = f"{_NAME_CHAR}{{1,6}}[·•・]{_NAME_CHAR}{{1,8}}|{_NAME_CHAR}{{2,4}}"
_PLACEHOLDERS = "<phone>|<id-number>"
_BETWEEN = r"[\s,，:：;；/|()（）=\-]{0,3}"
# Labels are set aside (as private-use tokens) while names next to numbers are looked for,
# so that no part of 身份证号 or 联系电话 is ever taken for a name.
_LABEL = re.compile(f"(?:{_LABELS})号?")
_SET_ASIDE = re.compile("\ue000(\\d+)\ue001")
_ADJACENT_NAME = f"[{_HAN}]{{1,6}}[·•・][{_HAN}]{{1,8}}|[{_HAN}]{{2,4}}"
_NAME_BEFORE = re.compile(
    f"({_ADJACENT_NAME})({_BETWEEN}(?:\ue000\\d+\ue001{_BETWEEN})?)({_PLACEHOLDERS})"
)
_NAME_AFTER = re.compile(
    f"({_PLACEHOLDERS})({_BETWEEN}(?:\ue000\\d+\ue001{_BETWEEN})?)({_ADJACENT_NAME})"
)
# Name-like keys: what follows is a name, quoted, Han (up to 4 characters where no delimiter
# stops it) or one token (pinyin, percent-encoded). English keys need `=` or `:`.
_NAME_KEYS = (
    r"(?:(?<![A-Za-z0-9_-])(?:(?:real|full|first|last|given|family|contact|person|user)[_-]?)?"
    r"name\"?\s*[=:：]\s*|"
    r"(?:姓名|名字|联系人|申请人|投诉人|举报人|反映人|来电人|当事人|法定代表人|法人代表|经办人|"
    r"代理人|监护人|收件人|户主)\s*[=:：]?\s*)"
)
_NAMED_VALUE = re.compile(
    f"({_NAME_KEYS})"
    f"(\"[^\"\n]{{1,64}}\"|'[^'\n]{{1,64}}'|{_NAME}|[{_HAN}]|[^\\s\"'&;,，。}}\\]<>]{{1,64}})",
    re.IGNORECASE,
)


def _name_value(match: re.Match[str]) -> str:
    value = match.group(2)
    if value[0] in "\"'":
        return f"{match.group(1)}{value[0]}<name>{value[0]}"
    return f"{match.group(1)}<name>"


# Cheap tests that skip a pattern which cannot match: most lines hold none of these.
_BEARER_WORDS = (
    "token", "secret", "sig", "password", "passwd", "credential", "key", "session", "ticket",
    "code", "otp", "authorization", "bearer",
)  # fmt: skip
_HAS_HAN = re.compile(f"[{_HAN}]")


def redact(text: str) -> str:
    """Bearer material and personal data masked, in this order: credentials (paths, query
    and JSON keys, Bearer, prefixed keys), ID numbers, phones, e-mail addresses, then names
    (after a name-like key, or next to a masked phone or ID number)."""
    lowered = text.lower()
    text = _BEARER_PATH.sub(r"\1" + REDACTED, text)
    if any(word in lowered for word in _BEARER_WORDS):
        text = _BEARER_PAIR.sub(r"\1" + REDACTED, text)
        text = _BEARER_SCHEME.sub(r"\1" + REDACTED, text)
    if "rb_pk_" in text or "rbt_" in text or "whsec_" in text:
        text = _PREFIXED_SECRET.sub(r"\1" + REDACTED, text)
    text = _ID_NUMBER.sub("<id-number>", text)
    text = _MOBILE.sub("<phone>", text)
    text = _LANDLINE.sub("<phone>", text)
    if "@" in text:
        text = _EMAIL.sub("<email>", text)
    if "name" in lowered or _HAS_HAN.search(text):
        text = _NAMED_VALUE.sub(_name_value, text)
    if "<phone>" not in text and "<id-number>" not in text:
        return text
    labels: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        labels.append(match.group())
        return f"\ue000{len(labels) - 1}\ue001"

    text = _LABEL.sub(set_aside, text.replace("\ue000", "\ufffd").replace("\ue001", "\ufffd"))
    text = _NAME_BEFORE.sub(r"<name>\2\3", text)
    text = _NAME_AFTER.sub(r"\1\2<name>", text)
    return _SET_ASIDE.sub(lambda match: labels[int(match.group(1))], text)


def safe(text: str) -> str:
    """What may be written to a log: redacted, then on one line."""
    return escape_controls(redact(text))


# -- the formatter

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def exception_lines(exc_info: _ExcInfo | tuple[None, None, None]) -> list[str]:
    """A traceback as lines, unredacted and unescaped. The frames' newlines split lines; an
    exception's message (which may hold a request's input) stays one item whatever it
    holds, so that escaping writes it on one line."""
    if exc_info[1] is None:
        return []
    rendered = traceback.TracebackException(*exc_info)
    messages: set[str] = set()
    _messages_of(rendered, messages, set())
    lines: list[str] = []
    for chunk in rendered.format():
        text = chunk[:-1] if chunk.endswith("\n") else chunk
        if chunk in messages:
            lines.append(text)
        else:
            lines.extend(text.split("\n"))
    return lines


def _messages_of(rendered: traceback.TracebackException, into: set[str], seen: set[int]) -> None:
    if id(rendered) in seen:
        return
    seen.add(id(rendered))
    into.update(rendered.format_exception_only())
    for other in (rendered.__cause__, rendered.__context__, *(rendered.exceptions or ())):
        if other is not None:
            _messages_of(other, into, seen)


class RedactingFormatter(logging.Formatter):
    """A record as one line (controls escaped, personal data and bearer material redacted,
    at most MAX_LINE characters); a traceback or stack follows on lines that each start with
    CONTINUATION and are redacted and escaped the same way."""

    def __init__(self, fmt: str = LINE_FORMAT, datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        lines = [safe(_cut(self.formatMessage(record), MAX_LINE))]
        extra: list[str] = []
        if record.exc_info:
            extra = exception_lines(record.exc_info)
        elif getattr(record, "exc_lines", None):
            extra = list(getattr(record, "exc_lines"))  # noqa: B009 (set by _Enqueue)
        elif record.exc_text:
            extra = record.exc_text.split("\n")
        if record.stack_info:
            extra.extend(record.stack_info.split("\n"))
        lines.extend(CONTINUATION + safe(_cut(line, MAX_LINE)) for line in extra if line)
        return "\n".join(lines)


class JsonFormatter(RedactingFormatter):
    """A record as one JSON object per line (RONGBAN_LOG_FORMAT=json), redacted exactly as the
    text lines are: time, level, logger, request_id, message and, for errors, the traceback's
    lines."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        entry: dict[str, Any] = {
            "time": self.formatTime(record, self.datefmt),
            "level": record.levelname,
            "logger": record.name,
            "request_id": request_id,
            "message": safe(_cut(record.getMessage(), MAX_LINE)),
        }
        extra: list[str] = []
        if record.exc_info:
            extra = exception_lines(record.exc_info)
        elif getattr(record, "exc_lines", None):
            extra = list(getattr(record, "exc_lines"))  # noqa: B009 (set by _Enqueue)
        elif record.exc_text:
            extra = record.exc_text.split("\n")
        if extra:
            entry["exception"] = [safe(_cut(line, MAX_LINE)) for line in extra if line]
        return orjson.dumps(entry).decode()


# -- written off the request path


# An access line is queued as this tuple, not as a LogRecord: building a record (and rendering
# its message) on every request cost more than the request itself on a cached answer. The
# writer thread turns it into the same line the formatter would have written.
class AccessLine(NamedTuple):
    created: float
    request_id: str
    client: str
    method: str
    path: str
    query: str
    http_version: str
    status: int
    sent: int
    milliseconds: float


# Request ids this process made itself (`new_request_id`): nothing personal to redact.
_OWN_IDS = os.urandom(6).hex()
_ids = itertools.count(1)
_DIGITS = re.compile(r"\d{3}")
# Targets repeat all day (the same catalogue GETs): each is redacted once.
_TARGETS_KEPT = 4096


def new_request_id() -> str:
    """A unique id, cheaper than a UUID: this process's random prefix and a counter."""
    return f"{_OWN_IDS}-{next(_ids):010x}"


class _AccessFormatter:
    """Writes AccessLine tuples as RedactingFormatter writes a record of the "api.access"
    logger: the target redacted (remembered per target), the request id redacted unless this
    process made it."""

    def __init__(self, *, json: bool = False) -> None:
        self._targets: dict[tuple[str, str], str] = {}
        self._json = json
        self._second = -1
        self._stamp = ""

    def target(self, path: str, query: str) -> str:
        key = (path, query)
        found = self._targets.get(key)
        if found is None:
            found = safe(_cut(loggable_target(path, query), MAX_LINE))
            if len(self._targets) >= _TARGETS_KEPT:
                self._targets.clear()
            self._targets[key] = found
        return found

    def format(self, line: AccessLine) -> str:
        request_id = line.request_id
        if not request_id.startswith(_OWN_IDS) and _DIGITS.search(request_id):
            request_id = safe(request_id)
        seconds = int(line.created)
        if seconds != self._second:  # a busy second's lines share one rendering of it
            self._second, self._stamp = (
                seconds,
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds)),
            )
        stamp = self._stamp
        msecs = int((line.created - seconds) * 1000)
        message = (
            f'{line.client} "{line.method} {self.target(line.path, line.query)} '
            f'HTTP/{line.http_version}" {line.status} {line.sent}B {line.milliseconds:.1f}ms'
        )
        if self._json:
            entry = {
                "time": f"{stamp},{msecs:03d}",
                "level": "INFO",
                "logger": "api.access",
                "request_id": request_id,
                "message": message,
            }
            return orjson.dumps(entry).decode()
        return f"{stamp},{msecs:03d} INFO api.access [{request_id}] {message}"


class _Writer:
    """The thread that writes. Records and access lines reach it through a deque: appending
    is one step under the GIL, with no lock or condition on the request path (queue.Queue
    takes a lock and signals a condition per item). The thread is woken only when the deque
    goes from empty to not empty, then lets lines gather for GATHER_SECONDS and writes all
    of them, so that a busy server wakes it about twenty times a second rather than once per
    request: each wake-up takes the GIL from the event loop's thread, which on a busy server
    cost more than formatting the lines (a cached answer served 19,300-20,100 a second with a
    wake-up every 2 ms, 23,200-23,600 with one every 50 ms, 24,200-24,900 with the access log
    off). `flush` cuts the wait short to HURRIED_SECONDS, and so does a warning or an error."""

    _STOP = object()

    def __init__(self, handler: logging.StreamHandler[Any], *, json: bool) -> None:
        self.pending: collections.deque[Any] = collections.deque()
        self.handlers = [handler]
        self._handler = handler
        self._access = _AccessFormatter(json=json)
        self._wake = threading.Event()
        self._now = threading.Event()
        self._writing = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()

    def restart_in_child(self) -> None:
        """In a process just forked (a pre-forking server's worker): the thread did not come
        along, and what the parent had queued is the parent's to write."""
        self.pending.clear()
        self._wake = threading.Event()
        self._now = threading.Event()
        self._writing = False
        self.start()

    def put(self, item: Any) -> bool:
        """Queues one record or access line; False when QUEUE_SIZE are waiting already."""
        pending = self.pending
        if len(pending) >= QUEUE_SIZE:
            return False
        was_empty = not pending
        pending.append(item)
        if was_empty:
            self._wake.set()
        return True

    def idle(self) -> bool:
        """Whether everything put has been written."""
        return not self.pending and not self._writing

    def hurry(self) -> None:
        """What is queued is written now rather than after GATHER_SECONDS. With nothing
        queued there is nothing to hurry: the next lines gather as usual."""
        if self.pending:
            self._now.set()
            self._wake.set()

    def stop(self) -> None:
        self.pending.append(self._STOP)
        self.hurry()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def handle(self, record: logging.LogRecord) -> None:
        """Writes one record now (from whichever thread calls it)."""
        self._write([record])

    def _run(self) -> None:
        pending = self.pending
        while True:
            if not pending:
                # A wake-up missed between the check and the wait costs at most this.
                self._wake.wait(0.25)
                self._wake.clear()
                continue
            # Let lines gather: one write for all of them.
            if self._now.wait(GATHER_SECONDS):
                time.sleep(HURRIED_SECONDS)
            self._now.clear()
            self._writing = True
            stop = False
            try:
                while pending and not stop:  # all of it, in writes of at most 1000 items
                    batch: list[Any] = []
                    while pending and len(batch) < 1000:
                        item = pending.popleft()
                        if item is self._STOP:
                            stop = True
                        else:
                            batch.append(item)
                    self._write(batch)
            finally:
                self._writing = False
            if stop:
                if pending:
                    self._write([i for i in pending if i is not self._STOP])
                    pending.clear()
                return

    def _write(self, items: list[Any]) -> None:
        handler = self._handler
        lines = []
        for item in items:
            try:
                if isinstance(item, AccessLine):
                    lines.append(self._access.format(item))
                elif handler.filter(item):
                    lines.append(handler.format(item))
            except Exception:
                handler.handleError(item if isinstance(item, logging.LogRecord) else None)  # type: ignore[arg-type]
        if not lines:
            return
        with handler.lock or contextlib.nullcontext():
            try:
                handler.stream.write("\n".join(lines) + "\n")
                handler.stream.flush()
            except Exception:
                handler.handleError(None)  # type: ignore[arg-type]


class _Enqueue(QueueHandler):
    """Hands records to the writer thread: the request id is taken here (it lives in the
    request's context), the message and traceback rendered to text, nothing is written."""

    def __init__(self, listener: _Writer) -> None:
        super().__init__(None)  # type: ignore[arg-type]  # enqueue() puts to the writer
        self.listener: _Writer | None = listener
        self.dropped = 0  # approximate under threads, which is all a warning needs

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        prepared = copy.copy(record)
        prepared.request_id = getattr(record, "request_id", None) or request_id_var.get()
        prepared.msg = record.getMessage()
        prepared.args = None
        if record.exc_info:
            # Rendered here, while the frames still exist; redacted in the writer thread.
            prepared.exc_lines = exception_lines(record.exc_info)
        prepared.exc_info = None
        prepared.exc_text = None
        return prepared

    def emit(self, record: logging.LogRecord) -> None:
        listener = self.listener
        if record.name not in WRITTEN_AT_ONCE or listener is None:
            super().emit(record)
            return
        self.flush()
        try:
            listener.handle(self.prepare(record))
        except Exception:
            self.handleError(record)

    def enqueue(self, record: logging.LogRecord | AccessLine) -> None:
        listener = self.listener
        if listener is None:
            return  # closed: the process is ending
        if not listener.put(record):
            self.dropped += 1
            return
        if isinstance(record, logging.LogRecord) and record.levelno >= logging.WARNING:
            # Rare, and what someone will look for after a crash: not held for the gathering.
            listener.hurry()
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            note = logging.makeLogRecord(
                {
                    "name": __name__,
                    "levelno": logging.WARNING,
                    "levelname": "WARNING",
                    "msg": f"{dropped} log records dropped: the log writer fell behind",
                    "request_id": "-",
                }
            )
            listener.put(note)

    def flush(self) -> None:
        """Waits (up to 2 s) until the writer thread has written what was queued."""
        listener = self.listener
        if listener is None:
            return
        thread = listener._thread
        listener.hurry()
        deadline = time.monotonic() + 2
        while not listener.idle() and thread is not None and thread.is_alive():
            if time.monotonic() > deadline:
                break
            time.sleep(0.002)
        for handler in listener.handlers:
            handler.flush()

    def close(self) -> None:
        """Writes what is queued and ends the writer thread."""
        self.flush()
        listener, self.listener = self.listener, None
        if listener is not None and listener._thread is not None:
            listener.stop()
        super().close()


# The handler configure_logging installed, when it did: access lines go straight to it.
_installed: _Enqueue | None = None
access_log = logging.getLogger("api.access")


def log_access(
    client: str,
    method: str,
    path: str,
    query: str,
    http_version: str,
    status: int,
    sent: int,
    milliseconds: float,
    request_id: str | None = None,
) -> None:
    """One access line, queued as a tuple for the writer thread (a LogRecord through the
    logging module when configure_logging has not run, as under a test's own handlers).
    The request id is the current one unless given."""
    handler = _installed
    if handler is None or handler.listener is None:
        access_log.info(
            '%s "%s %s HTTP/%s" %d %dB %.1fms',
            client,
            method,
            loggable_target(path, query),
            http_version,
            status,
            sent,
            milliseconds,
        )
        return
    handler.enqueue(
        AccessLine(
            time.time(),
            request_id if request_id is not None else request_id_var.get(),
            client,
            method,
            path,
            query,
            http_version,
            status,
            sent,
            milliseconds,
        )
    )


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """The root logger writes through a queue to stderr from a thread of its own, so a
    request never waits on the log's I/O. Calling it again replaces the previous set-up.
    `fmt` is "text" (one line per record) or "json" (one JSON object per line)."""
    global _installed
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
        if isinstance(old, _Enqueue):
            old.close()
    writer = logging.StreamHandler(sys.stderr)
    writer.setFormatter(JsonFormatter() if fmt == "json" else RedactingFormatter(LINE_FORMAT))
    listener = _Writer(writer, json=fmt == "json")
    handler = _Enqueue(listener)
    listener.start()
    root.addHandler(handler)
    root.setLevel(level)
    _installed = handler
    # uvicorn's server messages go through the same handler. Its access log is off: it would
    # print paths with their credentials (/files/<token>); api.middleware.Observed writes
    # the line instead. uvicorn logs access only while "uvicorn.access" has a handler.
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers[:] = []
    uvicorn_access.propagate = False
    quiet_chatty_libraries()


def _after_fork_in_child() -> None:
    """A pre-forking server's worker: its own request-id prefix (the parent's would repeat
    the same ids in every worker) and its own writer thread (threads do not survive a fork:
    without one, a worker's lines were queued and never written)."""
    global _OWN_IDS, _ids
    _OWN_IDS = os.urandom(6).hex()
    _ids = itertools.count(1)
    if _installed is not None and _installed.listener is not None:
        _installed.listener.restart_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)


@atexit.register
def _close_on_exit() -> None:
    for handler in logging.getLogger().handlers[:]:
        if isinstance(handler, _Enqueue):
            handler.close()


def quiet_chatty_libraries() -> None:
    """Libraries that log request URLs or SQL parameters at DEBUG stay at WARNING, whatever
    the root level: WeChat puts the app secret and js_code in URLs, and SQL parameters
    include openids and keyed digests."""
    for name in ("urllib3", "requests", "httpx", "httpcore", "tortoise", "aiosqlite", "asyncpg"):
        logging.getLogger(name).setLevel(logging.WARNING)
