"""Who is asking, as the repositories see it: the few attributes row scoping needs.

resolvers.principal.Principal fits this shape; storage imports nothing of ours above it, so
the shape is declared here once and every repository scopes rows by it.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class Reader(Protocol):
    @property
    def account_id(self) -> UUID | None: ...

    @property
    def is_staff(self) -> bool: ...

    @property
    def department_id(self) -> UUID | None: ...
