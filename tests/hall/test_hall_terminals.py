"""placeHallTerminal and removeHallTerminal: a centre's MANAGER (or ADMIN) decides which
registered terminals stand in its hall, where they issue walk-in slips; a terminal stands in
one hall; every change is audited; bad input changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from strawberry import relay

from storage.models.catalogue import Terminal
from storage.models.hall import HallAudit, HallTerminal
from tests.conftest import RunningApp
from tests.hall.conftest import (
    CHECK_IN,
    JINJIANG_CENTRE,
    MONDAY,
    PLACE_TERMINAL,
    REMOVE_TERMINAL,
    act,
    at,
    centre_id,
    china,
    city_item,
    hall_terminal,
    login,
)

HALL = "query($id: ID!) { centreHall(centreId: $id) { terminals { code name status } } }"


async def _terminal_id() -> str:
    row = await Terminal.get(code="T-HALL-0001")
    return relay.to_base64("Terminal", str(row.id))


async def _state() -> tuple[Any, ...]:
    return (
        sorted((str(r.centre_id), str(r.terminal_id)) for r in await HallTerminal.all()),
        await HallAudit.all().count(),
    )


async def test_a_manager_places_a_terminal_in_their_hall_and_takes_it_out(
    seeded: RunningApp,
) -> None:
    at(seeded, china(MONDAY, 10))
    service = await city_item()
    token = await hall_terminal(seeded)  # registered, then placed by the ADMIN
    city = await centre_id()
    terminal = await _terminal_id()
    hall = (await seeded.gql.data(HALL, {"id": city}))["centreHall"]
    assert {"code": "T-HALL-0001", "name": "大厅取号机", "status": "IN_SERVICE"} in hall[
        "terminals"
    ]
    slip = await act(seeded, CHECK_IN, token, centreId=city, serviceCode=service)
    assert slip["__typename"] == "QueueTicket", slip

    manager = await login(seeded, "hall-manager-510100")
    before = await _state()
    again = await act(seeded, PLACE_TERMINAL, manager, centreId=city, terminalId=terminal)
    assert again["__typename"] == "CentreHall"
    assert await _state() == before  # already standing here: nothing changes

    removed = await act(seeded, REMOVE_TERMINAL, manager, centreId=city, terminalId=terminal)
    assert "T-HALL-0001" not in [t["code"] for t in removed["terminals"]]
    # One each (the clock stands still here, so they are told apart by action, not time).
    audit = await HallAudit.filter(action__in=["TERMINAL_PLACED", "TERMINAL_REMOVED"])
    assert sorted(a.action for a in audit) == ["TERMINAL_PLACED", "TERMINAL_REMOVED"]
    assert all(a.actor_id is not None and a.subject_id is not None for a in audit)
    # Out of the hall, it issues no more slips there.
    refused = await act(seeded, CHECK_IN, token, centreId=city, serviceCode=service)
    assert refused["__typename"] == "CheckInError"
    assert refused["code"] == "FORBIDDEN"


async def test_a_terminal_stands_in_one_hall_and_managers_run_their_own_only(
    seeded: RunningApp,
) -> None:
    await hall_terminal(seeded)  # in the city centre's hall
    terminal = await _terminal_id()
    jinjiang = await login(seeded, "hall-manager-510104")
    before = await _state()

    elsewhere = await act(
        seeded,
        PLACE_TERMINAL,
        jinjiang,
        centreId=await centre_id(JINJIANG_CENTRE),
        terminalId=terminal,
    )
    assert (elsewhere["code"], elsewhere["field"]) == ("TERMINAL_IN_ANOTHER_HALL", "terminalId")
    not_theirs = await act(
        seeded, REMOVE_TERMINAL, jinjiang, centreId=await centre_id(), terminalId=terminal
    )
    assert not_theirs["code"] == "FORBIDDEN"
    assert await _state() == before


async def test_bad_input_is_named_and_changes_nothing(seeded: RunningApp) -> None:
    await hall_terminal(seeded)
    manager = await login(seeded, "hall-manager-510100")
    city = await centre_id()
    unknown = relay.to_base64("Terminal", str(uuid.uuid4()))
    before = await _state()
    cases = [
        (PLACE_TERMINAL, {"centreId": city, "terminalId": unknown}, "TERMINAL_NOT_FOUND"),
        (PLACE_TERMINAL, {"centreId": city, "terminalId": "x"}, "TERMINAL_NOT_FOUND"),
        (
            PLACE_TERMINAL,
            {"centreId": city, "terminalId": relay.to_base64("HallWindow", str(uuid.uuid4()))},
            "TERMINAL_NOT_FOUND",
        ),
        (PLACE_TERMINAL, {"centreId": "nope", "terminalId": unknown}, "CENTRE_NOT_FOUND"),
        (REMOVE_TERMINAL, {"centreId": city, "terminalId": unknown}, "TERMINAL_NOT_FOUND"),
        (REMOVE_TERMINAL, {"centreId": city, "terminalId": ""}, "TERMINAL_NOT_FOUND"),
    ]
    for query, values, code in cases:
        answer = await act(seeded, query, manager, **values)
        assert answer["code"] == code, (values, answer)
        assert answer["message"]
        assert answer["field"] == ("centreId" if code == "CENTRE_NOT_FOUND" else "terminalId")
    anonymous = await act(seeded, PLACE_TERMINAL, None, centreId=city, terminalId=unknown)
    assert anonymous["code"] == "UNAUTHENTICATED"
    assert await _state() == before
