"""GraphQL types of the hall: windows and hours, appointment slots and bookings, queue tickets."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay

from resolvers.calendar.service import CHINA
from resolvers.catalogue.service import Placed
from resolvers.hall import centres
from resolvers.hall.booking import SlotView
from resolvers.hall.centres import MAX_HALL_TERMINALS, MAX_WINDOW_SERVICES, MAX_WINDOWS
from resolvers.hall.errors import HallErrorCode
from resolvers.hall.queue import TicketState
from resolvers.ids import global_id
from schema.catalogue.types import Terminal
from schema.cost import bounded
from schema.errors import UserError
from schema.pagination import Connection
from storage.models import hall as models
from storage.models.hall import AppointmentStatus, CentreStaffRole, TicketKind, TicketStatus

strawberry.enum(HallErrorCode, description="Why a hall mutation did not happen.")
strawberry.enum(
    AppointmentStatus,
    description=(
        "BOOKED; CANCELLED by the resident; CHECKED_IN at the centre; NO_SHOW: not checked in "
        "by the end of its slot (two in 30 days suspend online booking for 30 days)."
    ),
)
strawberry.enum(CentreStaffRole, description="MANAGER runs the hall; WINDOW serves at windows.")
strawberry.enum(TicketKind, description="APPOINTMENT (checked in with a booking) or WALK_IN.")
strawberry.enum(
    TicketStatus,
    description=(
        "WAITING; CALLED to a window; SERVED (the window called the next one); SKIPPED (过号: "
        "not answered after recalls; the resident checks in again and queues at the back)."
    ),
)


def centre_global_id(centre_id: object) -> strawberry.ID:
    return strawberry.ID(relay.to_base64("ServiceCentre", str(centre_id)))


@strawberry.type(description="A window (窗口) of a centre's hall.")
class HallWindow(relay.Node):
    id: relay.NodeID[str]
    number: str = strawberry.field(description="Shown above the desk, e.g. 12号窗口.")
    name: str
    group: str = strawberry.field(description="Its queue group: the tickets' letter (A001 …).")
    is_open: bool
    service_codes: list[str] = strawberry.field(
        description="Implementation codes it takes (at most 50); empty: every item of the centre.",
        directives=bounded(MAX_WINDOW_SERVICES),
    )

    @classmethod
    def of(cls, row: models.HallWindow, codes: list[str]) -> Self:
        return cls(
            id=str(row.id),
            number=row.number,
            name=row.name,
            group=row.group,
            is_open=row.is_open,
            service_codes=codes,
        )


@strawberry.type(description="Opening hours of one weekday (China time).")
class OpeningHours:
    weekday: int = strawberry.field(description="0 Monday … 6 Sunday.")
    opens_at: time
    closes_at: time

    @classmethod
    def of(cls, row: models.CentreHours) -> Self:
        return cls(
            weekday=row.weekday,
            opens_at=row.opens_at.replace(tzinfo=None),
            closes_at=row.closes_at.replace(tzinfo=None),
        )


@strawberry.type(
    description="A centre's hall: its windows, its weekly opening hours and its terminals."
)
class CentreHall:
    centre_id: strawberry.ID
    windows: list[HallWindow] = strawberry.field(
        description="By number; at most 100.", directives=bounded(MAX_WINDOWS)
    )
    opening_hours: list[OpeningHours] = strawberry.field(
        description="A weekday without hours is closed; holidays follow the working-day calendar.",
        directives=bounded(7),
    )
    _centre: strawberry.Private[UUID]

    @strawberry.field(
        description=(
            "The self-service terminals standing in the hall (they issue walk-in slips and check "
            "residents in), by code; at most 50."
        ),
        directives=bounded(MAX_HALL_TERMINALS),
    )
    async def terminals(self) -> list[Terminal]:
        return [Terminal.of(Placed(row, None)) for row in await centres.terminals(self._centre)]

    @classmethod
    async def of(cls, centre_id: UUID) -> CentreHall:
        windows = await centres.windows(centre_id)
        codes = await centres.window_codes([w.id for w in windows])
        return cls(
            centre_id=strawberry.ID(global_id("ServiceCentre", centre_id)),
            windows=[HallWindow.of(w, codes[w.id]) for w in windows],
            opening_hours=[OpeningHours.of(h) for h in await centres.hours(centre_id)],
            _centre=centre_id,
        )


@strawberry.type(description="A bookable slot of a day (China time).")
class AppointmentSlot:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    available: int = strawberry.field(description="Seats left; 0: full.")

    @classmethod
    def of(cls, view: SlotView) -> Self:
        # Shown in China time, the hall's wall clock.
        return cls(
            starts_at=view.starts_at.astimezone(CHINA),
            ends_at=view.ends_at.astimezone(CHINA),
            capacity=view.capacity,
            available=view.available,
        )


@strawberry.type(description="A resident's booking (预约) at a centre.")
class Appointment(relay.Node):
    id: relay.NodeID[str]
    centre_id: strawberry.ID
    service_code: str
    service_name: str
    day: date
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    cancellable_until: datetime = strawberry.field(
        description="Cancelling is possible until then (2 hours before the slot by default)."
    )

    @classmethod
    def of(cls, row: models.Appointment, cancel_before_minutes: int) -> Self:
        return cls(
            id=str(row.id),
            centre_id=centre_global_id(row.centre_id),
            service_code=row.service_code,
            service_name=row.service_name,
            day=row.day,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            status=row.status,
            cancellable_until=row.starts_at - timedelta(minutes=cancel_before_minutes),
        )


@strawberry.type
class AppointmentConnection(Connection[Appointment]):
    """The resident's appointments, latest slot first."""


@strawberry.type(description="A queue ticket (排队号) and where it stands.")
class QueueTicket(relay.Node):
    id: relay.NodeID[str]
    code: str = strawberry.field(description="Group letter and number, e.g. A007.")
    centre_id: strawberry.ID
    kind: TicketKind
    status: TicketStatus
    service_code: str
    service_name: str
    day: date
    issued_at: datetime
    ahead: int | None = strawberry.field(
        description="People waiting before it; null once it is called, served or skipped."
    )
    position: int | None = strawberry.field(description="`ahead` + 1 while waiting.")
    called_window: HallWindow | None = strawberry.field(
        description="The window it is called to (CALLED, SERVED)."
    )
    recalls: int
    called_at: datetime | None

    @classmethod
    def of(cls, state: TicketState, window: models.HallWindow | None = None) -> Self:
        row = state.ticket
        return cls(
            id=str(row.id),
            code=row.code,
            centre_id=centre_global_id(row.centre_id),
            kind=row.kind,
            status=row.status,
            service_code=row.service_code,
            service_name=row.service_name,
            day=row.day,
            issued_at=row.issued_at,
            ahead=state.ahead,
            position=state.ahead + 1 if state.ahead is not None else None,
            called_window=HallWindow.of(window, []) if window is not None else None,
            recalls=row.recalls,
            called_at=row.called_at,
        )


@strawberry.type(description="A centre's staff member.")
class CentreStaffMember:
    username: str
    role: CentreStaffRole


# -- inputs


@strawberry.input
class AppointmentFilter:
    status: AppointmentStatus | None = None


@strawberry.input
class UpsertHallWindowInput:
    centre_id: strawberry.ID
    number: str = strawberry.field(description="At most 16 characters; the key within the centre.")
    name: str = strawberry.field(description="At most 64 characters.")
    group: str = strawberry.field(description="One or two capital letters: the ticket prefix.")
    is_open: bool = True
    service_codes: list[str] = strawberry.field(
        default_factory=list,
        description="Implementation codes (at most 50) it takes; empty: every item.",
    )


@strawberry.input
class OpeningHoursInput:
    weekday: int = strawberry.field(description="0 Monday … 6 Sunday.")
    opens_at: time
    closes_at: time


@strawberry.input
class SetCentreHoursInput:
    centre_id: strawberry.ID
    days: list[OpeningHoursInput] = strawberry.field(
        description="At most 7, one per weekday; a weekday left out is closed."
    )


@strawberry.input
class AssignCentreStaffInput:
    centre_id: strawberry.ID
    username: str
    role: CentreStaffRole


@strawberry.input
class RemoveCentreStaffInput:
    centre_id: strawberry.ID
    username: str


@strawberry.input
class PlaceHallTerminalInput:
    centre_id: strawberry.ID
    terminal_id: strawberry.ID


@strawberry.input
class RemoveHallTerminalInput:
    centre_id: strawberry.ID
    terminal_id: strawberry.ID


@strawberry.input
class BookAppointmentInput:
    centre_id: strawberry.ID
    service_code: str
    starts_at: datetime = strawberry.field(description="A slot's `startsAt`, with its offset.")


@strawberry.input
class CancelAppointmentInput:
    appointment_id: strawberry.ID


@strawberry.input
class CheckInInput:
    appointment_id: strawberry.ID | None = strawberry.field(
        default=None, description="With a booking: the resident, or a terminal of that centre."
    )
    centre_id: strawberry.ID | None = strawberry.field(
        default=None, description="A walk-in slip: a terminal in that centre's hall."
    )
    service_code: str | None = strawberry.field(default=None, description="For a walk-in slip.")


@strawberry.input
class CallNextTicketInput:
    window_id: strawberry.ID


@strawberry.input
class RecallTicketInput:
    ticket_id: strawberry.ID


@strawberry.input
class SkipTicketInput:
    ticket_id: strawberry.ID


# -- errors and results


@strawberry.type
class UpsertHallWindowError(UserError):
    code: HallErrorCode


@strawberry.type
class SetCentreHoursError(UserError):
    code: HallErrorCode


@strawberry.type
class AssignCentreStaffError(UserError):
    code: HallErrorCode


@strawberry.type
class RemoveCentreStaffError(UserError):
    code: HallErrorCode


@strawberry.type
class PlaceHallTerminalError(UserError):
    code: HallErrorCode


@strawberry.type
class RemoveHallTerminalError(UserError):
    code: HallErrorCode


@strawberry.type
class BookAppointmentError(UserError):
    code: HallErrorCode


@strawberry.type
class CancelAppointmentError(UserError):
    code: HallErrorCode


@strawberry.type
class CheckInError(UserError):
    code: HallErrorCode


@strawberry.type
class CallNextTicketError(UserError):
    code: HallErrorCode


@strawberry.type
class RecallTicketError(UserError):
    code: HallErrorCode


@strawberry.type
class SkipTicketError(UserError):
    code: HallErrorCode


@strawberry.type(description="A centre's hall after a change of its hours.")
class CentreHours:
    centre_id: strawberry.ID
    opening_hours: list[OpeningHours] = strawberry.field(directives=bounded(7))


@strawberry.type(description="Who was taken off a centre's staff.")
class RemovedCentreStaff:
    username: str


UpsertHallWindowResult = Annotated[
    HallWindow | UpsertHallWindowError, strawberry.union("UpsertHallWindowResult")
]
SetCentreHoursResult = Annotated[
    CentreHours | SetCentreHoursError, strawberry.union("SetCentreHoursResult")
]
AssignCentreStaffResult = Annotated[
    CentreStaffMember | AssignCentreStaffError, strawberry.union("AssignCentreStaffResult")
]
RemoveCentreStaffResult = Annotated[
    RemovedCentreStaff | RemoveCentreStaffError, strawberry.union("RemoveCentreStaffResult")
]
PlaceHallTerminalResult = Annotated[
    CentreHall | PlaceHallTerminalError, strawberry.union("PlaceHallTerminalResult")
]
RemoveHallTerminalResult = Annotated[
    CentreHall | RemoveHallTerminalError, strawberry.union("RemoveHallTerminalResult")
]
BookAppointmentResult = Annotated[
    Appointment | BookAppointmentError, strawberry.union("BookAppointmentResult")
]
CancelAppointmentResult = Annotated[
    Appointment | CancelAppointmentError, strawberry.union("CancelAppointmentResult")
]
CheckInResult = Annotated[QueueTicket | CheckInError, strawberry.union("CheckInResult")]
CallNextTicketResult = Annotated[
    QueueTicket | CallNextTicketError, strawberry.union("CallNextTicketResult")
]
RecallTicketResult = Annotated[
    QueueTicket | RecallTicketError, strawberry.union("RecallTicketResult")
]
SkipTicketResult = Annotated[QueueTicket | SkipTicketError, strawberry.union("SkipTicketResult")]
