"""Counting the SQL statements a request costs, to prove lists have no N+1 queries."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Statements:
    count: int = 0
    texts: list[str] = field(default_factory=list)


class _Counter(logging.Handler):
    def __init__(self, into: Statements) -> None:
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.count += 1
        self.into.texts.append(record.getMessage()[:200])


@contextmanager
def count_statements() -> Iterator[Statements]:
    """Tortoise logs each statement at DEBUG on `tortoise.db_client`; count them."""
    found = Statements()
    counter = _Counter(found)
    logger = logging.getLogger("tortoise.db_client")
    level, propagate = logger.level, logger.propagate
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    # Counted, never written: the records carry SQL parameters (openids, keyed digests), which
    # a failing test's captured log would print.
    logger.propagate = False
    try:
        yield found
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
        logger.propagate = propagate
