"""A resident signed in at a self-service terminal submits for themself: the application
records the TERMINAL channel and the terminal, whatever channel the client names, for items
offered on terminals only; online and at a window the channel stays as it was."""

from __future__ import annotations

from typing import Any

import httpx

from storage.models.applications import Application
from storage.models.catalogue import Implementation, PublicationStatus, Terminal
from tests.applications.conftest import HYGIENE, hygiene_documents, submit
from tests.conftest import RunningApp
from tests.window.conftest import card_read, resident
from tests.window.test_terminal import _face, _sign_in, _terminal

CHANNEL = "query($id: ID!) { application(id: $id) { channel } }"


async def _offered_on_terminals(offered: bool) -> None:
    for row in await Implementation.filter(
        base__basic_code=HYGIENE[0], status=PublicationStatus.PUBLISHED
    ):
        channels = [c for c in row.channels if c != "TERMINAL"]
        row.channels = [*channels, "TERMINAL"] if offered else channels
        await row.save(update_fields=["channels"])


async def _at_terminal(running: RunningApp, wechat: httpx.AsyncClient, serial: str) -> Any:
    device_token = await _terminal(running, wechat, serial)
    person = await resident(running, wechat, f"{serial}-resident")
    card = await card_read(wechat, serial, person=person.person)
    face = await _face(wechat, serial, f"{serial}-resident", person.id_number)
    session = await _sign_in(running, device_token, card, face)
    assert session["__typename"] == "Session", session
    return person, session["token"]


async def test_a_submission_at_a_terminal_records_the_terminal_channel(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await _offered_on_terminals(True)
    person, token = await _at_terminal(seeded, wechat, "channel-1")
    documents = await hygiene_documents(person.program)
    at_terminal = person.program.__class__(
        seeded.client, wechat, "channel-1-resident", uploads=seeded.client
    )
    at_terminal.token = token

    submitted = await submit(seeded, at_terminal, documentIds=documents, channel="MINI_PROGRAM")
    online = await submit(seeded, person.program)

    assert submitted["__typename"] == "Application", submitted
    assert submitted["channel"] == "TERMINAL"
    row = await Application.get(number=submitted["number"])
    terminal = await Terminal.get(code="T-channel-1")
    assert row.terminal_id == terminal.id
    assert online["channel"] == "MINI_PROGRAM"
    assert (await Application.get(number=online["number"])).terminal_id is None
    # The resident reads the channel on their application from their phone too.
    seen = await seeded.gql.data(CHANNEL, {"id": submitted["id"]}, token=person.program.token)
    assert seen["application"]["channel"] == "TERMINAL"


async def test_an_item_not_offered_on_terminals_is_refused_there(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await _offered_on_terminals(False)
    person, token = await _at_terminal(seeded, wechat, "channel-2")
    documents = await hygiene_documents(person.program)
    at_terminal = person.program.__class__(
        seeded.client, wechat, "channel-2-resident", uploads=seeded.client
    )
    at_terminal.token = token
    before = await Application.all().count()

    refused = await submit(seeded, at_terminal, documentIds=documents, channel="TERMINAL")
    claimed = await submit(seeded, person.program, channel="TERMINAL")

    assert (refused["code"], refused["field"]) == ("CHANNEL_NOT_ALLOWED", "serviceCode")
    assert refused["message"] == "该渠道不能提交此申请。"
    # Online, TERMINAL cannot be claimed: it comes from the terminal's session only.
    assert (claimed["code"], claimed["field"]) == ("CHANNEL_NOT_ALLOWED", "channel")
    assert await Application.all().count() == before
