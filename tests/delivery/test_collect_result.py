"""handOverResult and collectResultAtTerminal: window staff hand a WINDOW result to its owner
against a fresh card read (someone else's card is refused); a terminal takes a TERMINAL
result's pickup code once, and wrong codes are rate-limited per terminal. Each collection is
audited and told to the resident."""

from __future__ import annotations

from typing import Any

import httpx

from resolvers.ids import global_id
from storage.models.accounts import AuditEvent
from storage.models.delivery import Delivery, DeliveryStatus
from storage.models.hall import CentreStaffRole
from storage.models.outbox import OutboxMessage
from tests.applications.conftest import (
    ACCEPT,
    COMPLETE,
    HYGIENE,
    ISSUE,
    implementation,
    officers,
    submit,
)
from tests.conftest import RunningApp
from tests.delivery.test_choose_delivery import CHOOSE, _call
from tests.documents.conftest import signed_in
from tests.identity import id_number
from tests.window.conftest import (
    JINJIANG_CENTRE,
    JINJIANG_POLICE,
    card_read,
    officer,
    register_reader,
    window_of,
    works_at,
)
from tests.window.test_terminal import _terminal

DELIVERY = "__typename ... on Delivery { id method status collectedAt events { status } }"
HAND_OVER = (
    "mutation($input: HandOverResultInput!) { handOverResult(input: $input) { "
    f"{DELIVERY} ... on HandOverResultError {{ code message field }} }} }}"
)
COLLECT = (
    "mutation($input: CollectResultAtTerminalInput!) { collectResultAtTerminal(input: $input) "
    f"{{ {DELIVERY} ... on CollectResultAtTerminalError {{ code message field }} }} }}"
)


async def _completed(
    running: RunningApp, wechat: httpx.AsyncClient, user: str, method: str
) -> dict[str, Any]:
    """A resident of known identity whose application's result is issued and who chose
    `method`; the pickup code when it is TERMINAL."""
    program = await signed_in(running, wechat, user)
    number = id_number()
    assert (await program.verify_identity("张三", number))["__typename"] == "Account"
    tokens = await officers(running, await implementation(HYGIENE))
    submitted = await submit(running, program)
    accepted = await _call(running, ACCEPT, {"applicationId": submitted["id"]}, tokens["lead"])
    for task in accepted["tasks"]:
        token = tokens["lead"] if task["lead"] else tokens[task["department"]["code"]]
        await _call(running, COMPLETE, {"taskId": task["id"], "outcome": "APPROVED"}, token)
    issued = await _call(running, ISSUE, {"applicationId": submitted["id"]}, tokens["lead"])
    assert issued["status"] == "COMPLETED", issued
    chosen = await _call(
        running, CHOOSE, {"applicationId": submitted["id"], "method": method}, program.token
    )
    assert chosen["delivery"]["status"] == "READY", chosen
    return {
        "program": program,
        "person": {"name": "张三", "idNumber": number},
        "id": submitted["id"],
        "code": chosen["pickupCode"],
    }


async def _notices() -> list[dict[str, Any]]:
    rows = await OutboxMessage.filter(kind="notification.inbox")
    return [dict(r.payload) for r in rows if r.payload.get("title") == "办理结果已领取"]


async def test_window_staff_hand_over_against_the_owners_card(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    made = await _completed(seeded, wechat, "window-collector", "WINDOW")
    other = await _completed(seeded, wechat, "terminal-collector", "TERMINAL")
    clerk = await officer(seeded, wechat, JINJIANG_POLICE)
    centre = await works_at(clerk, JINJIANG_CENTRE, CentreStaffRole.MANAGER)
    window = await window_of(centre, "2")
    registered = await register_reader(seeded, wechat, clerk, centre, "collect-reader", window)
    assert registered["__typename"] == "Device", registered

    async def hand_over(application_id: str, person: dict[str, str], token: str | None) -> Any:
        read = await card_read(wechat, "collect-reader", person=person)
        answer = await seeded.gql(
            HAND_OVER, {"input": {"applicationId": application_id, "cardRead": read}}, token=token
        )
        assert not answer.errors, answer.errors
        return answer.data["handOverResult"]

    someone_else = await hand_over(made["id"], other["person"], clerk.token)
    wrong_method = await hand_over(other["id"], other["person"], clerk.token)
    unknown = await hand_over(
        global_id("Application", clerk.account.id), made["person"], clerk.token
    )
    as_resident = await hand_over(made["id"], made["person"], made["program"].token)
    stranger = await officer(seeded, wechat, "11510104452424621J")  # works at no centre
    not_staff_here = await hand_over(made["id"], made["person"], stranger.token)
    untouched = await Delivery.get(application_id=_uuid(made["id"]))

    handed = await hand_over(made["id"], made["person"], clerk.token)
    twice = await hand_over(made["id"], made["person"], clerk.token)
    replay_read = await card_read(wechat, "collect-reader", person=made["person"])
    await seeded.gql(
        HAND_OVER,
        {"input": {"applicationId": made["id"], "cardRead": replay_read}},
        token=clerk.token,
    )
    replayed = await seeded.gql(
        HAND_OVER,
        {"input": {"applicationId": other["id"], "cardRead": replay_read}},
        token=clerk.token,
    )

    assert (someone_else["code"], someone_else["field"]) == ("NOT_THE_OWNER", "cardRead")
    assert someone_else["message"].startswith("持证人不是")
    assert (wrong_method["code"], wrong_method["field"]) == ("WRONG_METHOD", "applicationId")
    assert (unknown["code"], unknown["field"]) == ("NOT_FOUND", "applicationId")
    assert as_resident["code"] == "FORBIDDEN"
    assert not_staff_here["code"] == "FORBIDDEN"
    assert untouched.status is DeliveryStatus.READY
    assert untouched.collected_at is None

    assert handed["__typename"] == "Delivery", handed
    assert handed["status"] == "COLLECTED"
    assert handed["collectedAt"]
    assert [e["status"] for e in handed["events"]] == ["READY", "COLLECTED"]
    row = await Delivery.get(application_id=_uuid(made["id"]))
    assert row.collected_by_id == clerk.account.id
    assert row.collected_window_id == window.id
    assert twice["code"] == "ALREADY_COLLECTED"
    assert replayed.data["handOverResult"]["code"] in ("REPLAYED_READ", "WRONG_METHOD")
    audit = await AuditEvent.filter(action="RESULT_HANDED_OVER", success=True)
    assert len(audit) == 1
    assert window.id.hex in audit[0].detail
    assert made["person"]["idNumber"] not in str([a.detail for a in await AuditEvent.all()])
    notices = await _notices()
    assert len(notices) == 1
    seen = await seeded.gql.data(
        "query($id: ID!) { delivery(applicationId: $id) { status } }",
        {"id": made["id"]},
        token=made["program"].token,
    )
    assert seen["delivery"]["status"] == "COLLECTED"


async def test_a_pickup_code_works_once_and_wrong_codes_are_limited_per_terminal(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    made = await _completed(seeded, wechat, "code-collector", "TERMINAL")
    code = made["code"]
    first_terminal = await _terminal(seeded, wechat, "pickup-1")
    second_terminal = await _terminal(seeded, wechat, "pickup-2")
    wrong = "0" * 8 if code != "0" * 8 else "1" * 8

    async def collect(pickup: str, token: str | None) -> Any:
        answer = await seeded.gql(COLLECT, {"input": {"pickupCode": pickup}}, token=token)
        assert not answer.errors, answer.errors
        return answer.data["collectResultAtTerminal"]

    malformed = await collect("12ab", first_terminal)
    from_a_phone = await collect(code, made["program"].token)
    wrongs = [await collect(wrong, first_terminal) for _ in range(5)]
    locked = await collect(code, first_terminal)
    still_ready = await Delivery.get(application_id=_uuid(made["id"]))

    taken = await collect(code, second_terminal)
    again = await collect(code, second_terminal)

    assert (malformed["code"], malformed["field"]) == ("INVALID_INPUT", "pickupCode")
    assert from_a_phone["code"] == "FORBIDDEN"
    assert [w["code"] for w in wrongs] == ["WRONG_CODE"] * 5
    assert wrongs[0]["message"] == "取件码不正确。"
    assert (locked["code"], locked["field"]) == ("TOO_MANY_ATTEMPTS", "pickupCode")
    assert still_ready.status is DeliveryStatus.READY
    assert taken["__typename"] == "Delivery", taken
    assert taken["status"] == "COLLECTED"
    assert again["code"] == "WRONG_CODE"  # a code works once
    row = await Delivery.get(application_id=_uuid(made["id"]))
    assert row.pickup_code_hash is None
    assert row.collected_terminal_id is not None
    assert len(await _notices()) == 1
    assert code not in str([a.detail for a in await AuditEvent.all()])


def _uuid(value: str) -> Any:
    from resolvers.ids import node_uuid

    return node_uuid(value, "Application")
