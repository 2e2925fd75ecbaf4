"""Published guides held in memory per process, by implementation code: the guide page is the
catalogue's most read answer, signed in or not, and its rows change only when the catalogue
does. Kept per catalogue version and day (validity dates decide what is published), as the
search index and the reference tables are, so a publish reaches this process as soon as it
checks the version (at most a second later; at once in the process that published).

The entries are shared by every request that reads them: nothing may change a row or a
materials list it was given from here."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from storage.metrics import GUIDE_CACHE, CounterTally
from storage.models.catalogue import Implementation, Material

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


@dataclass(slots=True, frozen=True)
class _Entry:
    version: str
    day: date
    stored_at: float
    guide: Guide


class PublishedGuides:
    def __init__(self, reference: Versioned, entries: int) -> None:
        self._reference = reference
        self._entries = entries
        self._guides: OrderedDict[str, _Entry] = OrderedDict()
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
        if (
            entry is not None
            and entry.version == version
            and entry.day == day
            and now - entry.stored_at < MAX_AGE_SECONDS
        ):
            self._guides.move_to_end(code)
            _HIT.inc()
            return entry.guide
        _MISS.inc()
        generation = self._generation
        guide = await load()
        if guide is None:
            self._guides.pop(code, None)
        elif generation == self._generation:
            self._guides[code] = _Entry(version, day, now, guide)
            self._guides.move_to_end(code)
            while len(self._guides) > self._entries:
                self._guides.popitem(last=False)
        return guide

    def forget(self) -> None:
        """Drops every guide (this process changed the catalogue)."""
        self._guides.clear()
        self._generation += 1

    def __len__(self) -> int:
        return len(self._guides)
