"""checkIn, callNextTicket, recallTicket, skipTicket and queueTicket: the queue's order
(appointments from their slot's start ahead of later walk-ins), recalls, skips and coming back
at the back, who may do what, and bad input."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from strawberry import relay

from mock_wechat.client import MiniProgram
from storage.models.hall import HallAudit, QueueTicket
from tests.conftest import RunningApp
from tests.hall.conftest import (
    CALL_NEXT,
    CHECK_IN,
    FOLLOW,
    MONDAY,
    RECALL,
    SKIP,
    UPSERT_WINDOW,
    act,
    at,
    book,
    centre_id,
    china,
    city_item,
    hall_terminal,
    login,
    resident,
    slot_start,
    window_id,
)

TUESDAY = date(2025, 3, 4)


async def walk_in(running: RunningApp, terminal: str, service: str) -> dict[str, Any]:
    return await act(running, CHECK_IN, terminal, centreId=await centre_id(), serviceCode=service)


async def booked(running: RunningApp, program: MiniProgram, service: str) -> str:
    result = await book(running, program, service, slot_start(TUESDAY, 10))
    assert result["__typename"] == "Appointment", result
    return str(result["id"])


async def follow(running: RunningApp, ticket: str, token: str | None = None) -> Any:
    return (await running.gql.data(FOLLOW, {"id": ticket}, token=token))["queueTicket"]


async def test_appointments_queue_from_their_slot_and_skipped_tickets_go_to_the_back(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service = await city_item()
    a = await resident(seeded, wechat, "a")
    b = await resident(seeded, wechat, "b")
    at(seeded, china(MONDAY, 8))
    a_booking, b_booking = await booked(seeded, a, service), await booked(seeded, b, service)
    terminal = await hall_terminal(seeded)
    officer = await login(seeded, "hall-window-510100")
    one, two = await window_id("1"), await window_id("2")

    at(seeded, china(TUESDAY, 9, 40))
    w1 = await walk_in(seeded, terminal, service)
    at(seeded, china(TUESDAY, 9, 45))  # early for 10:00: queues from the slot's start
    a1 = await act(seeded, CHECK_IN, a.token, appointmentId=a_booking)
    at(seeded, china(TUESDAY, 10, 5))
    w2 = await walk_in(seeded, terminal, service)
    at(seeded, china(TUESDAY, 10, 6))  # within the slot: ahead of the walk-in of 10:05
    b1 = await act(seeded, CHECK_IN, b.token, appointmentId=b_booking)
    twice = await act(seeded, CHECK_IN, b.token, appointmentId=b_booking)
    waiting = {t["code"]: (await follow(seeded, t["id"], b.token)) for t in (w1, w2, b1)}

    called = [
        await act(seeded, CALL_NEXT, officer, windowId=one),
        await act(seeded, CALL_NEXT, officer, windowId=two),
        await act(seeded, CALL_NEXT, officer, windowId=one),
    ]
    recalls = [await act(seeded, RECALL, officer, ticketId=b1["id"]) for _ in range(3)]
    skipped = await act(seeded, SKIP, officer, ticketId=b1["id"])
    at(seeded, china(TUESDAY, 10, 20))
    b2 = await act(seeded, CHECK_IN, b.token, appointmentId=b_booking)
    then = [
        await act(seeded, CALL_NEXT, officer, windowId=one),
        await act(seeded, CALL_NEXT, officer, windowId=one),
        await act(seeded, CALL_NEXT, officer, windowId=one),
    ]

    assert [t["code"] for t in (w1, a1, w2, b1)] == ["A001", "A002", "A003", "A004"]
    assert [t["kind"] for t in (w1, a1)] == ["WALK_IN", "APPOINTMENT"]
    assert twice["code"] == "ALREADY_CHECKED_IN"
    # Order: A001 (9:40), A002 and A004 (from 10:00), A003 (10:05).
    assert waiting["A003"]["ahead"] == 3
    assert waiting["A004"]["ahead"] == 2
    assert waiting["A004"]["position"] == 3
    assert waiting["A001"]["ahead"] == 0
    assert [c["code"] for c in called] == ["A001", "A002", "A004"]
    assert called[2]["calledWindow"]["number"] == "1"
    assert called[2]["status"] == "CALLED"
    assert [r.get("recalls", r.get("code")) for r in recalls] == [1, 2, "RECALL_LIMIT"]
    assert skipped["status"] == "SKIPPED"
    assert b2["code"] == "A005"
    assert [t.get("code") for t in then[:2]] == ["A003", "A005"]
    assert then[2]["__typename"] == "CallNextTicketError"
    assert then[2]["code"] == "QUEUE_EMPTY"
    statuses = {t.code: t.status.value for t in await QueueTicket.all()}
    assert statuses == {
        "A001": "SERVED",
        "A002": "CALLED",
        "A003": "SERVED",
        "A004": "SKIPPED",
        "A005": "SERVED",
    }
    audited = await HallAudit.filter(action="TICKET_CALLED").count()
    assert audited == 5


async def test_who_may_check_in_call_and_follow(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service = await city_item()
    a = await resident(seeded, wechat, "a")
    other = await resident(seeded, wechat, "b")
    at(seeded, china(MONDAY, 8))
    a_booking = await booked(seeded, a, service)
    terminal = await hall_terminal(seeded)
    elsewhere = await login(seeded, "hall-window-510104")
    manager_elsewhere = await login(seeded, "hall-manager-510104")
    officer = await login(seeded, "hall-window-510100")
    at(seeded, china(TUESDAY, 10))

    by_other = await act(seeded, CHECK_IN, other.token, appointmentId=a_booking)
    by_staff = await act(seeded, CHECK_IN, officer, appointmentId=a_booking)
    at_other_centre = await act(
        seeded,
        CHECK_IN,
        terminal,
        centreId=await centre_id("锦江区政务服务中心"),
        serviceCode=service,
    )
    by_resident = await act(
        seeded, CHECK_IN, a.token, centreId=await centre_id(), serviceCode=service
    )
    # A terminal of the hall checks in a resident's booking for them.
    ticket = await act(seeded, CHECK_IN, terminal, appointmentId=a_booking)
    slip = await walk_in(seeded, terminal, service)
    call_elsewhere = await act(seeded, CALL_NEXT, elsewhere, windowId=await window_id("1"))
    call_resident = await act(seeded, CALL_NEXT, a.token, windowId=await window_id("1"))
    call_anonymous = await act(seeded, CALL_NEXT, None, windowId=await window_id("1"))
    close_elsewhere = await act(
        seeded,
        UPSERT_WINDOW,
        manager_elsewhere,
        centreId=await centre_id(),
        number="1",
        name="综合受理",
        group="A",
        isOpen=False,
    )
    called = await act(seeded, CALL_NEXT, officer, windowId=await window_id("1"))
    recall_elsewhere = await act(seeded, RECALL, elsewhere, ticketId=called["id"])
    skip_elsewhere = await act(seeded, SKIP, elsewhere, ticketId=called["id"])

    assert by_other["code"] == "NOT_FOUND"
    assert by_staff["code"] in ("FORBIDDEN", "NOT_FOUND")
    assert at_other_centre["code"] == "FORBIDDEN"
    assert by_resident["code"] == "FORBIDDEN"
    assert ticket["code"] == "A001"
    assert call_elsewhere["code"] == "FORBIDDEN"
    assert call_resident["code"] == "FORBIDDEN"
    assert call_anonymous["code"] == "UNAUTHENTICATED"
    assert close_elsewhere["code"] == "FORBIDDEN"
    assert called["code"] == "A001"
    assert recall_elsewhere["code"] == "NOT_FOUND"
    assert skip_elsewhere["code"] == "NOT_FOUND"
    # Following: the resident's own ticket, the centre's staff, and a slip for whoever holds it.
    assert (await follow(seeded, ticket["id"], a.token))["code"] == "A001"
    assert await follow(seeded, ticket["id"], other.token) is None
    assert await follow(seeded, ticket["id"]) is None
    assert await follow(seeded, ticket["id"], elsewhere) is None
    assert (await follow(seeded, ticket["id"], officer))["status"] == "CALLED"
    assert (await follow(seeded, slip["id"]))["ahead"] == 0
    assert await follow(seeded, "not-an-id") is None


async def test_bad_queue_input_changes_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service = await city_item()
    a = await resident(seeded, wechat, "a")
    at(seeded, china(MONDAY, 8))
    a_booking = await booked(seeded, a, service)
    terminal = await hall_terminal(seeded)
    officer = await login(seeded, "hall-window-510100")
    manager = await login(seeded, "hall-manager-510100")
    centre = await centre_id()

    at(seeded, china(TUESDAY, 8, 59))  # more than an hour before the 10:00 slot
    too_early = await act(seeded, CHECK_IN, a.token, appointmentId=a_booking)
    closed_centre = await walk_in(seeded, terminal, service)
    at(seeded, china(TUESDAY, 10))
    neither = await act(seeded, CHECK_IN, a.token)
    both = await act(
        seeded, CHECK_IN, a.token, appointmentId=a_booking, centreId=centre, serviceCode=service
    )
    no_service = await act(seeded, CHECK_IN, terminal, centreId=centre)
    unknown_service = await act(seeded, CHECK_IN, terminal, centreId=centre, serviceCode="X-1")
    unknown_centre = await act(seeded, CHECK_IN, terminal, centreId="bm9wZQ", serviceCode=service)
    no_such_centre = await act(
        seeded,
        CHECK_IN,
        terminal,
        centreId=relay.to_base64("ServiceCentre", str(uuid.uuid4())),
        serviceCode=service,
    )
    unknown_booking = await act(seeded, CHECK_IN, a.token, appointmentId="bm9wZQ")
    empty = await act(seeded, CALL_NEXT, officer, windowId=await window_id("1"))
    bad_window = await act(seeded, CALL_NEXT, officer, windowId="bm9wZQ")
    slip = await walk_in(seeded, terminal, service)
    recall_waiting = await act(seeded, RECALL, officer, ticketId=slip["id"])
    skip_waiting = await act(seeded, SKIP, officer, ticketId=slip["id"])
    bad_ticket = await act(seeded, RECALL, officer, ticketId="bm9wZQ")
    closed = await act(
        seeded,
        UPSERT_WINDOW,
        manager,
        centreId=centre,
        number="3",
        name="综合受理",
        group="A",
        isOpen=False,
    )
    at_closed = await act(seeded, CALL_NEXT, officer, windowId=await window_id("3"))
    at(seeded, china(TUESDAY, 10, 30))  # the slot is over: a no-show, not a late check-in
    too_late = await act(seeded, CHECK_IN, a.token, appointmentId=a_booking)

    assert too_early["code"] == "NOT_CHECK_IN_TIME"
    assert closed_centre["code"] == "CENTRE_CLOSED"
    assert (neither["code"], neither["field"]) == ("INVALID_INPUT", "appointmentId")
    assert (both["code"], both["field"]) == ("INVALID_INPUT", "centreId")
    assert (no_service["code"], no_service["field"]) == ("SERVICE_NOT_FOUND", "serviceCode")
    assert unknown_service["code"] == "SERVICE_NOT_FOUND"
    assert (unknown_centre["code"], unknown_centre["field"]) == ("CENTRE_NOT_FOUND", "centreId")
    assert (no_such_centre["code"], no_such_centre["field"]) == ("CENTRE_NOT_FOUND", "centreId")
    assert unknown_booking["code"] == "NOT_FOUND"
    assert empty["code"] == "QUEUE_EMPTY"
    assert bad_window["code"] == "NOT_FOUND"
    assert recall_waiting["code"] == "NOT_CALLED"
    assert skip_waiting["code"] == "NOT_CALLED"
    assert bad_ticket["code"] == "NOT_FOUND"
    assert closed["isOpen"] is False
    assert at_closed["code"] == "WINDOW_CLOSED"
    assert too_late["code"] == "NOT_CHECK_IN_TIME"
    # Only the one slip was issued; nothing was called.
    assert [(t.code, t.status.value) for t in await QueueTicket.all()] == [("A001", "WAITING")]
