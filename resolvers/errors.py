"""Expected errors as data: a stable code, a zh-CN message and the input field at fault."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import ClassVar

# An error names at most this many input fields at fault (see each domain's `fields`).
MAX_ERROR_FIELDS = 50


class DomainError(Exception):
    """Raised by services for anything a client can cause and correct.

    Each domain subclasses it with its own code enum and zh-CN messages; the mutation
    resolver turns it into that mutation's `...Error` object. Messages never contain the
    value that was rejected: it may be personal data.
    """

    messages: ClassVar[Mapping[Enum, str]] = {}

    def __init__(
        self, code: Enum, field: str | None = None, *, retry_after: int | None = None
    ) -> None:
        super().__init__(code.value)
        self.code = code
        self.field = field
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return self.messages.get(self.code, "请求未能完成，请稍后再试。")
