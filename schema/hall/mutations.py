"""Hall mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from uuid import UUID

import strawberry

from resolvers.hall import booking, centres, queue
from resolvers.hall.errors import HallError, HallErrorCode
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info
from schema.hall.types import Appointment as AppointmentType
from schema.hall.types import (
    AssignCentreStaffInput,
    AssignCentreStaffResult,
    BookAppointmentInput,
    BookAppointmentResult,
    CallNextTicketInput,
    CallNextTicketResult,
    CancelAppointmentInput,
    CancelAppointmentResult,
    CentreHall,
    CentreHours,
    CentreStaffMember,
    CheckInInput,
    CheckInResult,
    HallWindow,
    OpeningHours,
    PlaceHallTerminalInput,
    PlaceHallTerminalResult,
    RecallTicketInput,
    RecallTicketResult,
    RemoveCentreStaffInput,
    RemoveCentreStaffResult,
    RemovedCentreStaff,
    RemoveHallTerminalInput,
    RemoveHallTerminalResult,
    SetCentreHoursInput,
    SetCentreHoursResult,
    SkipTicketInput,
    SkipTicketResult,
    UpsertHallWindowInput,
    UpsertHallWindowResult,
)
from schema.hall.types import QueueTicket as QueueTicketType
from schema.ids import uuid_of
from storage.models.hall import QueueTicket


def _id(value: object, type_name: str, field: str, code: HallErrorCode) -> UUID:
    return uuid_of(value, type_name, field, HallError, code)


def _centre(value: object) -> UUID:
    return _id(value, "ServiceCentre", "centreId", HallErrorCode.CENTRE_NOT_FOUND)


def _terminal(value: object) -> UUID:
    return _id(value, "Terminal", "terminalId", HallErrorCode.TERMINAL_NOT_FOUND)


async def _ticket(ticket: QueueTicket) -> QueueTicketType:
    return QueueTicketType.of(await queue.state(ticket), await queue.window_of(ticket))


@strawberry.type
class HallMutation:
    @strawberry.mutation(
        extensions=authorised(Action.HALL_WINDOW_UPSERT),
        description=(
            "A centre's MANAGER (or ADMIN) creates or changes a window by its number: name, "
            "queue group, open or closed, the items it takes (at most 50; none: every item)."
        ),
    )
    async def upsert_hall_window(
        self, info: Info, input: UpsertHallWindowInput
    ) -> UpsertHallWindowResult:
        row = await centres.upsert_window(
            info.context.resources,
            info.context.principal,
            _centre(input.centre_id),
            centres.WindowData(
                number=input.number,
                name=input.name,
                group=input.group,
                is_open=input.is_open,
                service_codes=input.service_codes,
            ),
        )
        codes = await centres.window_codes([row.id])
        return HallWindow.of(row, codes[row.id])

    @strawberry.mutation(
        extensions=authorised(Action.HALL_HOURS_SET),
        description="A centre's MANAGER (or ADMIN) replaces its weekly opening hours.",
    )
    async def set_centre_hours(
        self, info: Info, input: SetCentreHoursInput
    ) -> SetCentreHoursResult:
        if len(input.days) > 7:
            raise HallError(HallErrorCode.HOURS_INVALID, "days")
        rows = await centres.set_hours(
            info.context.resources,
            info.context.principal,
            _centre(input.centre_id),
            [(d.weekday, d.opens_at, d.closes_at) for d in input.days],
        )
        return CentreHours(
            centre_id=input.centre_id, opening_hours=[OpeningHours.of(r) for r in rows]
        )

    @strawberry.mutation(
        extensions=authorised(Action.HALL_STAFF_ASSIGN),
        description="A centre's MANAGER (or ADMIN) makes a staff account work at the centre.",
    )
    async def assign_centre_staff(
        self, info: Info, input: AssignCentreStaffInput
    ) -> AssignCentreStaffResult:
        row = await centres.assign_staff(
            info.context.resources,
            info.context.principal,
            _centre(input.centre_id),
            input.username,
            input.role,
        )
        return CentreStaffMember(username=input.username, role=row.role)

    @strawberry.mutation(
        extensions=authorised(Action.HALL_STAFF_REMOVE),
        description=(
            "A centre's MANAGER (or ADMIN) takes someone off its staff (never the last MANAGER)."
        ),
    )
    async def remove_centre_staff(
        self, info: Info, input: RemoveCentreStaffInput
    ) -> RemoveCentreStaffResult:
        await centres.remove_staff(
            info.context.resources, info.context.principal, _centre(input.centre_id), input.username
        )
        return RemovedCentreStaff(username=input.username)

    @strawberry.mutation(
        extensions=authorised(Action.HALL_TERMINAL_PLACE),
        description=(
            "A centre's MANAGER (or ADMIN) puts a registered terminal in the hall, where it "
            "issues walk-in slips and checks residents in; a terminal stands in one hall."
        ),
    )
    async def place_hall_terminal(
        self, info: Info, input: PlaceHallTerminalInput
    ) -> PlaceHallTerminalResult:
        centre_id = _centre(input.centre_id)
        await centres.place_terminal(
            info.context.resources, info.context.principal, centre_id, _terminal(input.terminal_id)
        )
        return await CentreHall.of(centre_id)

    @strawberry.mutation(
        extensions=authorised(Action.HALL_TERMINAL_REMOVE),
        description="A centre's MANAGER (or ADMIN) takes a terminal out of the hall.",
    )
    async def remove_hall_terminal(
        self, info: Info, input: RemoveHallTerminalInput
    ) -> RemoveHallTerminalResult:
        centre_id = _centre(input.centre_id)
        await centres.remove_terminal(
            info.context.resources, info.context.principal, centre_id, _terminal(input.terminal_id)
        )
        return await CentreHall.of(centre_id)

    @strawberry.mutation(
        extensions=authorised(Action.APPOINTMENT_BOOK),
        description=(
            "A resident books a slot from `appointmentSlots`: 1 to 5 working days ahead, one "
            "booking per item per day; refused while booking is suspended after no-shows. "
            "Never overbooked, however many book at once."
        ),
    )
    async def book_appointment(
        self, info: Info, input: BookAppointmentInput
    ) -> BookAppointmentResult:
        if not 0 < len(input.service_code) <= 96:
            raise HallError(HallErrorCode.SERVICE_NOT_FOUND, "serviceCode")
        row = await booking.book(
            info.context.resources,
            info.context.principal,
            centre_id=_centre(input.centre_id),
            service_code=input.service_code,
            starts_at=input.starts_at,
        )
        return AppointmentType.of(row, info.context.resources.settings.hall_cancel_before_minutes)

    @strawberry.mutation(
        extensions=authorised(Action.APPOINTMENT_CANCEL),
        description="The resident cancels a booking, at least 2 hours before its slot.",
    )
    async def cancel_appointment(
        self, info: Info, input: CancelAppointmentInput
    ) -> CancelAppointmentResult:
        row = await booking.cancel(
            info.context.resources,
            info.context.principal,
            _id(input.appointment_id, "Appointment", "appointmentId", HallErrorCode.NOT_FOUND),
        )
        return AppointmentType.of(row, info.context.resources.settings.hall_cancel_before_minutes)

    @strawberry.mutation(
        extensions=authorised(Action.QUEUE_CHECK_IN),
        description=(
            "Takes a queue ticket: with `appointmentId`, the resident's own booking on its day "
            "(from an hour before the slot to its end; again after a skip, at the back); with "
            "`centreId` and `serviceCode`, a walk-in slip issued by a terminal in that hall."
        ),
    )
    async def check_in(self, info: Info, input: CheckInInput) -> CheckInResult:
        resources, principal = info.context.resources, info.context.principal
        if input.appointment_id is not None:
            if input.centre_id is not None or input.service_code is not None:
                raise HallError(HallErrorCode.INVALID_INPUT, "centreId")
            appointment = _id(
                input.appointment_id, "Appointment", "appointmentId", HallErrorCode.NOT_FOUND
            )
            ticket = await queue.check_in_appointment(resources, principal, appointment)
        else:
            if input.centre_id is None:
                raise HallError(HallErrorCode.INVALID_INPUT, "appointmentId")
            if input.service_code is None or not 0 < len(input.service_code) <= 96:
                raise HallError(HallErrorCode.SERVICE_NOT_FOUND, "serviceCode")
            ticket = await queue.check_in_walk_in(
                resources, principal, _centre(input.centre_id), input.service_code
            )
        return await _ticket(ticket)

    @strawberry.mutation(
        extensions=authorised(Action.QUEUE_CALL_NEXT),
        description=(
            "Window staff of the centre: the window's previous ticket is served and the next "
            "one it may serve is called (appointments within their slot before later walk-ins)."
        ),
    )
    async def call_next_ticket(
        self, info: Info, input: CallNextTicketInput
    ) -> CallNextTicketResult:
        ticket = await queue.call_next(
            info.context.resources,
            info.context.principal,
            _id(input.window_id, "HallWindow", "windowId", HallErrorCode.NOT_FOUND),
        )
        return await _ticket(ticket)

    @strawberry.mutation(
        extensions=authorised(Action.QUEUE_RECALL),
        description="Window staff call a called ticket again (at most 2 recalls by default).",
    )
    async def recall_ticket(self, info: Info, input: RecallTicketInput) -> RecallTicketResult:
        ticket = await queue.recall(
            info.context.resources,
            info.context.principal,
            _id(input.ticket_id, "QueueTicket", "ticketId", HallErrorCode.NOT_FOUND),
        )
        return await _ticket(ticket)

    @strawberry.mutation(
        extensions=authorised(Action.QUEUE_SKIP),
        description="Window staff skip a called ticket nobody answered (过号); it does not return.",
    )
    async def skip_ticket(self, info: Info, input: SkipTicketInput) -> SkipTicketResult:
        ticket = await queue.skip(
            info.context.resources,
            info.context.principal,
            _id(input.ticket_id, "QueueTicket", "ticketId", HallErrorCode.NOT_FOUND),
        )
        return await _ticket(ticket)
