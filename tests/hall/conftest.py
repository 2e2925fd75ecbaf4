"""Helpers of the hall tests: the city centre of the demo data, its staff and a terminal in its
hall, residents of the mini-program, a frozen clock on known working days, GraphQL snippets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from strawberry import relay

from mock_wechat.client import MiniProgram
from storage.models.catalogue import (
    Implementation,
    PublicationStatus,
    Region,
    ServiceCentre,
    Terminal,
)
from storage.models.hall import HallWindow
from tests.conftest import RunningApp
from tests.documents.conftest import signed_in

CITY_CENTRE = "成都市政务服务中心"
JINJIANG_CENTRE = "锦江区政务服务中心"
# A Monday with working days after it (2025-03-03 … 03-07), in China time.
MONDAY = date(2025, 3, 3)

APPOINTMENT = """
    __typename
    ... on Appointment { id centreId serviceCode day startsAt endsAt status cancellableUntil }
"""
TICKET = """
    __typename
    ... on QueueTicket {
      id code kind status serviceCode ahead position recalls
      calledWindow { id number }
    }
"""


def mutation(name: str, input_type: str, selection: str) -> str:
    error = input_type.removesuffix("Input") + "Error"
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} "
        f"... on {error} {{ errorCode: code message field }} }} }}"
    )


BOOK = mutation("bookAppointment", "BookAppointmentInput", APPOINTMENT)
CANCEL = mutation("cancelAppointment", "CancelAppointmentInput", APPOINTMENT)
CHECK_IN = mutation("checkIn", "CheckInInput", TICKET)
CALL_NEXT = mutation("callNextTicket", "CallNextTicketInput", TICKET)
RECALL = mutation("recallTicket", "RecallTicketInput", TICKET)
SKIP = mutation("skipTicket", "SkipTicketInput", TICKET)
SLOTS = """
query($centre: ID!, $service: String!, $date: Date!) {
  appointmentSlots(centreId: $centre, serviceCode: $service, date: $date) {
    startsAt endsAt capacity available
  }
}
"""
HALL_TERMINALS = "__typename ... on CentreHall { terminals { id code } }"
PLACE_TERMINAL = mutation("placeHallTerminal", "PlaceHallTerminalInput", HALL_TERMINALS)
REMOVE_TERMINAL = mutation("removeHallTerminal", "RemoveHallTerminalInput", HALL_TERMINALS)
FOLLOW = "query($id: ID!) { queueTicket(id: $id) { " + TICKET.replace("__typename", "") + " } }"


def china(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment in China time, as the app's clock gives it (UTC)."""
    return datetime(day.year, day.month, day.day, hour - 8, minute, tzinfo=UTC)


def at(running: RunningApp, moment: datetime) -> None:
    """Freezes the app's clock at `moment`."""
    running.resources.clock = lambda: moment


def slot_start(day: date, hour: int, minute: int = 0) -> str:
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00+08:00"


async def centre_id(name: str = CITY_CENTRE) -> str:
    centre = await ServiceCentre.get(name=name)
    return relay.to_base64("ServiceCentre", str(centre.id))


async def city_item() -> str:
    """A published item of the city itself: the city centre handles it by rule."""
    row = (
        await Implementation.filter(region__code="510100", status=PublicationStatus.PUBLISHED)
        .order_by("code")
        .first()
    )
    assert row is not None
    return str(row.code)


async def window_id(number: str = "1", name: str = CITY_CENTRE) -> str:
    window = await HallWindow.get(centre__name=name, number=number)
    return relay.to_base64("HallWindow", str(window.id))


async def login(running: RunningApp, username: str) -> str:
    result = await running.gql.data(
        "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p}) "
        "{ ... on Session { token } ... on LoginStaffError { code } } }",
        {"u": username, "p": "demo-password-for-tests"},
    )
    token = result["loginStaff"].get("token")
    assert token, result
    return str(token)


async def resident(running: RunningApp, wechat: httpx.AsyncClient, user: str) -> MiniProgram:
    return await signed_in(running, wechat, user)


async def hall_terminal(running: RunningApp, name: str = CITY_CENTRE) -> str:
    """A terminal registered by the ADMIN through the API and put in the centre's hall with
    `placeHallTerminal`; its device token."""
    admin = await login(running, "demo-admin")
    community = await Region.filter(level="COMMUNITY", code__startswith="510104").first()
    assert community is not None
    registered = await running.gql.data(
        "mutation($input: RegisterTerminalInput!) { registerTerminal(input: $input) { "
        "... on TerminalRegistration { credential } ... on RegisterTerminalError { code } } }",
        {
            "input": {
                "code": "T-HALL-0001",
                "name": "大厅取号机",
                "communityCode": community.code,
                "placement": "PUBLIC_SPACE",
                "address": "政务服务中心一楼",
                "location": {"lat": 30.6574, "lng": 104.0817},
                "serviceCodes": [],
            }
        },
        token=admin,
    )
    credential = registered["registerTerminal"]["credential"]
    terminal = await Terminal.get(code="T-HALL-0001")
    placed = await act(
        running,
        PLACE_TERMINAL,
        admin,
        centreId=await centre_id(name),
        terminalId=relay.to_base64("Terminal", str(terminal.id)),
    )
    assert placed["__typename"] == "CentreHall", placed
    session = await running.gql.data(
        "mutation($c: String!, $k: String!) { loginTerminal(input: {code: $c, credential: $k}) "
        "{ ... on Session { token } } }",
        {"c": "T-HALL-0001", "k": credential},
    )
    return str(session["loginTerminal"]["token"])


async def act(running: RunningApp, query: str, token: str | None, **values: Any) -> dict[str, Any]:
    """Runs one mutation with `values` as its input; returns its result object."""
    response = await running.gql(query, {"input": values}, token=token)
    result = dict(next(iter(response.data.values())))
    # Aliased (a ticket's `code` is its number): errors read as `code` in the tests.
    if "errorCode" in result:
        result["code"] = result.pop("errorCode")
    return result


async def book(
    running: RunningApp, program: MiniProgram, service: str, starts: str, centre: str | None = None
) -> dict[str, Any]:
    return await act(
        running,
        BOOK,
        program.token,
        centreId=centre or await centre_id(),
        serviceCode=service,
        startsAt=starts,
    )


async def drain(running: RunningApp) -> int:
    from api.outbox import dispatcher

    return await dispatcher(running.resources).drain()


WINDOW = """
    __typename
    ... on HallWindow { id number name group isOpen serviceCodes }
"""
UPSERT_WINDOW = mutation("upsertHallWindow", "UpsertHallWindowInput", WINDOW)
