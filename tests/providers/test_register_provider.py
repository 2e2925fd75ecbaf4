"""registerProvider: a resident registers an organisation and becomes its first member."""

from __future__ import annotations

import asyncio

import httpx

from storage.models.providers import Provider, ProviderMember, ProviderStatus
from tests.conftest import RunningApp
from tests.providers.conftest import (
    REGISTER,
    REVIEW_PROVIDER,
    credit_code,
    register,
    resident,
    staff_login,
)


def _input(code: str, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "name": "成都示例家政服务有限公司",
        "creditCode": code,
        "contact": {"name": "王五", "phone": "13912345678"},
    }
    values.update(overrides)
    return {"input": values}


async def test_a_resident_registers_a_pending_provider_and_is_its_first_member(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    code = credit_code()

    result = (await seeded.gql.data(REGISTER, _input(code.lower()), token=program.token))[
        "registerProvider"
    ]
    mine = await seeded.gql.data("{ myProviders { id status } me { roles } }", token=program.token)

    assert result["__typename"] == "Provider"
    assert result["status"] == "PENDING"
    assert result["creditCode"] == code  # normalised to upper case
    assert result["contactNameMasked"] == "王*"
    assert result["contactPhoneMasked"] == "139****5678"
    assert result["members"][0]["owner"] is True
    assert mine["myProviders"] == [{"id": result["id"], "status": "PENDING"}]
    assert "PROVIDER" not in mine["me"]["roles"]  # not before approval
    row = await Provider.get(credit_code=code)
    assert "13912345678" not in row.contact_phone_sealed  # sealed, not in the clear
    assert row.contact_name_sealed != "王五"
    assert await ProviderMember.filter(provider_id=row.id).count() == 1


async def test_bad_input_is_refused_with_the_field_and_writes_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    good = credit_code()
    cases = [
        (
            _input(good[:-1] + ("0" if good[-1] != "0" else "1")),
            "INVALID_CREDIT_CODE",
            "creditCode",
        ),
        (_input("123"), "INVALID_CREDIT_CODE", "creditCode"),
        (_input(good, name="A"), "INVALID_NAME", "name"),
        (
            _input(good, contact={"name": "x1", "phone": "13912345678"}),
            "INVALID_CONTACT_NAME",
            "contact.name",
        ),
        (
            _input(good, contact={"name": "王五", "phone": "12345"}),
            "INVALID_PHONE",
            "contact.phone",
        ),
    ]
    for variables, code, field in cases:
        result = (await seeded.gql.data(REGISTER, variables, token=program.token))[
            "registerProvider"
        ]
        assert (result["__typename"], result["code"], result["field"]) == (
            "RegisterProviderError",
            code,
            field,
        ), variables
        assert result["message"]
    assert await Provider.all().count() == 0


async def test_a_credit_code_is_registered_once_even_when_two_race(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    first = await resident(seeded, wechat, "first")
    second = await resident(seeded, wechat, "second")
    code = credit_code()

    results = await asyncio.gather(
        seeded.gql.data(REGISTER, _input(code), token=first.token),
        seeded.gql.data(REGISTER, _input(code), token=second.token),
    )
    again = await seeded.gql.data(REGISTER, _input(code), token=second.token)

    kinds = sorted(r["registerProvider"]["__typename"] for r in results)
    assert kinds == ["Provider", "RegisterProviderError"]
    assert again["registerProvider"]["code"] == "CREDIT_CODE_TAKEN"
    assert await Provider.filter(credit_code=code).count() == 1
    assert await ProviderMember.all().count() == 1


async def test_staff_and_anonymous_callers_cannot_register(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    admin = await staff_login(seeded)

    by_staff = await seeded.gql.data(REGISTER, _input(credit_code()), token=admin)
    anonymous = await seeded.gql(REGISTER, _input(credit_code()))

    assert by_staff["registerProvider"]["code"] == "FORBIDDEN"
    assert anonymous.data["registerProvider"]["code"] == "UNAUTHENTICATED"
    assert await Provider.all().count() == 0


async def test_a_rejected_registrant_corrects_and_registers_again(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    registered = await register(seeded, program)
    admin = await staff_login(seeded)
    rejected = await seeded.gql.data(
        REVIEW_PROVIDER,
        {
            "input": {
                "providerId": registered["id"],
                "decision": "REJECT",
                "reason": "名称与执照不符",
            }
        },
        token=admin,
    )
    seen = await seeded.gql.data(
        "query($id: ID!) { node(id: $id) { ... on Provider { status reviewReason } } }",
        {"id": registered["id"]},
        token=program.token,
    )

    again = await seeded.gql.data(
        REGISTER,
        _input(registered["creditCode"], name="成都示例家政服务有限责任公司"),
        token=program.token,
    )

    assert rejected["reviewProvider"]["status"] == "REJECTED"
    assert seen["node"] == {"status": "REJECTED", "reviewReason": "名称与执照不符"}
    assert again["registerProvider"]["id"] == registered["id"]
    assert again["registerProvider"]["status"] == "PENDING"
    assert again["registerProvider"]["name"] == "成都示例家政服务有限责任公司"
    assert (await Provider.get(id=_uuid(registered["id"]))).status is ProviderStatus.PENDING


def _uuid(global_id: str) -> str:
    from schema.ids import node_uuid

    found = node_uuid(global_id, "Provider")
    assert found is not None
    return str(found)
