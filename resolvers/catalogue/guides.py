"""Published guides held in memory per process, by implementation code: the guide page is the
catalogue's most read answer, signed in or not, and its rows change only when the catalogue
does. Kept per catalogue version and day (validity dates decide what is published), as the
search index and the reference tables are, so a publish reaches this process as soon as it
checks the version (at most a second later; at once in the process that published).

A guide is kept packed: its fields as a tuple of plain values (identifiers as integers, enums by
value, JSON as its text), which the cyclic garbage collector leaves alone once it has seen
them. Kept as rows, 5,000 guides were 131,000 objects for every full collection to walk (16 ms
each, on whichever requests were running: the p99 of every computed read in the process
doubled). Each read gets rows of its own, rebuilt in a few microseconds."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from enum import Enum
from operator import itemgetter
from typing import Any, Protocol, TypeVar
from uuid import UUID, SafeUUID

import orjson

from storage.metrics import GUIDE_CACHE, CounterTally
from storage.models.catalogue import JSON_TEXTS, Implementation, Material

Guide = tuple[Implementation, list[Material]]

# An entry is read again after this long whatever the version says: while Redis cannot say,
# other processes' publishes reach this one within minutes, like the cached answers.
MAX_AGE_SECONDS = 300.0

_HIT = CounterTally(GUIDE_CACHE.labels("hit"))
_MISS = CounterTally(GUIDE_CACHE.labels("miss"))


class Versioned(Protocol):
    """Where the catalogue version comes from (ReferenceData, which checks it at most once a
    second)."""

    async def version(self) -> str: ...


_PLAIN, _UUID, _ENUM, _JSON = range(4)
# Per model and attribute, the enum its values are members of (bounded by the models' fields).
_enums: dict[tuple[type, str], type[Enum]] = {}

_Model = TypeVar("_Model", Implementation, Material)
# A row's layout: (attribute, kind) for each attribute it holds, in order; rows read by the
# same statement share one (bounded by the models' shapes).
_Layout = tuple[tuple[str, int], ...]
_layouts: dict[_Layout, _Layout] = {}
# A row packed: its layout and its values in that order.
_Packed = tuple[_Layout, tuple[Any, ...]]
# What is kept of a guide: (catalogue version, day, when stored, the row, its materials or
# None when only the row was read (a search's page), the row's id).
_Entry = tuple[str, date, float, _Packed, tuple[_Packed, ...] | None, bytes]


def _pack(row: Implementation | Material) -> _Packed:
    layout: list[tuple[str, int]] = []
    values: list[Any] = []
    for name, value in vars(row).items():
        if isinstance(value, UUID):
            kind, value = _UUID, value.int
        elif isinstance(value, Enum):
            _enums[(type(row), name)] = type(value)
            kind, value = _ENUM, value.value
        elif isinstance(value, list | dict):
            # As text: orjson's bytes keep the whole buffer they were written in (1 KiB or
            # more), however short the JSON.
            kind, value = _JSON, orjson.dumps(value).decode()
        else:  # str, int, bool, None, date, datetime, Decimal: already plain
            kind = _PLAIN
        layout.append((name, kind))
        values.append(value)
    shape = tuple(layout)
    return _layouts.setdefault(shape, shape), tuple(values)


# Per model and layout (by id: layouts are interned above and never freed), how its rows are
# rebuilt: the attributes kept as they are (their names, and a getter of their values in that
# order), those converted back (index, name, conversion), and the JSON ones (index, name;
# and their indexes by name). Bounded by the models' shapes.
_Rebuild = tuple[
    tuple[str, ...],
    Callable[[tuple[Any, ...]], tuple[Any, ...]],
    tuple[tuple[int, str, Callable[[Any], Any]], ...],
    tuple[tuple[int, str], ...],
    dict[str, int],
]
_rebuilds: dict[tuple[type, int], _Rebuild] = {}


def _rebuild(model: type, layout: _Layout) -> _Rebuild:
    kept: list[int] = []
    conversions: list[tuple[int, str, Callable[[Any], Any]]] = []
    texts: list[tuple[int, str]] = []
    for index, (name, kind) in enumerate(layout):
        if kind == _PLAIN:
            kept.append(index)
        elif kind == _UUID:
            conversions.append((index, name, _reference if name in _REFERENCE_KEYS else _uuid))
        elif kind == _ENUM:
            # The member by its value, without the enum's call machinery.
            conversions.append((index, name, _enums[(model, name)]._value2member_map_.__getitem__))
        else:
            texts.append((index, name))
    # itemgetter of one index gives the value, not a tuple of it (and of none, nothing).
    pick = itemgetter(*kept) if len(kept) > 1 else lambda values: tuple(values[i] for i in kept)
    names = tuple(layout[index][0] for index in kept)
    rebuild = (names, pick, tuple(conversions), tuple(texts), {n: i for i, n in texts})
    _rebuilds[(model, id(layout))] = rebuild
    return rebuild


_new = object.__new__
_set = object.__setattr__


def _uuid(value: int) -> UUID:
    """`UUID(int=value)` without its checks, which the value passed when it was kept: a guide
    rebuilds a dozen identifiers, and the checks cost three times the rest (UUID's own
    __setattr__ refuses, as it does for everyone: the value is immutable once made)."""
    rebuilt = _new(UUID)
    _set(rebuilt, "int", value)
    _set(rebuilt, "is_safe", SafeUUID.unknown)
    return rebuilt


# The keys of reference rows a guide names (its region, department and base item): a few
# thousand in the whole catalogue, named again by nearly every card of a page, and immutable,
# so one UUID each is shared by every row rebuilt. A guide's own id and its materials' are not:
# kept a while and then dropped, thousands of them would age into the collector's oldest
# generation and bring on its full walks (one measured 229 ms in a process not frozen).
_REFERENCE_KEYS = frozenset({"region_id", "department_id", "base_id"})
_REFERENCES_KEPT = 16_384  # beyond this (never, for a city's catalogue) started afresh
_references: dict[int, UUID] = {}


def _reference(value: int) -> UUID:
    shared = _references.get(value)
    if shared is None:
        if len(_references) >= _REFERENCES_KEPT:
            _references.clear()
        shared = _references[value] = _uuid(value)
    return shared


def _unpack(model: type[_Model], packed: _Packed, *, cards: bool = False) -> _Model:
    """A row of its own from what was kept. For `cards` (a search's page), its JSON fields stay
    text until something reads them (storage.models.catalogue.JSON_TEXTS): a card shows none
    of them, and decoding them was half the cost of the row. A guide shows them all, and
    decoding them here is cheaper than on each first read."""
    layout, values = packed
    rebuild = _rebuilds.get((model, id(layout))) or _rebuild(model, layout)
    names, pick, conversions, texts, positions = rebuild
    row = model.__new__(model)
    fields = vars(row)
    fields.update(zip(names, pick(values), strict=True))
    for index, name, convert in conversions:
        fields[name] = convert(values[index])
    if cards:
        fields[JSON_TEXTS] = (positions, values)
    else:
        for index, name in texts:
            fields[name] = orjson.loads(values[index])
    return row


class PublishedGuides:
    def __init__(self, reference: Versioned, entries: int) -> None:
        self._reference = reference
        self._entries = entries
        self._guides: OrderedDict[str, _Entry] = OrderedDict()
        # The code each kept row's id is kept under (a search's page names rows by id).
        self._codes: dict[bytes, str] = {}
        # Bumped by `forget`: a read that began before it must not store what it read.
        self._generation = 0

    async def get(
        self, code: str, day: date, load: Callable[[], Awaitable[Guide | None]]
    ) -> Guide | None:
        """The guide published under `code` on `day`, from memory when this process read it
        under the current catalogue version, else from `load` (and kept). A code with no
        published guide is not kept: a client asking for made-up codes would only push out
        the guides residents read."""
        if self._entries <= 0:
            return await load()
        version = await self._reference.version()
        now = time.monotonic()
        entry = self._guides.get(code)
        if entry is not None and entry[4] is not None and _current(entry, version, day, now):
            self._guides.move_to_end(code)
            _HIT.inc()
            return _unpack(Implementation, entry[3]), [_unpack(Material, m) for m in entry[4]]
        _MISS.inc()
        generation = self._generation
        guide = await load()
        if guide is None:
            self._drop(code)
        elif generation == self._generation:
            row, materials = guide
            materials_packed = tuple(_pack(material) for material in materials)
            self._keep(row.code, (version, day, now, _pack(row), materials_packed, row.id.bytes))
        return guide

    async def rows(
        self,
        ids: Sequence[UUID],
        version: str,
        day: date,
        load: Callable[[list[UUID]], Awaitable[list[Implementation]]],
    ) -> dict[UUID, Implementation]:
        """Published rows by id (a page of cards), chosen under catalogue `version` on `day`:
        those kept under the current version from memory, the others from `load`, kept
        without their materials (under `version`, so that rows chosen before a publish this
        process has not yet heard of are read again once it has)."""
        if self._entries <= 0:
            return {row.id: row for row in await load(list(ids))}
        current = await self._reference.version()
        now = time.monotonic()
        found: dict[UUID, Implementation] = {}
        missing: list[UUID] = []
        for row_id in ids:
            code = self._codes.get(row_id.bytes)
            entry = self._guides.get(code) if code is not None else None
            if (
                code is not None
                and entry is not None
                and entry[5] == row_id.bytes
                and _current(entry, current, day, now)
            ):
                self._guides.move_to_end(code)
                found[row_id] = _unpack(Implementation, entry[3], cards=True)
            else:
                missing.append(row_id)
        _HIT.inc(len(found))
        if not missing:
            return found
        _MISS.inc(len(missing))
        generation = self._generation
        loaded = await load(missing)
        for row in loaded:
            found[row.id] = row
            if generation != self._generation:
                continue
            kept = self._guides.get(row.code)
            if kept is None or kept[4] is None or not _current(kept, version, day, now):
                self._keep(row.code, (version, day, now, _pack(row), None, row.id.bytes))
        return found

    def forget(self) -> None:
        """Drops every guide (this process changed the catalogue)."""
        self._guides.clear()
        self._codes.clear()
        self._generation += 1

    def __len__(self) -> int:
        return len(self._guides)

    def _keep(self, code: str, entry: _Entry) -> None:
        self._drop(code)
        self._guides[code] = entry
        self._codes[entry[5]] = code
        while len(self._guides) > self._entries:
            _, evicted = self._guides.popitem(last=False)
            self._codes.pop(evicted[5], None)

    def _drop(self, code: str) -> None:
        dropped = self._guides.pop(code, None)
        if dropped is not None:
            self._codes.pop(dropped[5], None)


def _current(entry: _Entry, version: str, day: date, now: float) -> bool:
    return entry[0] == version and entry[1] == day and now - entry[2] < MAX_AGE_SECONDS
