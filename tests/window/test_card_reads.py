"""Card reads are trusted only from a registered, active device of the caller's centre,
with a signature of its own key, a fresh timestamp and a nonce never used; a refused caller
spends nothing. Devices are registered by the centre's managers."""

from __future__ import annotations

import json
from typing import Any

import httpx

from resolvers.ids import global_id
from storage.models.hall import CentreStaffRole
from storage.models.window import OnBehalfSubmission
from tests.conftest import RunningApp
from tests.window.conftest import (
    JINJIANG_CENTRE,
    JINJIANG_MARKET,
    JINJIANG_POLICE,
    QINGYANG_CENTRE,
    QINGYANG_MARKET,
    REGISTER,
    card_read,
    centre,
    officer,
    public_key,
    register_reader,
    resident,
    submit_on_behalf,
    window_of,
    works_at,
)

RETIRE = """
mutation($input: RetireDeviceInput!) { retireDevice(input: $input) {
  __typename ... on Device { status retiredAt } ... on RetireDeviceError { code field } } }
"""


async def _desk(running: RunningApp, wechat: httpx.AsyncClient, serial: str) -> Any:
    manager = await officer(running, wechat, JINJIANG_POLICE)
    clerk = await officer(running, wechat, JINJIANG_MARKET)
    found = await works_at(manager, JINJIANG_CENTRE, CentreStaffRole.MANAGER)
    await works_at(clerk, JINJIANG_CENTRE)
    device = await register_reader(running, wechat, manager, found, serial)
    assert device["__typename"] == "Device", device
    return manager, clerk, found, device


async def test_forged_replayed_stale_and_unknown_reads_are_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, clerk, _, _ = await _desk(seeded, wechat, "reader-sec-1")
    person = await resident(seeded, wechat, "window-sec")

    # Another person's details under this read's signature: the signature no longer holds.
    read = await card_read(wechat, "reader-sec-1", person=person.person)
    body = json.loads(read["payload"])
    body["idNumber"] = "11010519491231002X"
    forged = {"payload": json.dumps(body, ensure_ascii=False), "signature": read["signature"]}
    answer = await submit_on_behalf(seeded, clerk, forged)
    assert (answer["code"], answer["field"]) == ("BAD_SIGNATURE", "cardRead")

    # A device that signs with a key other than the registered one.
    await wechat.post("/__mock__/card-reader/key", json={"deviceId": "impostor"})
    other = await card_read(wechat, "impostor", person=person.person)
    swapped = {"payload": read["payload"], "signature": other["signature"]}
    assert (await submit_on_behalf(seeded, clerk, swapped))["code"] == "BAD_SIGNATURE"

    # An unregistered device.
    assert (await submit_on_behalf(seeded, clerk, other))["code"] == "UNKNOWN_DEVICE"

    # An old read.
    stale = await card_read(wechat, "reader-sec-1", person=person.person, age=3600)
    assert (await submit_on_behalf(seeded, clerk, stale))["code"] == "STALE_READ"

    # The same read twice: the second is a replay.
    first = await submit_on_behalf(seeded, clerk, read, scanIds=[])
    assert first["code"] == "MATERIAL_MISSING", first  # trusted, then the guide's rules
    replay = await submit_on_behalf(seeded, clerk, read)
    assert replay["code"] == "REPLAYED_READ"

    # Not a read at all.
    garbage = {"payload": "not json", "signature": "AAAA"}
    assert (await submit_on_behalf(seeded, clerk, garbage))["code"] == "INVALID_INPUT"
    expired = await card_read(
        wechat,
        "reader-sec-1",
        person={**person.person, "validFrom": "2000-01-01", "validUntil": "2010-01-01"},
    )
    assert (await submit_on_behalf(seeded, clerk, expired))["code"] == "CARD_EXPIRED"
    assert await OnBehalfSubmission.all().count() == 0


async def test_a_retired_reader_is_not_trusted(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    manager, clerk, _, device = await _desk(seeded, wechat, "reader-old-1")
    person = await resident(seeded, wechat, "window-old")
    refused = await seeded.gql.data(
        RETIRE, {"input": {"deviceId": device["id"]}}, token=clerk.token
    )
    # A clerk, not a manager: the device is not theirs to see.
    assert refused["retireDevice"]["code"] == "NOT_FOUND"
    retired = await seeded.gql.data(
        RETIRE, {"input": {"deviceId": device["id"]}}, token=manager.token
    )
    assert retired["retireDevice"]["status"] == "RETIRED"
    again = await seeded.gql.data(
        RETIRE, {"input": {"deviceId": device["id"]}}, token=manager.token
    )
    assert again["retireDevice"]["code"] == "ALREADY_RETIRED"
    read = await card_read(wechat, "reader-old-1", person=person.person)
    assert (await submit_on_behalf(seeded, clerk, read))["code"] == "DEVICE_RETIRED"


async def test_staff_of_another_centre_and_residents_are_refused_without_spending_the_read(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, clerk, _, _ = await _desk(seeded, wechat, "reader-who-1")
    stranger = await officer(seeded, wechat, QINGYANG_MARKET)
    await works_at(stranger, QINGYANG_CENTRE)
    person = await resident(seeded, wechat, "window-who")
    read = await card_read(wechat, "reader-who-1", person=person.person)

    elsewhere = await submit_on_behalf(seeded, stranger, read)
    assert elsewhere["code"] == "FORBIDDEN", elsewhere
    answer = await seeded.gql(
        "mutation($input: SubmitApplicationOnBehalfInput!) { submitApplicationOnBehalf("
        "input: $input) { ... on SubmitApplicationOnBehalfError { code } } }",
        {"input": {"cardRead": read, "serviceCode": "x"}},
        token=person.program.token,
    )
    assert answer.data["submitApplicationOnBehalf"]["code"] == "FORBIDDEN"
    anonymous = await seeded.gql(
        "mutation($input: SubmitApplicationOnBehalfInput!) { submitApplicationOnBehalf("
        "input: $input) { ... on SubmitApplicationOnBehalfError { code } } }",
        {"input": {"cardRead": read, "serviceCode": "x"}},
    )
    assert anonymous.data["submitApplicationOnBehalf"]["code"] == "UNAUTHENTICATED"
    # The refused calls spent nothing: the clerk of the reader's centre can still use it.
    answer2 = await submit_on_behalf(seeded, clerk, read)
    assert answer2["code"] == "MATERIAL_MISSING", answer2


async def test_bad_input_to_a_submission_changes_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, clerk, _, _ = await _desk(seeded, wechat, "reader-bad-1")
    person = await resident(seeded, wechat, "window-bad")

    async def attempt(**values: Any) -> Any:
        read = await card_read(wechat, "reader-bad-1", person=person.person)
        return await submit_on_behalf(seeded, clerk, read, **values)

    unknown = await attempt(serviceCode="99999999999999")
    assert (unknown["code"], unknown["field"]) == ("SERVICE_NOT_FOUND", "serviceCode")
    # A 青羊 item that is not citywide is not taken at the 锦江 centre.
    elsewhere = await attempt(regionCode="510105")
    assert (elsewhere["code"], elsewhere["field"]) == ("NOT_HANDLED_HERE", "serviceCode")
    # The resident's own upload is not one of the officer's scans.
    theirs = await person.program.upload_document(
        "OTHER", "a.pdf", "application/pdf", b"%PDF-1.7\n" + b" " * 64 + b"%%EOF\n"
    )
    document_id = theirs["confirm"]["id"]
    not_mine = await attempt(scanIds=[document_id])
    assert (not_mine["code"], not_mine["field"]) == ("DOCUMENT_NOT_FOUND", "scanIds[0]")
    missing = await attempt(scanIds=[])
    assert missing["code"] == "MATERIAL_MISSING"
    assert missing["fields"], missing
    assert await OnBehalfSubmission.all().count() == 0


async def test_registering_devices(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    manager = await officer(seeded, wechat, JINJIANG_POLICE)
    clerk = await officer(seeded, wechat, JINJIANG_MARKET)
    found = await works_at(manager, JINJIANG_CENTRE, CentreStaffRole.MANAGER)
    await works_at(clerk, JINJIANG_CENTRE)
    other_window = await window_of(await centre(QINGYANG_CENTRE))

    async def register(token: str, **values: Any) -> Any:
        variables = {
            "kind": "CARD_READER",
            "serial": "reader-reg-1",
            "name": "读卡器",
            "publicKey": await public_key(wechat, "reader-reg-1"),
            "centreId": global_id("ServiceCentre", found.id),
            **values,
        }
        answer = await seeded.gql.data(REGISTER, {"input": variables}, token=token)
        return answer["registerDevice"]

    assert (await register(clerk.token))["code"] == "FORBIDDEN"
    assert (await register(manager.token, publicKey="short"))["code"] == "INVALID_PUBLIC_KEY"
    assert (await register(manager.token, name=" "))["code"] == "INVALID_INPUT"
    unknown_centre = await register(
        manager.token, centreId=global_id("ServiceCentre", other_window.id)
    )
    assert unknown_centre["code"] == "CENTRE_NOT_FOUND"
    foreign_window = await register(
        manager.token, windowId=global_id("HallWindow", other_window.id)
    )
    assert (foreign_window["code"], foreign_window["field"]) == ("WINDOW_NOT_FOUND", "windowId")
    made = await register(manager.token)
    assert made["__typename"] == "Device", made
    assert made["status"] == "ACTIVE"
    taken = await register(manager.token)
    assert taken["code"] == "SERIAL_TAKEN"


async def test_a_signed_read_of_a_number_that_is_not_one_is_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, clerk, _, _ = await _desk(seeded, wechat, "reader-odd-1")
    read = await card_read(
        wechat, "reader-odd-1", person={"name": "张三", "idNumber": "110105199001011234"}
    )
    answer = await submit_on_behalf(seeded, clerk, read)
    assert (answer["code"], answer["field"]) == ("INVALID_CARD", "cardRead")
    assert await OnBehalfSubmission.all().count() == 0


async def test_a_terminals_reader_is_registered_by_its_regions_staff(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from storage.models.catalogue import Region, Terminal

    terminal = await Terminal.filter(community__code__startswith="510104").first()
    assert terminal is not None
    community = await Region.get(id=terminal.community_id)
    assert community.code.startswith("510104")
    local = await officer(seeded, wechat, JINJIANG_POLICE)  # an officer of 锦江
    elsewhere = await officer(seeded, wechat, QINGYANG_MARKET)  # of 青羊

    async def register(token: str, **values: Any) -> Any:
        variables = {
            "kind": "TERMINAL",
            "serial": "terminal-reader-1",
            "name": "终端读卡器",
            "publicKey": await public_key(wechat, "terminal-reader-1"),
            "terminalCode": terminal.code,
            **values,
        }
        answer = await seeded.gql.data(REGISTER, {"input": variables}, token=token)
        return answer["registerDevice"]

    assert (await register(elsewhere.token))["code"] == "FORBIDDEN"
    assert (await register(local.token, terminalCode="nope"))["code"] == "TERMINAL_NOT_FOUND"
    assert (await register(local.token, centreId="x"))["code"] == "CENTRE_NOT_FOUND"
    made = await register(local.token)
    assert made["kind"] == "TERMINAL", made
