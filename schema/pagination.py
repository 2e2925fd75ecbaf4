"""Relay connections: `first` (default 20, at most the configured cap) and an opaque `after`;
and plain lists sized by `first` alone."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson
import strawberry

from resolvers.pagination import Page, Scalar
from schema.cost import sliced
from schema.error_codes import PublicError

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 20
MAX_OFFSET = 1000  # ranked lists (search) stop here: nobody reads result 1,001
_CURSOR_VERSION = 1


@strawberry.type(description="Forward pagination: pass `endCursor` as `after` for the next page.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    has_previous_page: bool = strawberry.field(
        default=False, description="Always false: lists are paged forwards only."
    )
    start_cursor: str | None = None


@strawberry.type
class Edge(Generic[T]):
    # The cursor is written only when asked for: most clients read `nodes`, and a page of
    # cursors is an encoding per card.
    _at: strawberry.Private[Sequence[Scalar]]
    _kind: strawberry.Private[str]

    @strawberry.field
    def cursor(self) -> str:
        return encode_cursor(self._at, self._kind)

    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of `edges`, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int
    after: list[Scalar] | None  # keyset values or [offset], decoded from the cursor
    kind: str

    @property
    def offset(self) -> int:
        if self.after is None:
            return 0
        value = self.after[0]
        assert isinstance(value, int)
        return value


def page_request(first: int | None, after: str | None, *, cap: int, kind: str = "k") -> PageRequest:
    """Validates paging arguments before any work; `kind` is "k" (keyset) or "o" (offset)."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= cap:
        raise PublicError(f"first 须在 1 到 {cap} 之间。", "BAD_USER_INPUT", field="first")
    decoded = None if after is None else _decode(after, kind)
    if kind == "o" and decoded is not None:
        offset = decoded[0]
        if not isinstance(offset, int) or not 0 < offset <= MAX_OFFSET:
            raise PublicError("分页游标无效。", "BAD_USER_INPUT", field="after")
    return PageRequest(first=size, after=decoded, kind=kind)


@dataclass(frozen=True, slots=True)
class ListLimit:
    """A plain list (no cursor) sized by an optional `first`: `default` items when it is absent
    or null, at most `cap`. Defaults are chosen so that answers clients got before `first`
    existed stay whole; `cap` is what one answer may hold (declared with @listSize)."""

    default: int
    cap: int

    def __post_init__(self) -> None:
        if not 1 <= self.default <= self.cap:
            raise ValueError("a list's default size must lie between 1 and its cap")

    @property
    def directives(self) -> list[object]:
        return sliced(self.cap)

    def describe(self, text: str) -> str:
        """The field's description, with its sizes (the client teams' documentation)."""
        sizes = f"`first` defaults to {self.default}, at most {self.cap}."
        return f"{text} {sizes}" if text else sizes

    def size(self, first: int | None) -> int:
        """How many items to return; BAD_USER_INPUT outside 1..cap, before any work."""
        size = self.default if first is None else first
        if not 1 <= size <= self.cap:
            raise PublicError(f"first 须在 1 到 {self.cap} 之间。", "BAD_USER_INPUT", field="first")
        return size


def _decode(cursor: str, kind: str) -> list[Scalar]:
    try:
        if len(cursor) > 512:
            raise ValueError("too long")
        data = orjson.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        version, cursor_kind, values = data
        if version != _CURSOR_VERSION or cursor_kind != kind or not isinstance(values, list):
            raise ValueError("not ours")
        if not all(isinstance(v, str | int | float | bool) or v is None for v in values):
            raise ValueError("bad values")
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise PublicError("分页游标无效。", "BAD_USER_INPUT", field="after") from None
    return values


def encode_cursor(values: Sequence[Scalar], kind: str) -> str:
    raw = orjson.dumps([_CURSOR_VERSION, kind, list(values)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def connection_of(
    page: Page[Any], convert: Callable[[Any], T], kind: str
) -> tuple[list[Edge[T]], PageInfo]:
    """Edges and page info for a page of rows; domain connections add their own fields."""
    return edges_of([convert(row) for row in page.rows], page.positions, kind, page.has_next)


def edges_of(
    nodes: Sequence[T], positions: Sequence[Sequence[Scalar]], kind: str, has_next: bool
) -> tuple[list[Edge[T]], PageInfo]:
    """Edges for nodes at their positions (keyset values, or [offset]), and the page's info."""
    edges = [
        Edge(_at=position, _kind=kind, node=node)
        for node, position in zip(nodes, positions, strict=True)
    ]
    info = PageInfo(
        has_next_page=has_next,
        end_cursor=encode_cursor(positions[-1], kind) if positions else None,
        start_cursor=encode_cursor(positions[0], kind) if positions else None,
    )
    return edges, info
