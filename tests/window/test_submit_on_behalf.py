"""一窗受理: window staff submit for a present resident, identified by a signed card read;
nothing is submitted until the resident consents by the code sent to their phone or by a
signature on the device; every step is audited with the window and the officer."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from storage.models.accounts import Account, AuditEvent
from storage.models.applications import Application
from storage.models.documents import Document, TrustLevel
from storage.models.hall import CentreStaffRole
from storage.models.window import OnBehalfSubmission
from tests.conftest import RunningApp
from tests.window.conftest import (
    JINJIANG_CENTRE,
    JINJIANG_MARKET,
    JINJIANG_POLICE,
    Officer,
    Resident,
    card_read,
    confirm,
    consent_signature,
    officer,
    register_reader,
    resident,
    scan,
    sms_code,
    submit_on_behalf,
    window_of,
    works_at,
)

MY_APPLICATIONS = "{ myApplications { edges { node { id channel } } } }"


async def _desk(running: RunningApp, wechat: httpx.AsyncClient, serial: str) -> dict[str, Any]:
    """A centre with a manager, a clerk at window 1 and a registered reader on its desk."""
    manager = await officer(running, wechat, JINJIANG_POLICE)
    clerk = await officer(running, wechat, JINJIANG_MARKET)
    found = await works_at(manager, JINJIANG_CENTRE, CentreStaffRole.MANAGER)
    await works_at(clerk, JINJIANG_CENTRE)
    window = await window_of(found)
    device = await register_reader(running, wechat, manager, found, serial, window)
    assert device["__typename"] == "Device", device
    return {"manager": manager, "clerk": clerk, "centre": found, "window": window}


async def _scans(clerk: Officer) -> list[str]:
    return [await scan(clerk, "ID_CARD_FRONT"), await scan(clerk, "OTHER")]


async def _applications(running: RunningApp, person: Resident) -> list[dict[str, Any]]:
    data = await running.gql.data(MY_APPLICATIONS, token=person.program.token)
    return [e["node"] for e in data["myApplications"]["edges"]]


async def test_consent_by_code_submits_as_the_resident_with_checked_scans(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    desk = await _desk(seeded, wechat, "reader-code-1")
    clerk: Officer = desk["clerk"]
    person = await resident(seeded, wechat, "window-code")
    scans = await _scans(clerk)
    read = await card_read(wechat, "reader-code-1", person=person.person)

    pending = await submit_on_behalf(seeded, clerk, read, scanIds=scans)
    assert pending["__typename"] == "OnBehalfSubmission", pending
    assert pending["status"] == "PENDING"
    assert pending["residentNameMasked"] == "张*"
    assert (
        pending["residentIdNumberMasked"] == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    )
    assert pending["residentPhoneMasked"] == person.phone[:3] + "****" + person.phone[-4:]
    # Before consent: nothing is the resident's yet.
    assert await _applications(seeded, person) == []
    owner = await Account.get(
        id_number_index__isnull=False, phone_masked=pending["residentPhoneMasked"]
    )
    assert await Document.filter(owner_id=owner.id, trust_level=TrustLevel.B).count() == 0

    code = await sms_code(wechat, person.phone)
    application = await confirm(seeded, clerk, pending["id"], code=code)
    assert application["__typename"] == "Application", application
    assert application["status"] == "SUBMITTED"
    assert application["channel"] == "SERVICE_HALL"
    assert application["service"]["code"].startswith(HYGIENE_PREFIX)
    assert sorted(d["kind"] for d in application["documents"]) == ["ID_CARD_FRONT", "OTHER"]
    assert {d["trustLevel"] for d in application["documents"]} == {"B"}
    assert [e["type"] for e in application["events"]] == ["SUBMITTED"]

    mine = await _applications(seeded, person)
    assert [a["id"] for a in mine] == [application["id"]]
    row = await Application.get(number=application["number"])
    assert row.owner_id == owner.id
    assert row.window_staff_id == clerk.account.id
    moved = await Document.filter(owner_id=owner.id, trust_level=TrustLevel.B)
    assert len(moved) == 2
    assert {d.verified_by_id for d in moved} == {clerk.account.id}

    audit = await AuditEvent.filter(actor_id=clerk.account.id).order_by("at")
    actions = [a.action for a in audit if a.action.startswith("ON_BEHALF")]
    assert actions == ["ON_BEHALF_PREPARED", "ON_BEHALF_CONFIRMED"]
    window_id = desk["window"].id.hex
    assert all(window_id in a.detail for a in audit if a.action.startswith("ON_BEHALF"))
    # The audit trail holds ids only, never the resident's number or phone.
    assert not any(person.id_number in a.detail or person.phone in a.detail for a in audit)

    # A code is worth one submission.
    again = await confirm(seeded, clerk, pending["id"], code=code)
    assert again["code"] == "ALREADY_CONFIRMED"
    assert len(await _applications(seeded, person)) == 1


HYGIENE_PREFIX = "51000100020000"


async def test_consent_signed_on_the_device(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    desk = await _desk(seeded, wechat, "reader-sign-1")
    clerk: Officer = desk["clerk"]
    person = await resident(seeded, wechat, "window-sign")
    read = await card_read(wechat, "reader-sign-1", person=person.person)
    pending = await submit_on_behalf(
        seeded, clerk, read, scanIds=await _scans(clerk), consent="DEVICE_SIGNATURE"
    )
    assert pending["consent"] == "DEVICE_SIGNATURE"
    submission_id = str((await OnBehalfSubmission.get()).id)
    # A consent naming another challenge (shown for another submission) is not this one's.
    forged = await consent_signature(wechat, "reader-sign-1", submission_id, "not-the-challenge")
    refused = await confirm(seeded, clerk, pending["id"], signature=forged)
    assert refused["code"] == "BAD_SIGNATURE"
    assert await Application.all().count() == 0

    signed = await consent_signature(wechat, "reader-sign-1", submission_id, pending["challenge"])
    application = await confirm(seeded, clerk, pending["id"], signature=signed)
    assert application["__typename"] == "Application", application
    assert (await OnBehalfSubmission.get()).consent.value == "DEVICE_SIGNATURE"
    # The signed consent cannot be sent again.
    replay = await confirm(seeded, clerk, pending["id"], signature=signed)
    assert replay["code"] in ("REPLAYED_READ", "ALREADY_CONFIRMED")


async def test_wrong_codes_submit_nothing_and_end_the_submission(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    desk = await _desk(seeded, wechat, "reader-wrong-1")
    clerk: Officer = desk["clerk"]
    person = await resident(seeded, wechat, "window-wrong")
    read = await card_read(wechat, "reader-wrong-1", person=person.person)
    pending = await submit_on_behalf(seeded, clerk, read, scanIds=await _scans(clerk))
    code = await sms_code(wechat, person.phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(seeded.settings.sms_code_max_attempts - 1):
        answer = await confirm(seeded, clerk, pending["id"], code=wrong)
        assert answer["code"] == "WRONG_CODE", answer
        assert answer["field"] == "code"
    last = await confirm(seeded, clerk, pending["id"], code=wrong)
    assert last["code"] == "CONSENT_EXPIRED"
    # Even the right code is too late now.
    late = await confirm(seeded, clerk, pending["id"], code=code)
    assert late["code"] == "CONSENT_EXPIRED"
    assert await Application.all().count() == 0
    assert await Document.filter(trust_level=TrustLevel.B).count() == 0


async def test_consent_past_its_time_is_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    desk = await _desk(seeded, wechat, "reader-late-1")
    clerk: Officer = desk["clerk"]
    person = await resident(seeded, wechat, "window-late")
    read = await card_read(wechat, "reader-late-1", person=person.person)
    pending = await submit_on_behalf(seeded, clerk, read, scanIds=await _scans(clerk))
    code = await sms_code(wechat, person.phone)
    row = await OnBehalfSubmission.get()
    row.expires_at = row.created_at
    await row.save(update_fields=["expires_at"])
    answer = await confirm(seeded, clerk, pending["id"], code=code)
    assert answer["code"] == "CONSENT_EXPIRED"
    assert await Application.all().count() == 0


async def test_two_confirmations_at_once_submit_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    desk = await _desk(seeded, wechat, "reader-race-1")
    clerk: Officer = desk["clerk"]
    person = await resident(seeded, wechat, "window-race")
    read = await card_read(wechat, "reader-race-1", person=person.person)
    pending = await submit_on_behalf(seeded, clerk, read, scanIds=await _scans(clerk))
    code = await sms_code(wechat, person.phone)
    answers = await asyncio.gather(
        *(confirm(seeded, clerk, pending["id"], code=code) for _ in range(5))
    )
    kinds = sorted(a["__typename"] for a in answers)
    assert kinds.count("Application") == 1, answers
    assert all(a.get("code") == "ALREADY_CONFIRMED" for a in answers if "code" in a)
    assert await Application.all().count() == 1


async def test_a_card_without_an_account_makes_a_verified_resident(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from tests.identity import id_number

    desk = await _desk(seeded, wechat, "reader-new-1")
    clerk: Officer = desk["clerk"]
    number = id_number()
    read = await card_read(wechat, "reader-new-1", person={"name": "李四", "idNumber": number})
    # No phone on file: the code cannot be sent, and nothing is kept (the read is spent).
    no_phone = await submit_on_behalf(seeded, clerk, read, scanIds=await _scans(clerk))
    assert no_phone["code"] == "NO_PHONE_ON_FILE", no_phone
    assert await OnBehalfSubmission.all().count() == 0
    created = await Account.get(id_number_masked=number[:4] + "*" * 10 + number[-4:])
    assert created.identity_verified_at is not None
    assert created.name_masked == "李*"

    again = await card_read(wechat, "reader-new-1", person={"name": "李四", "idNumber": number})
    pending = await submit_on_behalf(
        seeded, clerk, again, scanIds=await _scans(clerk), consent="DEVICE_SIGNATURE"
    )
    assert pending["__typename"] == "OnBehalfSubmission", pending
    signed = await consent_signature(
        wechat, "reader-new-1", str((await OnBehalfSubmission.get()).id), pending["challenge"]
    )
    application = await confirm(seeded, clerk, pending["id"], signature=signed)
    assert application["__typename"] == "Application", application
    assert (await Application.get()).owner_id == created.id
    assert await Account.filter(id_number_masked=created.id_number_masked).count() == 1
