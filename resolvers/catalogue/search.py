"""Keyword search over the published catalogue: Chinese words (jieba), full pinyin and initials.

The catalogue is small (thousands of items) and read constantly, so each process keeps an
in-memory index, rebuilt when the catalogue version in Redis changes. "身份证", "shenfenzheng"
and "sfz" all find the same items, ranked by where the words match.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from uuid import UUID

import anyio.to_thread

log = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 50
_WORD = re.compile(r"[\w\u3400-\u9fff]+")
_STOP = frozenset({"的", "和", "与", "及", "办理", "申请", "服务", "事项", "登记"})
# Field weights: a hit in the item's own name outranks one in its keywords, base item name
# or department.
NAME, KEYWORD, BASE_NAME, DEPARTMENT = 3.0, 2.5, 2.0, 0.5


@dataclass(frozen=True, slots=True)
class Entry:
    id: UUID
    code: str
    name: str
    base_name: str
    keywords: tuple[str, ...]
    department: str
    base_id: UUID | None = None
    region_id: UUID | None = None


@lru_cache(maxsize=1)
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # loads the dictionary once per process (~0.5 s)
    return jieba


def load_dictionaries() -> None:
    """jieba's and pypinyin's dictionaries (about 150 MB together), loaded now: in a
    pre-forking server's parent, so that every worker shares their pages."""
    _tokens("办理身份证")
    _pinyin("身份证")


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, collapsed spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@lru_cache(maxsize=65536)
def _pinyin(token: str) -> tuple[str, str]:
    from pypinyin import Style, lazy_pinyin

    full = "".join(lazy_pinyin(token, errors="ignore"))
    initials = "".join(lazy_pinyin(token, style=Style.FIRST_LETTER, errors="ignore"))
    return full.lower(), initials.lower()


def _tokens(text: str) -> list[str]:
    jieba = _jieba()
    words: list[str] = []
    for chunk in _WORD.findall(normalise(text)):
        words.extend(t for t in jieba.cut_for_search(chunk) if t.strip() and t not in _STOP)  # type: ignore[attr-defined]
    return words


class SearchIndex:
    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: dict[UUID, Entry] = {}
        self.words: dict[str, dict[UUID, float]] = defaultdict(dict)
        self.pinyin: dict[str, dict[UUID, float]] = defaultdict(dict)
        self.initials: dict[str, dict[UUID, float]] = defaultdict(dict)
        self.name_pinyin: dict[UUID, tuple[str, str]] = {}
        self.names: dict[UUID, str] = {}  # normalised, for a phrase inside a name
        for entry in entries:
            self._add(entry)
        self.pinyin_terms = sorted(self.pinyin)
        # The index never changes once built: the same few keywords (sfz, 社保卡) are
        # asked all day, so their rankings are kept.
        self._answers: dict[str, list[UUID]] = {}
        self._cards: dict[tuple[str, tuple[UUID, ...]], list[UUID]] = {}

    def _add(self, entry: Entry) -> None:
        self.entries[entry.id] = entry
        fields = [(entry.name, NAME), (entry.base_name, BASE_NAME), (entry.department, DEPARTMENT)]
        fields.extend((keyword, KEYWORD) for keyword in entry.keywords)
        for text, weight in fields:
            for token in _tokens(text):
                self._post(self.words, token, entry.id, weight)
                full, initials = _pinyin(token)
                if full:
                    self._post(self.pinyin, full, entry.id, weight)
                if len(initials) >= 2:
                    self._post(self.initials, initials, entry.id, weight)
        name = normalise(entry.name)
        self.names[entry.id] = name
        self.name_pinyin[entry.id] = _pinyin(name)

    @staticmethod
    def _post(
        postings: dict[str, dict[UUID, float]], term: str, entry: UUID, weight: float
    ) -> None:
        if postings[term].get(entry, 0.0) < weight:
            postings[term][entry] = weight

    def cards(self, query: str, preferred: Sequence[UUID]) -> list[UUID]:
        """A keyword alone, one card per base item (`one_per_base_item`) over the whole
        ranking, for callers preferring these regions: kept like the ranking, since the
        anonymous (the city) and each district's residents ask the same few keywords."""
        key = (normalise(query), tuple(preferred))
        cached = self._cards.get(key)
        if cached is not None:
            return cached
        ranked = self.search(query)
        ordered = one_per_base_item(ranked, self.keys(ranked), preferred)
        if len(self._cards) >= 4096:
            self._cards.clear()
        self._cards[key] = ordered
        return ordered

    def keys(self, ids: Iterable[UUID]) -> list[tuple[UUID, UUID, UUID]]:
        """(id, base id, region id) of each entry, as `service_keys` reads them: the index
        holds exactly the services published on the day it was built for."""
        found = []
        for entry_id in ids:
            entry = self.entries.get(entry_id)
            if entry is not None and entry.base_id is not None and entry.region_id is not None:
                found.append((entry.id, entry.base_id, entry.region_id))
        return found

    def search(self, query: str, limit: int = 1000) -> list[UUID]:
        """Entry ids, best first; [] when nothing matches."""
        text = normalise(query)
        if not text:
            return []
        key = f"{limit}:{text}"
        cached = self._answers.get(key)
        if cached is not None:
            return cached
        ranked = self._rank(text, limit)
        if len(self._answers) >= 4096:
            self._answers.clear()
        self._answers[key] = ranked
        return ranked

    def _rank(self, text: str, limit: int) -> list[UUID]:
        scores: dict[UUID, float] = defaultdict(float)
        compact = text.replace(" ", "")
        if compact.isascii() and compact.isalpha():
            self._score_pinyin(compact, scores)
        else:
            self._score_words(text, scores)
        code = compact.upper()
        if len(code) >= 4 and code.isalnum() and any(c.isdigit() for c in code):
            for entry in self.entries.values():
                if entry.code.startswith(code):
                    scores[entry.id] += 10.0
        ranked = sorted(
            scores.items(),
            key=lambda item: (
                -item[1],
                len(self.entries[item[0]].name),
                self.entries[item[0]].code,
            ),
        )
        return [entry_id for entry_id, _ in ranked[:limit]]

    def _score_words(self, text: str, scores: dict[UUID, float]) -> None:
        tokens = set(_tokens(text))
        if any(len(t) > 1 for t in tokens):
            # "开公司" is about 公司; a lone 开 would match every 开店 and 开饭店 too.
            tokens = {t for t in tokens if len(t) > 1}
        for token in tokens:
            for entry_id, weight in self.words.get(token, {}).items():
                scores[entry_id] += weight
        whole = text.replace(" ", "")
        for entry_id, name in self.names.items():
            if whole in name:
                scores[entry_id] += NAME  # the whole phrase inside the name: a strong hit

    def _score_pinyin(self, letters: str, scores: dict[UUID, float]) -> None:
        for entry_id, weight in self.pinyin.get(letters, {}).items():
            scores[entry_id] += weight
        for entry_id, weight in self.initials.get(letters, {}).items():
            scores[entry_id] += weight * 0.9
        if len(letters) >= 3:
            # Words being typed: every term starting with the letters, found by bisection.
            start = bisect_left(self.pinyin_terms, letters)
            for term in self.pinyin_terms[start:]:
                if not term.startswith(letters):
                    break
                if term != letters:
                    for entry_id, weight in self.pinyin[term].items():
                        scores[entry_id] += weight * 0.5
        if scores:
            return
        # Nothing at word level: look inside whole names ("shenfen", "jmsfz").
        for entry_id, (full, initials) in self.name_pinyin.items():
            if len(letters) >= 4 and letters in full:
                scores[entry_id] += 1.0
            elif len(letters) >= 2 and letters in initials:
                scores[entry_id] += 0.8


class CatalogueIndex:
    """The process's current index and the catalogue version it was built from."""

    def __init__(self) -> None:
        self._index: SearchIndex | None = None
        self._version: str | None = None
        self._lock = asyncio.Lock()

    async def get(self, version: str, load: Callable[[], Awaitable[list[Entry]]]) -> SearchIndex:
        if self._index is not None and self._version == version:
            return self._index
        async with self._lock:  # one rebuild at a time; the others wait for its result
            if self._index is None or self._version != version:
                entries = await load()
                self._index = await anyio.to_thread.run_sync(SearchIndex, entries)
                self._version = version
                log.info("catalogue search index built: %d entries", len(self._index.entries))
        return self._index


def one_per_base_item(
    ranked: Sequence[UUID], keys: Sequence[tuple[UUID, UUID, UUID]], preferred: Sequence[UUID]
) -> list[UUID]:
    """Of the ranked implementations that passed the filters (`keys`: id, base id, region id),
    one per base item, at the place of its best-ranked implementation: the one in the nearest
    `preferred` region (nearest first), else the best-ranked."""
    position = {entry: n for n, entry in enumerate(ranked)}
    depth = {region: n for n, region in enumerate(preferred)}
    # base id -> (its best position, (region depth, position) of the chosen one, chosen id)
    cards: dict[UUID, tuple[int, tuple[int, int], UUID]] = {}
    for entry, base, region in keys:
        at = position[entry]
        choice = (depth.get(region, len(depth)), at)
        card = cards.get(base)
        if card is None:
            cards[base] = (at, choice, entry)
            continue
        best, chosen, chosen_id = card
        if choice < chosen:
            chosen, chosen_id = choice, entry
        cards[base] = (min(best, at), chosen, chosen_id)
    return [entry for _, _, entry in sorted(cards.values(), key=lambda card: card[0])]
