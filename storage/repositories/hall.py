"""Queries of the hall: centres' windows, hours and staff; appointment slots and bookings; queue
tickets. Scoping by caller is the service's (resolvers/hall), through the policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from tortoise.expressions import F, Q

from storage.models.accounts import Account
from storage.models.catalogue import (
    CentreService,
    Implementation,
    ServiceCentre,
    Terminal,
)
from storage.models.hall import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    CentreHours,
    CentreStaff,
    CentreStaffRole,
    HallAudit,
    HallTerminal,
    HallWindow,
    HallWindowService,
    QueueCounter,
    QueueTicket,
    TicketStatus,
)
from storage.repositories.pagination import Page, Scalar, keyset_page
from storage.transactions import IntegrityError, atomic

# The scopes under which a centre that accepts citywide items handles an implementation.
_WIDE_SCOPES = ("CITYWIDE", "PROVINCE", "CROSS_PROVINCE")


# -- who works where


async def staff_role(centre_id: UUID, account_id: UUID) -> str | None:
    row = await CentreStaff.get_or_none(centre_id=centre_id, account_id=account_id)
    return row.role.value if row is not None else None


async def terminal_in_hall(centre_id: UUID, account_id: UUID) -> bool:
    return await HallTerminal.filter(centre_id=centre_id, terminal__account_id=account_id).exists()


async def terminal_of_account(account_id: UUID) -> Terminal | None:
    return await Terminal.get_or_none(account_id=account_id)


async def terminal(terminal_id: UUID) -> Terminal | None:
    return await Terminal.get_or_none(id=terminal_id)


async def hall_of_terminal(terminal_id: UUID) -> UUID | None:
    """The centre whose hall the terminal stands in, if any (a terminal stands in one)."""
    row = await HallTerminal.get_or_none(terminal_id=terminal_id)
    return row.centre_id if row is not None else None


async def place_terminal(centre_id: UUID, terminal_id: UUID) -> None:
    """Raises IntegrityError when the terminal stands in a hall already (a unique key)."""
    await HallTerminal.create(centre_id=centre_id, terminal_id=terminal_id)


async def remove_terminal(centre_id: UUID, terminal_id: UUID) -> bool:
    return bool(await HallTerminal.filter(centre_id=centre_id, terminal_id=terminal_id).delete())


async def hall_terminals(centre_id: UUID, limit: int) -> list[Terminal]:
    """The terminals standing in the centre's hall, by code: one query."""
    return await Terminal.filter(hall__centre_id=centre_id).order_by("code").limit(limit)


async def staff_of(centre_id: UUID, limit: int) -> list[tuple[str, CentreStaffRole]]:
    """(user name, role) of the centre's staff, in the order they joined: one query."""
    rows = (
        await CentreStaff.filter(centre_id=centre_id)
        .order_by("created_at", "id")
        .limit(limit)
        .values_list("account__username", "role")
    )
    return [(str(name), CentreStaffRole(role)) for name, role in rows]


async def staff_account(username: str) -> Account | None:
    return await Account.get_or_none(username=username)


async def set_staff(centre_id: UUID, account_id: UUID, role: CentreStaffRole) -> CentreStaff:
    row = await CentreStaff.get_or_none(centre_id=centre_id, account_id=account_id)
    if row is None:
        return await CentreStaff.create(centre_id=centre_id, account_id=account_id, role=role)
    row.role = role
    await row.save(update_fields=["role"])
    return row


async def remove_staff(centre_id: UUID, account_id: UUID) -> int:
    return await CentreStaff.filter(centre_id=centre_id, account_id=account_id).delete()


async def managers_left(centre_id: UUID) -> int:
    """The centre's MANAGERs, their rows locked until the caller's transaction ends: two
    removals at once cannot leave the centre without one."""
    rows = await CentreStaff.filter(
        centre_id=centre_id, role=CentreStaffRole.MANAGER
    ).select_for_update()
    return len(rows)


async def audit(
    centre_id: UUID,
    actor_id: UUID,
    action: str,
    *,
    at: datetime,
    subject_id: UUID | None = None,
    detail: str = "",
) -> None:
    await HallAudit.create(
        centre_id=centre_id,
        actor_id=actor_id,
        action=action,
        subject_id=subject_id,
        detail=detail[:256],
        at=at,
    )


async def audit_of(centre_id: UUID, limit: int) -> list[HallAudit]:
    return await HallAudit.filter(centre_id=centre_id).order_by("-at", "-id").limit(limit)


# -- centres, windows, hours


async def centre(centre_id: UUID) -> ServiceCentre | None:
    return await ServiceCentre.get_or_none(id=centre_id)


async def centres_by_ids(ids: Sequence[UUID]) -> list[ServiceCentre]:
    return await ServiceCentre.filter(id__in=list(ids))


async def centre_handles(centre: ServiceCentre, implementation: Implementation) -> bool:
    """The catalogue's rule: the centre lists the item, or it is a city or county centre of
    the item's region, or it accepts citywide items and the item is handled citywide."""
    if centre.region_id == implementation.region_id and centre.level.value in ("CITY", "COUNTY"):
        return True
    if centre.accepts_citywide and implementation.scope.value in _WIDE_SCOPES:
        return True
    return await CentreService.filter(
        centre_id=centre.id, implementation_code=implementation.code
    ).exists()


async def windows(centre_id: UUID, limit: int) -> list[HallWindow]:
    return await HallWindow.filter(centre_id=centre_id).order_by("number").limit(limit)


async def windows_by_ids(ids: Sequence[UUID]) -> list[HallWindow]:
    return await HallWindow.filter(id__in=list(ids))


async def window(window_id: UUID) -> HallWindow | None:
    return await HallWindow.get_or_none(id=window_id)


async def window_by_number(centre_id: UUID, number: str) -> HallWindow | None:
    return await HallWindow.get_or_none(centre_id=centre_id, number=number)


async def window_services(window_ids: Sequence[UUID]) -> dict[UUID, list[UUID]]:
    """For each window, the implementations it is limited to ([]: every item)."""
    found: dict[UUID, list[UUID]] = {w: [] for w in window_ids}
    rows = await HallWindowService.filter(window_id__in=list(window_ids)).values_list(
        "window_id", "implementation_id"
    )
    for window_id, implementation_id in rows:
        found.setdefault(UUID(str(window_id)), []).append(UUID(str(implementation_id)))
    return found


async def window_service_codes(window_ids: Sequence[UUID]) -> dict[UUID, list[str]]:
    found: dict[UUID, list[str]] = {w: [] for w in window_ids}
    rows = (
        await HallWindowService.filter(window_id__in=list(window_ids))
        .order_by("implementation__code")
        .values_list("window_id", "implementation__code")
    )
    for window_id, code in rows:
        found.setdefault(UUID(str(window_id)), []).append(str(code))
    return found


async def save_window(
    centre_id: UUID,
    number: str,
    *,
    name: str,
    group: str,
    is_open: bool,
    implementation_ids: Sequence[UUID],
) -> HallWindow:
    """Creates or updates the window numbered so, with exactly these items (none: every
    item), in one transaction."""
    async with atomic():
        row = (
            await HallWindow.filter(centre_id=centre_id, number=number).select_for_update().first()
        )
        if row is None:
            row = await HallWindow.create(
                centre_id=centre_id, number=number, name=name, group=group, is_open=is_open
            )
        else:
            row.name, row.group, row.is_open = name, group, is_open
            await row.save(update_fields=["name", "group", "is_open"])
        await HallWindowService.filter(window_id=row.id).delete()
        await HallWindowService.bulk_create(
            [
                HallWindowService(window_id=row.id, implementation_id=i)
                for i in dict.fromkeys(implementation_ids)
            ]
        )
    return row


async def hours(centre_id: UUID) -> list[CentreHours]:
    return await CentreHours.filter(centre_id=centre_id).order_by("weekday")


async def set_hours(centre_id: UUID, days: Sequence[tuple[int, time, time]]) -> None:
    """Replaces the centre's opening hours (inside the caller's transaction)."""
    await CentreHours.filter(centre_id=centre_id).delete()
    await CentreHours.bulk_create(
        [
            CentreHours(
                centre_id=centre_id,
                weekday=w,
                opens_minute=o.hour * 60 + o.minute,
                closes_minute=c.hour * 60 + c.minute,
            )
            for w, o, c in days
        ]
    )


async def groups_serving(centre_id: UUID, service_code: str) -> dict[str, int]:
    """The queue groups whose windows take the item, with how many windows each: windows
    limited to items that include it, and windows limited to none (综合窗口). By code: a
    guide's new version is the same item."""
    found: dict[str, int] = {}
    rows = await HallWindow.filter(centre_id=centre_id).values_list("id", "group")
    limits = await window_service_codes([UUID(str(i)) for i, _ in rows])
    for window_id, group in rows:
        allowed = limits.get(UUID(str(window_id)), [])
        if not allowed or service_code in allowed:
            found[str(group)] = found.get(str(group), 0) + 1
    return found


# -- appointment slots


async def slots_between(
    centre_id: UUID, group: str, start: datetime, end: datetime
) -> list[AppointmentSlot]:
    return await AppointmentSlot.filter(
        centre_id=centre_id, group=group, starts_at__gte=start, starts_at__lt=end
    ).order_by("starts_at")


async def slot(
    centre_id: UUID, group: str, starts_at: datetime, ends_at: datetime, capacity: int
) -> AppointmentSlot:
    """The slot row, created with `capacity` if it does not exist yet (a racing creation
    loses to the unique key and reads the winner's row)."""
    found = await AppointmentSlot.get_or_none(centre_id=centre_id, group=group, starts_at=starts_at)
    if found is not None:
        return found
    try:
        async with atomic():
            return await AppointmentSlot.create(
                centre_id=centre_id,
                group=group,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=capacity,
            )
    except IntegrityError:
        return await AppointmentSlot.get(centre_id=centre_id, group=group, starts_at=starts_at)


async def take_seat(slot_id: UUID) -> bool:
    """One seat of the slot, if one is left: a single conditional UPDATE, so the database
    decides between racing bookings (the row lock), never a read-then-write in Python."""
    changed = await AppointmentSlot.filter(id=slot_id, booked__lt=F("capacity")).update(
        booked=F("booked") + 1
    )
    return changed == 1


async def release_seat(slot_id: UUID) -> None:
    await AppointmentSlot.filter(id=slot_id, booked__gt=0).update(booked=F("booked") - 1)


# -- appointments


async def create_appointment(**values: Any) -> Appointment:
    return await Appointment.create(**values)


async def appointment(appointment_id: UUID) -> Appointment | None:
    return await Appointment.get_or_none(id=appointment_id)


async def appointment_for_update(appointment_id: UUID) -> Appointment | None:
    return await Appointment.filter(id=appointment_id).select_for_update().first()


async def appointments_by_ids(ids: Sequence[UUID]) -> list[Appointment]:
    return await Appointment.filter(id__in=list(ids))


async def save_appointment(row: Appointment, fields: Sequence[str]) -> None:
    await row.save(update_fields=list(fields))


async def ended_unattended(resident_id: UUID, now: datetime) -> bool:
    """Whether the resident has a booking whose slot ended without a check-in."""
    return await Appointment.filter(
        resident_id=resident_id, status=AppointmentStatus.BOOKED, ends_at__lte=now
    ).exists()


async def residents_with_ended_bookings(now: datetime, limit: int) -> list[UUID]:
    """Residents with bookings whose slot ended without a check-in (the sweep's work list)."""
    rows = (
        await Appointment.filter(status=AppointmentStatus.BOOKED, ends_at__lte=now)
        .distinct()
        .order_by("resident_id")
        .limit(limit)
        .values_list("resident_id", flat=True)
    )
    return [UUID(str(row)) for row in rows]


async def lock_resident(resident_id: UUID) -> None:
    """Inside a transaction: serialises the recording of one resident's no-shows, so that the
    notice of the no-show that suspends their booking is sent by exactly one writer."""
    await Account.filter(id=resident_id).select_for_update().first()


async def ended_unattended_for_update(resident_id: UUID, now: datetime) -> list[Appointment]:
    return (
        await Appointment.filter(
            resident_id=resident_id, status=AppointmentStatus.BOOKED, ends_at__lte=now
        )
        .select_for_update()
        .order_by("ends_at")
    )


async def mark_no_show(appointment_id: UUID) -> bool:
    """BOOKED to NO_SHOW, once: False when another writer recorded it first."""
    changed = await Appointment.filter(id=appointment_id, status=AppointmentStatus.BOOKED).update(
        status=AppointmentStatus.NO_SHOW, active_key=None
    )
    return changed == 1


async def no_show_ends(resident_id: UUID, since: datetime) -> list[datetime]:
    """When each no-show since `since` ended (its slot's end), oldest first."""
    rows = await Appointment.filter(
        resident_id=resident_id, status=AppointmentStatus.NO_SHOW, ends_at__gte=since
    ).order_by("ends_at")
    return [row.ends_at for row in rows]


async def appointments_of(
    resident_id: UUID,
    status: AppointmentStatus | None,
    *,
    first: int,
    after: Sequence[Scalar] | None,
) -> Page[Appointment]:
    query = Appointment.filter(resident_id=resident_id)
    if status is not None:
        query = query.filter(status=status)
    return await keyset_page(query, order=("-starts_at",), first=first, after=after)


# -- the queue


async def next_number(centre_id: UUID, group: str, day: date) -> int:
    """The next ticket number of the group that day, inside the caller's transaction: the
    counter row's UPDATE holds its lock until commit, so numbers are never given twice."""
    for _ in range(3):
        changed = await QueueCounter.filter(centre_id=centre_id, group=group, day=day).update(
            last_number=F("last_number") + 1
        )
        if changed:
            row = await QueueCounter.get(centre_id=centre_id, group=group, day=day)
            return int(row.last_number)
        try:
            async with atomic():
                await QueueCounter.create(centre_id=centre_id, group=group, day=day, last_number=1)
            return 1
        except IntegrityError:
            continue  # another check-in created it first: take the next number after it
    raise RuntimeError("queue counter not created")


async def create_ticket(**values: Any) -> QueueTicket:
    return await QueueTicket.create(**values)


async def ticket(ticket_id: UUID) -> QueueTicket | None:
    return await QueueTicket.get_or_none(id=ticket_id)


async def ticket_for_update(ticket_id: UUID) -> QueueTicket | None:
    return await QueueTicket.filter(id=ticket_id).select_for_update().first()


async def save_ticket(row: QueueTicket, fields: Sequence[str]) -> None:
    await row.save(update_fields=list(fields))


async def live_ticket_of_appointment(appointment_id: UUID) -> QueueTicket | None:
    return await QueueTicket.filter(
        appointment_id=appointment_id, status__in=(TicketStatus.WAITING, TicketStatus.CALLED)
    ).first()


def _queue_order() -> tuple[str, ...]:
    # queued_at first; at the same moment an appointment before a walk-in ("APPOINTMENT" <
    # "WALK_IN"), then the number.
    return ("queued_at", "kind", "number")


def _ahead_of(row: QueueTicket) -> Q:
    return (
        Q(queued_at__lt=row.queued_at)
        | Q(queued_at=row.queued_at, kind__lt=row.kind.value)
        | Q(queued_at=row.queued_at, kind=row.kind, number__lt=row.number)
    )


async def waiting_ahead(row: QueueTicket) -> int:
    """Tickets of the same queue still waiting before this one."""
    return await QueueTicket.filter(
        _ahead_of(row),
        centre_id=row.centre_id,
        group=row.group,
        day=row.day,
        status=TicketStatus.WAITING,
    ).count()


async def first_waiting(centre_id: UUID, group: str, day: date, limit: int) -> list[QueueTicket]:
    return (
        await QueueTicket.filter(
            centre_id=centre_id, group=group, day=day, status=TicketStatus.WAITING
        )
        .order_by(*_queue_order())
        .limit(limit)
    )


async def next_for_window(
    centre_id: UUID, group: str, day: date, service_codes: Sequence[str]
) -> QueueTicket | None:
    """The first waiting ticket of the group this window may serve (all, for []), locked;
    tickets another window is locking right now are passed over (SKIP LOCKED), so two
    windows calling at once never call the same person."""
    query = QueueTicket.filter(
        centre_id=centre_id, group=group, day=day, status=TicketStatus.WAITING
    )
    if service_codes:
        query = query.filter(service_code__in=list(service_codes))
    return await query.order_by(*_queue_order()).select_for_update(skip_locked=True).first()


async def called_at_window(window_id: UUID) -> list[QueueTicket]:
    return await QueueTicket.filter(window_id=window_id, status=TicketStatus.CALLED)


async def finish_called(window_id: UUID, now: datetime) -> int:
    return await QueueTicket.filter(window_id=window_id, status=TicketStatus.CALLED).update(
        status=TicketStatus.SERVED, finished_at=now
    )


async def mark_reminded(ticket_id: UUID) -> bool:
    """True for the one caller that flips the flag: the reminder is queued exactly once."""
    return await QueueTicket.filter(id=ticket_id, reminded=False).update(reminded=True) == 1


async def tickets_by_ids(ids: Sequence[UUID]) -> list[QueueTicket]:
    return await QueueTicket.filter(id__in=list(ids))


# -- demo data


async def add_demo_hall(
    *,
    windows: Sequence[tuple[str, str, str]],
    hours: Sequence[tuple[int, time, time]],
    staff: Sequence[Account],
    staff_centres: dict[str, tuple[str, str]],
    terminal_centres: Sequence[str],
) -> dict[str, int]:
    """For every city and county centre without windows: the windows (number, name, group)
    and the weekly hours; the staff accounts (new ones only) placed at the centres of the
    regions named in `staff_centres` (username -> (region code, role)); a demo terminal in
    the hall of each centre of `terminal_centres` (region codes) that has none."""
    counts = {"hallWindows": 0, "hallStaff": 0, "hallTerminals": 0}
    async with atomic():
        centres = await ServiceCentre.filter(level__in=("CITY", "COUNTY")).prefetch_related(
            "region"
        )
        by_region = {c.region.code: c for c in centres}
        with_windows = set(
            await HallWindow.filter(centre_id__in=[c.id for c in centres]).values_list(
                "centre_id", flat=True
            )
        )
        for centre in centres:
            if centre.id in with_windows:
                continue
            await HallWindow.bulk_create(
                [
                    HallWindow(centre_id=centre.id, number=n, name=name, group=g)
                    for n, name, g in windows
                ]
            )
            counts["hallWindows"] += len(windows)
            await set_hours(centre.id, hours)
        known: set[object] = {
            row.username
            for row in await Account.filter(username__in=[a.username for a in staff]).only(
                "id", "username"
            )
        }
        for account in staff:
            if account.username in known:
                continue
            await account.save()
            region, role = staff_centres[str(account.username)]
            await CentreStaff.create(
                centre_id=by_region[region].id, account_id=account.id, role=role
            )
            counts["hallStaff"] += 1
        placed: set[object] = {row.terminal_id for row in await HallTerminal.all()}
        for region in terminal_centres:
            centre = by_region[region]
            if await HallTerminal.filter(centre_id=centre.id).exists():
                continue
            # The city centre takes a terminal from anywhere in the city.
            prefix = region[:4] if region.endswith("00") else region
            terminal = (
                await Terminal.filter(community__code__startswith=prefix)
                .exclude(id__in=list(placed))
                .order_by("code")
                .first()
            )
            if terminal is not None:
                await HallTerminal.create(centre_id=centre.id, terminal_id=terminal.id)
                placed.add(terminal.id)
                counts["hallTerminals"] += 1
    return counts
