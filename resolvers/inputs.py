"""Cleaning what callers type and checking the documents they name: one implementation of
each rule, raising the calling domain's own error type and codes.

Two shapes of text exist: a line (a name, a reason, a note) has its whitespace folded to
single spaces; a text that keeps line breaks (an address block, an appeal's note) folds
whitespace within each line and drops empty lines.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

from resolvers.errors import DomainError
from resolvers.ids import node_uuid


def fold(raw: str | None, *, keep_lines: bool = False) -> str:
    """Whitespace folded to single spaces; with `keep_lines`, within each line, empty lines
    dropped."""
    if not keep_lines:
        return " ".join((raw or "").split())
    lines = (" ".join(line.split()) for line in (raw or "").strip().splitlines())
    return "\n".join(line for line in lines if line)


def clean_text(
    raw: str | None,
    field: str,
    *,
    error: type[DomainError],
    invalid: Enum,
    longest: int,
    shortest: int = 0,
    required: Enum | None = None,
    keep_lines: bool = False,
    printable: bool = False,
) -> str:
    """`raw` folded (see `fold`). An empty text is `required` (that code) when a code is
    given; a text shorter than `shortest` or longer than `longest`, or with characters that
    do not print when `printable` is asked for, is `invalid`."""
    text = fold(raw, keep_lines=keep_lines)
    if required is not None and not text:
        raise error(required, field)
    if not shortest <= len(text) <= longest or (printable and not text.isprintable()):
        raise error(invalid, field)
    return text


def global_uuid(global_id: str, type_name: str, field: str, *, error: DomainError) -> UUID:
    """The UUID inside a global id of `type_name`; `error` for anything else."""
    found = node_uuid(global_id, type_name)
    if found is None:
        raise error
    return found


D = TypeVar("D")  # a document row: `id`, `owner_id`, `status`, `kind`


@dataclass(frozen=True, slots=True)
class DocumentCodes:
    """The domain's codes for what can be wrong with a list of named documents."""

    too_many: Enum
    not_found: Enum
    duplicate: Enum
    not_available: Enum
    wrong_kind: Enum | None = None


async def owned_documents(
    owner_id: UUID,
    document_ids: Sequence[str],
    *,
    limit: int,
    load: Callable[[list[UUID]], Awaitable[Sequence[D]]],
    available: Enum,
    error: type[DomainError],
    codes: DocumentCodes,
    kind: Enum | None = None,
    field: str = "documentIds",
) -> list[D]:
    """The documents of the resident's wallet they named, in order: at most `limit`, each
    theirs, `available`, named once (and of `kind` when one is asked for). Errors name the
    offending `documentIds[i]`; one query loads them all."""
    if len(document_ids) > limit:
        raise error(codes.too_many, field)
    ids: list[UUID] = []
    for index, global_id in enumerate(document_ids):
        at = f"{field}[{index}]"
        document_id = global_uuid(global_id, "Document", at, error=error(codes.not_found, at))
        if document_id in ids:
            raise error(codes.duplicate, at)
        ids.append(document_id)
    rows: Sequence[Any] = await load(ids) if ids else []
    found = {d.id: d for d in rows}
    documents: list[D] = []
    for index, document_id in enumerate(ids):
        at = f"{field}[{index}]"
        document = found.get(document_id)
        if document is None or document.owner_id != owner_id:
            raise error(codes.not_found, at)
        if document.status is not available:
            raise error(codes.not_available, at)
        if kind is not None and document.kind is not kind:
            assert codes.wrong_kind is not None
            raise error(codes.wrong_kind, at)
        documents.append(document)
    return documents
