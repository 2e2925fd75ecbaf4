"""Who is calling: the signed-in account (or device, or nobody) behind a request."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from storage.models.accounts import Role


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: UUID | None
    roles: frozenset[Role]
    session_id: UUID | None = None
    department_id: UUID | None = None
    region_id: UUID | None = None
    # Signed in on a TV (电视政务大厅) by a code confirmed on the phone: the session reads the
    # catalogue and the resident's own things, and the policy refuses everything else.
    tv: bool = False
    # A resident signed in at a self-service terminal by its card reader and camera: the
    # terminal they stand at (what they submit is recorded as the TERMINAL channel there).
    terminal_id: UUID | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.account_id is not None

    def has_any(self, roles: Iterable[Role]) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_staff(self) -> bool:
        return self.has_any((Role.STAFF, Role.ADMIN))

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


ANONYMOUS = Principal(account_id=None, roles=frozenset())


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where a request came from, for rate limits and the audit trail."""

    ip: str
    request_id: str
