"""appeal(id) and node(id): the owner, the department it is with and the 12345 centre read
it; nobody else learns it exists. Reporter privacy: handlers see a masked reporter for 举报,
a clear one (logged) otherwise; personal data is sealed at rest and kept out of the logs."""

from __future__ import annotations

import logging

import httpx
import pytest
from strawberry import relay
from tortoise import connections

from storage.models.accounts import AuditEvent
from tests.appeals.conftest import (
    CENTRE,
    DETAIL,
    URBAN,
    WATER,
    admin_token,
    file,
    resident,
    staff_token,
)
from tests.conftest import RunningApp
from tests.identity import id_number

NODE = "query($id: ID!) { node(id: $id) { __typename ... on Appeal { number } } }"
REPORTER = "query($id: ID!) { appeal(id: $id) { reporter { protected nameMasked phoneMasked name phone } } }"
REPORTER_MASKED = (
    "query($id: ID!) { appeal(id: $id) { reporter { protected nameMasked phoneMasked } } }"
)


async def _verified(seeded: RunningApp, wechat: httpx.AsyncClient, user: str):
    program = await resident(seeded, wechat, user)
    await program.bind_phone("13800138000")
    await program.verify_identity("王小明", id_number())
    return program


async def test_who_reads_an_appeal(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    owner, stranger = await resident(seeded, wechat, "a"), await resident(seeded, wechat, "b")
    appeal = await file(seeded, owner)
    tokens = {
        "owner": owner.token,
        "stranger": stranger.token,
        "handler": await staff_token(seeded, URBAN),
        "other department": await staff_token(seeded, WATER),
        "centre": await staff_token(seeded, CENTRE),
        "admin": await admin_token(seeded),
        "anonymous": None,
    }
    as_application = relay.to_base64("Application", relay.from_base64(appeal["id"])[1])

    seen = {}
    for who, token in tokens.items():
        direct = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=token)
        node = await seeded.gql.data(NODE, {"id": appeal["id"]}, token=token)
        seen[who] = (direct["appeal"] is not None, node["node"] is not None)
    wrong_type = await seeded.gql.data(NODE, {"id": as_application}, token=owner.token)

    assert seen == {
        "owner": (True, True),
        "stranger": (False, False),
        "handler": (True, True),
        "other department": (False, False),
        "centre": (True, True),
        "admin": (True, True),
        "anonymous": (False, False),
    }
    assert wrong_type["node"] is None


async def test_handlers_see_the_reporter_and_each_clear_read_is_logged(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await _verified(seeded, wechat, "a")
    appeal = await file(seeded, program)
    urban = await staff_token(seeded, URBAN)

    seen = await seeded.gql.data(REPORTER, {"id": appeal["id"]}, token=urban)
    by_owner = await seeded.gql.data(REPORTER, {"id": appeal["id"]}, token=program.token)

    assert seen["appeal"]["reporter"] == {
        "protected": False,
        "nameMasked": "王**",
        "phoneMasked": "138****8000",
        "name": "王小明",
        "phone": "+8613800138000",
    }
    assert by_owner["appeal"]["reporter"] is None
    logged = await AuditEvent.filter(action="appeal.reporter_read").count()
    assert logged == 2  # the name and the phone
    masked_only = await seeded.gql.data(REPORTER_MASKED, {"id": appeal["id"]}, token=urban)
    assert masked_only["appeal"]["reporter"]["protected"] is False
    assert await AuditEvent.filter(action="appeal.reporter_read").count() == 2


async def test_a_reporter_of_a_report_is_masked_for_every_handler(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await _verified(seeded, wechat, "a")
    report = await file(seeded, program, kind="REPORT", content="春熙路某餐馆长期无证经营。")

    seen = {}
    for code in (URBAN, CENTRE):
        found = await seeded.gql.data(
            REPORTER, {"id": report["id"]}, token=await staff_token(seeded, code)
        )
        seen[code] = found["appeal"]["reporter"]

    for reporter in seen.values():
        assert reporter == {
            "protected": True,
            "nameMasked": "王**",
            "phoneMasked": "138****8000",
            "name": None,
            "phone": None,
        }
    assert await AuditEvent.filter(action="appeal.reporter_read").count() == 0


async def test_personal_data_is_sealed_at_rest_and_never_logged(
    seeded: RunningApp, wechat: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    program = await resident(seeded, wechat, "a")
    caplog.set_level(logging.DEBUG)
    secret_text = "我住在春熙路88号3单元502室，楼下摊贩每晚占道。"
    address = "春熙路88号3单元"

    await file(seeded, program, content=secret_text, address=address)
    rows = await connections.get("default").execute_query_dict("SELECT * FROM appeal")
    events = await connections.get("default").execute_query_dict("SELECT * FROM appeal_event")

    dumped = repr(rows) + repr(events)
    assert "春熙路88号" not in dumped
    assert "摊贩" not in dumped  # neither the text nor its keywords are stored in the clear
    assert rows[0]["content_sealed"]
    assert rows[0]["keywords_sealed"]
    assert "春熙路88号" not in caplog.text
