"""recommendedServices: the resident's own profile, wallet and history, each with a reason;
popular services (aggregate counts, cached) for everyone else. Nothing personal is computed
for another caller, and nothing personal is logged."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from schema.ids import node_uuid
from storage.cache import Keys
from storage.models.documents import Document
from tests.applications.conftest import SUBMIT, china, frozen
from tests.conftest import RunningApp
from tests.documents.conftest import signed_in
from tests.scenarios.conftest import id_number, resident, upload
from tests.sql import count_statements

NOW = china(2026, 3, 2)
TODAY = date(2026, 3, 2)
RECOMMENDED = """
query($first: Int) {
  recommendedServices(first: $first) {
    reasonCode reason item { basicCode name } service { baseCode name region { code } }
    scenario { code name }
  }
}
"""
CARD, MEDICAL, BIRTH = "51002000060000", "51002000070000", "51000700010000"


async def recommended(running: RunningApp, token: str | None = None, first: int = 20) -> list[Any]:
    data = await running.gql.data(RECOMMENDED, {"first": first}, token=token)
    return list(data["recommendedServices"])


async def expiring(program: Any, kind: str, days: int) -> str:
    document_id = await upload(program, kind)
    await Document.filter(id=node_uuid(document_id, "Document")).update(
        valid_until=TODAY + timedelta(days=days)
    )
    return document_id


async def apply(
    running: RunningApp, program: Any, code: str, region: str, kinds: list[str]
) -> None:
    documents = [await upload(program, kind) for kind in kinds]
    response = await running.gql(
        SUBMIT,
        {
            "input": {
                "serviceCode": code,
                "regionCode": region,
                "documentIds": documents,
                "channel": "MINI_PROGRAM",
            }
        },
        token=program.token,
    )
    assert response.data["submitApplication"]["__typename"] == "Application", response.body


async def test_an_id_card_nearing_expiry(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    frozen(seeded, NOW)
    program = await resident(seeded, wechat, "a", region="510105")
    await expiring(program, "ID_CARD_FRONT", 60)

    found = await recommended(seeded, program.token)

    first = found[0]
    assert first["reasonCode"] == "DOCUMENT_EXPIRING"
    assert first["reason"] == "您的居民身份证将于 60 天后到期，可提前办理换领"
    assert first["service"]["name"] == "居民身份证换领"
    assert first["service"]["region"]["code"] == "510105"  # the resident's district's guide


async def test_an_expired_document(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    frozen(seeded, NOW)
    program = await resident(seeded, wechat, "a")
    await expiring(program, "ID_CARD_BACK", -5)

    found = await recommended(seeded, program.token)

    assert (found[0]["reasonCode"], found[0]["reason"]) == (
        "DOCUMENT_EXPIRED",
        "您的居民身份证已过期 5 天",
    )


async def test_a_document_far_from_expiry_is_no_reason(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, NOW)
    program = await resident(seeded, wechat, "a")
    await expiring(program, "ID_CARD_FRONT", 91)

    found = await recommended(seeded, program.token)

    assert "DOCUMENT_EXPIRING" not in {r["reasonCode"] for r in found}


async def test_age_from_the_verified_id_number(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, NOW)
    program = await resident(seeded, wechat, "senior", region="510121", born="19600315")

    found = await recommended(seeded, program.token)

    ages = [r for r in found if r["reasonCode"] == "AGE"]
    assert [r["reason"] for r in ages] == [
        "您已年满 65 周岁：参加城乡居民养老保险且缴费满 15 年的，可申领城乡居民养老金",
        "您今年 65 岁，可以提前了解“退休一件事”",
        "买卖二手房时，不动产登记与水电气过户可以通过“二手房转移登记”一次办",
    ]
    assert ages[0]["service"]["name"] == "城乡居民基本养老保险待遇申领"
    assert ages[1]["scenario"] == {"code": "retirement", "name": "退休一件事"}


async def test_an_id_number_issued_outside_chengdu(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, NOW)
    visitor = await resident(seeded, wechat, "visitor", region="110105")
    local = await resident(seeded, wechat, "local", region="510104")

    theirs = await recommended(seeded, visitor.token)
    ours = {r["reasonCode"] for r in await recommended(seeded, local.token)}

    permit = next(r for r in theirs if r["reasonCode"] == "REGION")
    assert permit["reason"] == "您的身份证登记地不在成都市，在蓉居住半年以上的可申领居住证"
    # A district item: the visitor's district is unknown, so the item without a guide.
    assert permit["item"] == {"basicCode": "51002000030000", "name": "居住证申领"}
    assert permit["service"] is None
    assert "REGION" not in ours


async def test_a_business_licence_in_the_wallet(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, NOW)
    program = await resident(seeded, wechat, "owner")
    await upload(program, "BUSINESS_LICENCE")

    found = await recommended(seeded, program.token)

    organisation = next(r for r in found if r["reasonCode"] == "ORGANISATION")
    assert organisation["service"]["name"] == "单位参保登记"
    assert organisation["reason"].startswith("您的材料库中有营业执照")


async def test_what_usually_follows_what_the_resident_did(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, NOW)
    program = await resident(seeded, wechat, "parent")
    await apply(seeded, program, BIRTH, "510104", ["ID_CARD_FRONT"])

    after_birth = await recommended(seeded, program.token)
    await apply(seeded, program, CARD, "510100", ["ID_CARD_FRONT", "PHOTO"])
    after_card = await recommended(seeded, program.token)

    follow = [r for r in after_birth if r["reasonCode"] == "FOLLOW_UP"]
    assert [r["service"]["baseCode"] for r in follow] == [CARD, MEDICAL]
    assert follow[0]["reason"] == "您已办理“出生登记”，还可以为宝宝办理“社会保障卡申领”"
    follow = [r for r in after_card if r["reasonCode"] == "FOLLOW_UP"]
    assert [r["service"]["baseCode"] for r in follow] == [MEDICAL]


async def test_popular_services_for_anyone(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    frozen(seeded, NOW)
    for n in range(3):
        program = await resident(seeded, wechat, f"r{n}")
        await apply(seeded, program, CARD, "510100", ["ID_CARD_FRONT", "PHOTO"])
    program = await resident(seeded, wechat, "r9")
    await apply(seeded, program, BIRTH, "510104", ["ID_CARD_FRONT"])  # one: below the minimum

    found = await recommended(seeded)

    assert [(r["reasonCode"], r["item"]["basicCode"]) for r in found[:2]] == [
        ("POPULAR", CARD),
        ("LIFE_EVENT", "51002000010000"),  # then what everyone commonly needs
    ]
    assert found[0]["reason"] == "近 30 天有 3 人次申请"
    assert CARD not in {(r["service"] or {}).get("baseCode") for r in found[1:]}
    # Counted once, then served from the cache until it expires.
    await apply(
        seeded, await resident(seeded, wechat, "r10"), CARD, "510100", ["ID_CARD_FRONT", "PHOTO"]
    )
    assert (await recommended(seeded))[0]["reason"] == "近 30 天有 3 人次申请"
    await seeded.resources.redis.delete(Keys.POPULAR_SERVICES)
    assert (await recommended(seeded))[0]["reason"] == "近 30 天有 4 人次申请"


async def test_no_one_gets_an_empty_list(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    """Nothing applied for anywhere yet: an anonymous caller and a resident who has not
    proved who they are see what everyone commonly needs; a verified resident of 30 sees the
    life events of their age first. Every entry says why."""
    frozen(seeded, NOW)
    unverified = await signed_in(seeded, wechat, "newcomer")
    young = await resident(seeded, wechat, "young", region="510104", born="19960115")

    anonymous = await recommended(seeded)
    newcomer = await recommended(seeded, unverified.token)
    theirs = await recommended(seeded, young.token)

    assert anonymous == newcomer
    assert [(r["reasonCode"], r["reason"]) for r in anonymous][:2] == [
        ("LIFE_EVENT", "常办事项：身份证有效期满或损坏时办理“居民身份证换领”"),
        ("LIFE_EVENT", "常办事项：未参加职工医保的居民可以办理“城乡居民基本医疗保险参保登记”"),
    ]
    assert {r["scenario"]["code"] for r in anonymous if r["scenario"]} == {"newborn", "marriage"}
    assert all(r["reason"] for r in anonymous + theirs)
    assert [(r["reasonCode"], (r["scenario"] or r["item"])["name"]) for r in theirs][:4] == [
        ("AGE", "结婚一件事"),
        ("AGE", "新生儿出生一件事"),
        ("AGE", "二手房转移登记"),
        ("AGE", "城乡居民基本养老保险参保登记"),
    ]
    assert theirs[0]["reason"].startswith("您今年 30 岁：结婚登记")
    # A scenario recommended for their age is not repeated among the common ones.
    scenarios = [r["scenario"]["code"] for r in theirs if r["scenario"]]
    assert len(scenarios) == len(set(scenarios))
    # The district guide: 锦江's own, or the city's where the district has none.
    card = next(r for r in theirs if (r["item"] or {}).get("basicCode") == "51002000010000")
    assert card["service"]["region"]["code"] in {"510104", "510100"}


async def test_popular_in_the_resident_s_district_first(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, NOW)
    for n in range(3):
        program = await resident(seeded, wechat, f"p{n}")
        await apply(seeded, program, BIRTH, "510104", ["ID_CARD_FRONT"])
    for n in range(4):
        program = await resident(seeded, wechat, f"c{n}")
        await apply(seeded, program, CARD, "510100", ["ID_CARD_FRONT", "PHOTO"])
    jinjiang = await resident(seeded, wechat, "jinjiang", region="510104", born="19500101")
    wuhou = await resident(seeded, wechat, "wuhou", region="510107", born="19500101")

    theirs = [r for r in await recommended(seeded, jinjiang.token) if "POPULAR" in r["reasonCode"]]
    others = [r for r in await recommended(seeded, wuhou.token) if "POPULAR" in r["reasonCode"]]

    assert [(r["reasonCode"], r["service"]["baseCode"], r["reason"]) for r in theirs] == [
        ("POPULAR_NEARBY", BIRTH, "近 30 天锦江区有 3 人次申请"),
        ("POPULAR", CARD, "近 30 天有 4 人次申请"),
    ]
    assert [(r["reasonCode"], r["service"]["baseCode"]) for r in others] == [
        ("POPULAR", CARD),
        ("POPULAR", BIRTH),
    ]


async def test_a_resident_is_not_shown_what_they_already_applied_for(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, NOW)
    for n in range(3):
        program = await resident(seeded, wechat, f"r{n}")
        await apply(seeded, program, CARD, "510100", ["ID_CARD_FRONT", "PHOTO"])

    found = await recommended(seeded, program.token)

    assert CARD not in {(r["service"] or {}).get("baseCode") for r in found}


async def test_nothing_personal_reaches_another_caller_or_the_logs(
    seeded: RunningApp, wechat: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    frozen(seeded, NOW)
    number = id_number("110105", "19600315")
    a = await _verified(seeded, wechat, "a", number)
    await expiring(a, "ID_CARD_FRONT", 30)
    await upload(a, "BUSINESS_LICENCE")
    b = await resident(seeded, wechat, "b", region="510104", born="19900101")

    with caplog.at_level(logging.DEBUG):
        mine = await recommended(seeded, a.token)
        theirs = await recommended(seeded, b.token)
        anonymous = await recommended(seeded)

    assert {"AGE", "REGION", "DOCUMENT_EXPIRING", "ORGANISATION"} <= {r["reasonCode"] for r in mine}
    # b's own age (36) is b's own reason; nothing of a's reaches b or anyone else.
    assert {r["reasonCode"] for r in theirs} <= {"POPULAR", "POPULAR_NEARBY", "AGE", "LIFE_EVENT"}
    assert {r["reasonCode"] for r in anonymous} <= {"POPULAR", "LIFE_EVENT"}
    text = str(theirs) + str(anonymous)
    for personal in ("65", "30 天后", "营业执照", "身份证登记地"):
        assert personal not in text
    logged = caplog.text
    for personal in (number, "19600315", "1960-03-15", "65 周岁", "65 岁"):
        assert personal not in logged


async def _verified(running: RunningApp, wechat: httpx.AsyncClient, user: str, number: str) -> Any:
    program = await signed_in(running, wechat, user)
    result = await program.verify_identity("李四", number)
    assert result["__typename"] == "Account", result
    return program


@pytest.mark.parametrize("first", [0, 21])
async def test_first_is_bounded(seeded: RunningApp, first: int) -> None:
    response = await seeded.gql(RECOMMENDED, {"first": first})

    assert response.error_codes == ["BAD_USER_INPUT"]


async def test_more_documents_and_history_cost_no_more_statements(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, NOW)
    program = await resident(seeded, wechat, "busy", region="510121", born="19600315")
    await expiring(program, "ID_CARD_FRONT", 30)
    await expiring(program, "CERTIFICATE", 20)
    await recommended(seeded, program.token)  # the session is cached from then on

    with count_statements() as few:
        await recommended(seeded, program.token)
    await expiring(program, "ID_CARD_BACK", 40)
    await expiring(program, "CERTIFICATE", 50)
    await apply(seeded, program, BIRTH, "510104", ["ID_CARD_FRONT"])
    with count_statements() as many:
        await recommended(seeded, program.token)

    assert few.count == many.count


async def test_anyone_may_name_their_district(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, NOW)
    for n in range(3):
        program = await resident(seeded, wechat, f"p{n}")
        await apply(seeded, program, BIRTH, "510104", ["ID_CARD_FRONT"])
    query = """query($r: String) { recommendedServices(regionCode: $r) { reasonCode reason
      service { baseCode region { code } } } }"""

    jinjiang = await seeded.gql.data(query, {"r": "510104"})
    unknown = await seeded.gql(query, {"r": "999999"})

    first = jinjiang["recommendedServices"][0]
    assert (first["reasonCode"], first["reason"]) == (
        "POPULAR_NEARBY",
        "近 30 天锦江区有 3 人次申请",
    )
    assert first["service"]["region"]["code"] == "510104"
    assert unknown.error_codes == ["UNKNOWN_REGION"]
    assert unknown.errors[0]["extensions"]["field"] == "regionCode"
