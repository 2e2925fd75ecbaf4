"""signAppeal: the department takes the appeal on (签收); only its own department, once."""

from __future__ import annotations

import asyncio

import httpx

from tests.appeals.conftest import DETAIL, SIGN, URBAN, WATER, act, file, resident, staff_token
from tests.conftest import RunningApp


async def test_the_department_signs_for_its_appeal(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)
    urban = await staff_token(seeded, URBAN)

    signed = await act(seeded, SIGN, urban, appealId=appeal["id"])
    again = await act(seeded, SIGN, urban, appealId=appeal["id"])

    assert signed["status"] == "SIGNED"
    assert signed["signedAt"] is not None
    assert signed["events"][-1]["type"] == "SIGNED"
    assert again["code"] == "INVALID_STATE"


async def test_another_department_or_the_resident_cannot_sign(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)
    water = await staff_token(seeded, WATER)

    foreign = await act(seeded, SIGN, water, appealId=appeal["id"])
    by_owner = await seeded.gql(SIGN, {"input": {"appealId": appeal["id"]}}, token=program.token)
    unchanged = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=program.token)

    assert foreign["code"] == "NOT_FOUND"
    assert by_owner.data["signAppeal"]["code"] == "FORBIDDEN"
    assert unchanged["appeal"]["status"] == "DISPATCHED"


async def test_two_officers_signing_at_once_sign_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)
    first, second = await staff_token(seeded, URBAN), await staff_token(seeded, URBAN)

    results = await asyncio.gather(
        act(seeded, SIGN, first, appealId=appeal["id"]),
        act(seeded, SIGN, second, appealId=appeal["id"]),
    )

    assert sorted(r["__typename"] for r in results) == ["Appeal", "SignAppealError"]
    final = await seeded.gql.data(DETAIL, {"id": appeal["id"]}, token=first)
    assert [e["type"] for e in final["appeal"]["events"]].count("SIGNED") == 1
