"""Hall queries: a centre's windows and hours, the slots of a day, one's appointments and a
queue ticket's position."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from resolvers.hall import booking, centres, queue
from resolvers.hall.booking import MAX_SLOTS_A_DAY
from resolvers.hall.errors import HallError
from resolvers.policy import Action
from schema.authorised import authorised
from schema.context import Info
from schema.cost import bounded
from schema.error_codes import PublicError
from schema.hall.types import Appointment as AppointmentType
from schema.hall.types import (
    AppointmentConnection,
    AppointmentFilter,
    AppointmentSlot,
    CentreHall,
    CentreStaffMember,
)
from schema.hall.types import QueueTicket as QueueTicketType
from schema.ids import node_uuid
from schema.pagination import connection_of, page_request


@strawberry.type
class HallQuery:
    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description=(
            "A centre's windows, weekly opening hours and terminals; null for an unknown centre."
        ),
    )
    async def centre_hall(self, info: Info, centre_id: strawberry.ID) -> CentreHall | None:
        found = node_uuid(centre_id, "ServiceCentre")
        centre = await centres.centre(found) if found else None
        if centre is None:
            return None
        return await CentreHall.of(centre.id)

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description=(
            "The slots of `date` (China time) for booking the item at the centre, with the "
            "seats left: empty unless the day is a working day 1 to 5 working days ahead on "
            "which the centre opens. Errors BAD_USER_INPUT for an unknown centre or item."
        ),
        directives=bounded(MAX_SLOTS_A_DAY),
    )
    async def appointment_slots(
        self, info: Info, centre_id: strawberry.ID, service_code: str, date: date
    ) -> list[AppointmentSlot]:
        found = node_uuid(centre_id, "ServiceCentre")
        if found is None:
            raise PublicError("找不到该政务服务中心。", "BAD_USER_INPUT", field="centreId")
        try:
            views = await booking.appointment_slots(
                info.context.resources, found, service_code, date
            )
        except HallError as error:
            raise PublicError(error.message, "BAD_USER_INPUT", field=error.field) from None
        return [AppointmentSlot.of(v) for v in views]

    @strawberry.field(
        extensions=authorised(Action.READ_OWN),
        description="The signed-in resident's appointments, latest slot first. `first` at most 50.",
    )
    async def my_appointments(
        self,
        info: Info,
        filter: AppointmentFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AppointmentConnection:
        resources = info.context.resources
        request = page_request(first, after, cap=resources.settings.max_page_size)
        try:
            page = await booking.mine(
                resources,
                info.context.principal,
                status=filter.status if filter else None,
                first=request.first,
                after=request.after,
            )
        except ValueError:
            raise PublicError("分页游标无效。", "BAD_USER_INPUT", field="after") from None
        minutes = resources.settings.hall_cancel_before_minutes
        edges, page_info = connection_of(
            page, lambda row: AppointmentType.of(row, minutes), request.kind
        )
        return AppointmentConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.HALL_STAFF_READ),
        description="Who works at the centre (at most 200): for its MANAGER and the ADMIN.",
        directives=bounded(centres.MAX_STAFF),
    )
    async def centre_staff(self, info: Info, centre_id: strawberry.ID) -> list[CentreStaffMember]:
        found = node_uuid(centre_id, "ServiceCentre")
        if found is None:
            raise PublicError("找不到该政务服务中心。", "BAD_USER_INPUT", field="centreId")
        try:
            rows = await centres.staff(info.context.resources, info.context.principal, found)
        except HallError as error:
            raise PublicError(error.message, "BAD_USER_INPUT", field=error.field) from None
        return [CentreStaffMember(username=name, role=role) for name, role in rows]

    @strawberry.field(
        extensions=authorised(Action.READ_OWN),
        description=(
            "Until when the signed-in resident's online booking is suspended (two no-shows in "
            "30 days suspend it for 30 days from the last); null when booking is open."
        ),
    )
    async def booking_suspended_until(self, info: Info) -> datetime | None:
        return await booking.my_suspension(info.context.resources, info.context.principal)

    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description=(
            "A queue ticket with its position: the resident's own, any of a centre for its "
            "staff, or a walk-in slip for whoever holds its id (the slip's QR code); else null."
        ),
    )
    async def queue_ticket(self, info: Info, id: strawberry.ID) -> QueueTicketType | None:
        found = node_uuid(id, "QueueTicket")
        if found is None:
            return None
        ticket = await queue.readable(info.context.resources, info.context.principal, found)
        if ticket is None:
            return None
        return QueueTicketType.of(await queue.state(ticket), await queue.window_of(ticket))
