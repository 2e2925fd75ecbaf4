"""The one door to database transactions and constraint errors for the layers above storage.

Services decide where a unit of work begins and ends (lock, check, write, outbox row, all or
nothing); the repositories they call inside it run on the same connection because Tortoise
binds the transaction to the task. Nothing above storage imports Tortoise itself, so the
choice of ORM stays a storage detail.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from tortoise.exceptions import IntegrityError as _IntegrityError
from tortoise.transactions import in_transaction

# A unique or foreign-key constraint refused a write (a concurrent duplicate, usually). Raised
# by repositories and caught by services that turn it into the domain's own error.
IntegrityError = _IntegrityError


def atomic() -> AbstractAsyncContextManager[Any]:
    """One transaction: everything inside commits together or not at all. Nested uses join
    the outer transaction as a savepoint."""
    return in_transaction()
