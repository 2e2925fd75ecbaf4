"""verifyIdentity: GB 11643 checks, one verified person per account, sealed storage."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from tortoise import connections

from mock_wechat.client import MiniProgram
from storage.models.accounts import Account
from tests.conftest import RunningApp

# GB 11643's published example numbers: structurally valid, nobody's real identity.
VALID_ID = "11010519491231002X"
OTHER_VALID_ID = "510104199001011230"


async def signed_in(running: RunningApp, wechat: httpx.AsyncClient, user: str = "a") -> MiniProgram:
    program = MiniProgram(running.client, wechat, user)
    await program.login()
    return program


async def test_verification_seals_the_identity_and_shows_it_masked(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)

    result = await program.verify_identity("张三", VALID_ID.lower())

    assert result == {
        "__typename": "Account",
        "id": result["id"],
        "realNameVerified": True,
        "nameMasked": "张*",
        "idNumberMasked": "1101**********002X",
    }
    rows = await connections.get("default").execute_query_dict("SELECT * FROM account")
    dumped = repr(rows)
    assert VALID_ID not in dumped
    assert "张三" not in dumped


@pytest.mark.parametrize(
    ("name", "id_number", "field"),
    [
        ("张三", "110105194912310021", "idNumber"),  # wrong check character
        ("张三", "11010519491331002X", "idNumber"),  # 13th month
        ("张三", "110105210012310024", "idNumber"),  # born in 2100
        ("张三", "99010519491231002X", "idNumber"),  # no such region
        ("张三", "1101051949123", "idNumber"),
        ("张三", "1" * 100, "idNumber"),
        ("Z", VALID_ID, "name"),
        ("张三3", VALID_ID, "name"),
        ("", VALID_ID, "name"),
        ("张" * 40, VALID_ID, "name"),
    ],
)
async def test_invalid_identities_are_refused_by_field(
    running: RunningApp, wechat: httpx.AsyncClient, name: str, id_number: str, field: str
) -> None:
    program = await signed_in(running, wechat)

    result = await program.verify_identity(name, id_number)

    assert result["__typename"] == "VerifyIdentityError"
    assert result["code"] in ("INVALID_ID_NUMBER", "INVALID_NAME")
    assert result["field"] == field
    assert (await Account.get()).identity_verified_at is None


async def test_names_with_a_middle_dot_are_accepted(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)

    result = await program.verify_identity("阿依古丽·买买提", VALID_ID)

    assert result["nameMasked"] == "阿" + "*" * 7


async def test_one_identity_one_account(running: RunningApp, wechat: httpx.AsyncClient) -> None:
    first = await signed_in(running, wechat, "a")
    await first.verify_identity("张三", VALID_ID)
    second = await signed_in(running, wechat, "b")

    result = await second.verify_identity("张三", VALID_ID)

    assert result["code"] == "ID_NUMBER_IN_USE"
    assert await Account.filter(id_number_index__isnull=False).count() == 1


async def test_verifying_again_with_the_same_identity_is_harmless(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    await program.verify_identity("张三", VALID_ID)

    again = await program.verify_identity("张三", VALID_ID)
    other = await program.verify_identity("李四", OTHER_VALID_ID)

    assert again["__typename"] == "Account"
    assert other["code"] == "IDENTITY_ALREADY_VERIFIED"


async def test_two_accounts_racing_for_one_identity_leave_one_winner(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    programs = [await signed_in(running, wechat, user) for user in ("a", "b", "c", "d")]

    results = await asyncio.gather(*(p.verify_identity("张三", VALID_ID) for p in programs))

    assert sorted(r["__typename"] for r in results) == ["Account"] + ["VerifyIdentityError"] * 3
    assert {r.get("code") for r in results} == {None, "ID_NUMBER_IN_USE"}
    assert await Account.filter(id_number_index__isnull=False).count() == 1


async def test_probing_identities_is_limited(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await signed_in(running, wechat, "owner")
    await owner.verify_identity("张三", VALID_ID)
    prober = await signed_in(running, wechat, "prober")

    results = [await prober.verify_identity("张三", VALID_ID) for _ in range(6)]

    assert [r["code"] for r in results] == ["ID_NUMBER_IN_USE"] * 5 + ["RATE_LIMITED"]


async def test_signed_out_callers_cannot_verify(running: RunningApp) -> None:
    result = await running.gql.data(
        'mutation { verifyIdentity(input: {name: "张三", idNumber: "11010519491231002X"}) '
        "{ ... on VerifyIdentityError { code } } }"
    )

    assert result["verifyIdentity"]["code"] == "UNAUTHENTICATED"
