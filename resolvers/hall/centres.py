"""A centre's MANAGER (or ADMIN) runs its hall: windows (open or closed, the items each
takes), opening hours per weekday, and who works there. Every change is audited."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from uuid import UUID

from resolvers import policy
from resolvers.catalogue import service as catalogue
from resolvers.hall.errors import HallError
from resolvers.hall.errors import HallErrorCode as Code
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.accounts import Role
from storage.models.catalogue import ServiceCentre, Terminal
from storage.models.hall import CentreHours, CentreStaff, CentreStaffRole, HallWindow
from storage.repositories import hall as repo
from storage.transactions import IntegrityError, atomic

MAX_WINDOW_SERVICES = 50
MAX_WINDOWS = 100  # windows listed for one centre
MAX_STAFF = 200
MAX_HALL_TERMINALS = 50  # terminals listed for one hall
_GROUP = re.compile(r"[A-Z]{1,2}")


@dataclass(frozen=True, slots=True)
class WindowData:
    number: str
    name: str
    group: str
    is_open: bool
    service_codes: Sequence[str]


async def _centre(
    resources: Resources, principal: Principal, centre_id: UUID, action: policy.Action
) -> ServiceCentre:
    centre = await repo.centre(centre_id)
    if centre is None:
        # Centres are public: an unknown one is named as such (the role check already ran).
        raise HallError(Code.CENTRE_NOT_FOUND, "centreId")
    await policy.authorize(
        resources, principal, action, policy.Subject(centre_id=centre.id), field="centreId"
    )
    return centre


def _text(value: str, field: str, most: int) -> str:
    text = value.strip()
    if not 0 < len(text) <= most or not text.isprintable():
        raise HallError(Code.INVALID_INPUT, field)
    return text


async def upsert_window(
    resources: Resources, principal: Principal, centre_id: UUID, data: WindowData
) -> HallWindow:
    """Creates the window numbered so, or changes it: name, queue group, open or closed, and
    the items it takes (none: every item of the centre)."""
    number = _text(data.number, "number", 16)
    name = _text(data.name, "name", 64)
    if not _GROUP.fullmatch(data.group):
        raise HallError(Code.INVALID_INPUT, "group")
    if len(data.service_codes) > MAX_WINDOW_SERVICES:
        raise HallError(Code.INVALID_INPUT, "serviceCodes")
    centre = await _centre(resources, principal, centre_id, policy.Action.HALL_WINDOW_UPSERT)
    implementation_ids = []
    for index, code in enumerate(data.service_codes):
        found = await catalogue.get_service(code, None)
        if found is None:
            raise HallError(Code.SERVICE_NOT_FOUND, f"serviceCodes[{index}]")
        if not await repo.centre_handles(centre, found):
            raise HallError(Code.SERVICE_NOT_HANDLED, f"serviceCodes[{index}]")
        implementation_ids.append(found.id)
    assert principal.account_id is not None
    async with atomic():
        window = await repo.save_window(
            centre.id,
            number,
            name=name,
            group=data.group,
            is_open=data.is_open,
            implementation_ids=implementation_ids,
        )
        await repo.audit(
            centre.id,
            principal.account_id,
            "WINDOW_SAVED",
            at=resources.clock(),
            subject_id=window.id,
            detail=f"{number} {data.group} {'open' if data.is_open else 'closed'}",
        )
    return window


async def set_hours(
    resources: Resources,
    principal: Principal,
    centre_id: UUID,
    days: Sequence[tuple[int, time, time]],
) -> list[CentreHours]:
    """Replaces the weekly opening hours: at most one row per weekday (0 Monday … 6 Sunday),
    in whole minutes, each closing after it opens; a weekday left out is closed."""
    if len(days) > 7:
        raise HallError(Code.HOURS_INVALID, "days")
    seen: set[int] = set()
    for index, (weekday, opens, closes) in enumerate(days):
        whole_minutes = all(t.second == 0 and t.microsecond == 0 for t in (opens, closes))
        if not 0 <= weekday <= 6 or weekday in seen or closes <= opens or not whole_minutes:
            raise HallError(Code.HOURS_INVALID, f"days[{index}]")
        seen.add(weekday)
    centre = await _centre(resources, principal, centre_id, policy.Action.HALL_HOURS_SET)
    assert principal.account_id is not None
    async with atomic():
        await repo.set_hours(centre.id, days)
        await repo.audit(
            centre.id,
            principal.account_id,
            "HOURS_SET",
            at=resources.clock(),
            detail=", ".join(f"{w}:{o:%H:%M}-{c:%H:%M}" for w, o, c in days),
        )
    return await repo.hours(centre.id)


async def assign_staff(
    resources: Resources,
    principal: Principal,
    centre_id: UUID,
    username: str,
    role: CentreStaffRole,
) -> CentreStaff:
    """Makes a staff account (by its user name) work at the centre in `role`."""
    if not 0 < len(username) <= 64:
        raise HallError(Code.INVALID_INPUT, "username")
    centre = await _centre(resources, principal, centre_id, policy.Action.HALL_STAFF_ASSIGN)
    account = await repo.staff_account(username)
    if account is None or Role.STAFF.value not in (account.roles or []):
        raise HallError(Code.ACCOUNT_NOT_FOUND, "username")
    assert principal.account_id is not None
    async with atomic():
        row = await repo.set_staff(centre.id, account.id, role)
        await repo.audit(
            centre.id,
            principal.account_id,
            "STAFF_ASSIGNED",
            at=resources.clock(),
            subject_id=account.id,
            detail=role.value,
        )
    return row


async def remove_staff(
    resources: Resources, principal: Principal, centre_id: UUID, username: str
) -> bool:
    """Takes a staff account off the centre; the last MANAGER stays."""
    if not 0 < len(username) <= 64:
        raise HallError(Code.INVALID_INPUT, "username")
    centre = await _centre(resources, principal, centre_id, policy.Action.HALL_STAFF_REMOVE)
    account = await repo.staff_account(username)
    role = await repo.staff_role(centre.id, account.id) if account is not None else None
    if account is None or role is None:
        raise HallError(Code.ACCOUNT_NOT_FOUND, "username")
    assert principal.account_id is not None
    async with atomic():
        if role == CentreStaffRole.MANAGER.value and await repo.managers_left(centre.id) <= 1:
            raise HallError(Code.LAST_MANAGER, "username")
        await repo.remove_staff(centre.id, account.id)
        await repo.audit(
            centre.id,
            principal.account_id,
            "STAFF_REMOVED",
            at=resources.clock(),
            subject_id=account.id,
            detail=role,
        )
    return True


async def place_terminal(
    resources: Resources, principal: Principal, centre_id: UUID, terminal_id: UUID
) -> None:
    """Puts a registered terminal in the centre's hall, where it issues walk-in slips and
    checks residents in. A terminal stands in one hall: placing it again here changes
    nothing, another centre's is refused until that centre removes it."""
    centre = await _centre(resources, principal, centre_id, policy.Action.HALL_TERMINAL_PLACE)
    terminal = await repo.terminal(terminal_id)
    if terminal is None:
        raise HallError(Code.TERMINAL_NOT_FOUND, "terminalId")
    assert principal.account_id is not None
    try:
        async with atomic():
            standing = await repo.hall_of_terminal(terminal.id)
            if standing == centre.id:
                return
            if standing is not None:
                raise HallError(Code.TERMINAL_IN_ANOTHER_HALL, "terminalId")
            await repo.place_terminal(centre.id, terminal.id)
            await repo.audit(
                centre.id,
                principal.account_id,
                "TERMINAL_PLACED",
                at=resources.clock(),
                subject_id=terminal.id,
                detail=terminal.code,
            )
    except IntegrityError:
        # Placed somewhere at the same moment: the first placement stands.
        if await repo.hall_of_terminal(terminal.id) != centre.id:
            raise HallError(Code.TERMINAL_IN_ANOTHER_HALL, "terminalId") from None


async def remove_terminal(
    resources: Resources, principal: Principal, centre_id: UUID, terminal_id: UUID
) -> None:
    """Takes a terminal out of the centre's hall: it issues no more slips there."""
    centre = await _centre(resources, principal, centre_id, policy.Action.HALL_TERMINAL_REMOVE)
    assert principal.account_id is not None
    async with atomic():
        if not await repo.remove_terminal(centre.id, terminal_id):
            raise HallError(Code.TERMINAL_NOT_FOUND, "terminalId")
        await repo.audit(
            centre.id,
            principal.account_id,
            "TERMINAL_REMOVED",
            at=resources.clock(),
            subject_id=terminal_id,
        )


async def terminals(centre_id: UUID) -> list[Terminal]:
    return await repo.hall_terminals(centre_id, MAX_HALL_TERMINALS)


async def windows(centre_id: UUID) -> list[HallWindow]:
    return await repo.windows(centre_id, MAX_WINDOWS)


async def hours(centre_id: UUID) -> list[CentreHours]:
    return await repo.hours(centre_id)


async def centre(centre_id: UUID) -> ServiceCentre | None:
    return await repo.centre(centre_id)


async def window_codes(window_ids: Sequence[UUID]) -> dict[UUID, list[str]]:
    """The items each window takes, in one query for all of them."""
    return await repo.window_service_codes(window_ids)


async def staff(
    resources: Resources, principal: Principal, centre_id: UUID
) -> list[tuple[str, CentreStaffRole]]:
    """Who works at the centre (at most 200), for its MANAGER and the ADMIN."""
    centre = await _centre(resources, principal, centre_id, policy.Action.HALL_STAFF_READ)
    return await repo.staff_of(centre.id, MAX_STAFF)
