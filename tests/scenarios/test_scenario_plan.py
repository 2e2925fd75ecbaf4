"""scenarioPlan: conditions choose items and materials, shared materials are merged, the
bundle's deadline is the longest item's (parallel), the wallet is looked into for its owner."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from resolvers.catalogue.service import today
from storage.models.catalogue import Implementation, PublicationStatus
from tests.conftest import RunningApp
from tests.scenarios.conftest import (
    EMPLOYER,
    FOOD,
    INDIVIDUAL,
    PLAN,
    RESTAURANT,
    SIGNBOARD,
    answers,
    plan,
    resident,
    upload,
)
from tests.sql import count_statements

NEWBORN_ALL = answers(
    bornInHospital="YES", registerHukou="YES", parentsMarried="YES", insurance=["MEDICAL", "CARD"]
)


async def test_the_answers_choose_the_items(seeded: RunningApp) -> None:
    everything = await plan(seeded, "newborn", NEWBORN_ALL, region="510104")
    born_elsewhere = await plan(
        seeded,
        "newborn",
        answers(bornInHospital="NO", registerHukou="YES", parentsMarried="NO", insurance=[]),
        region="510104",
    )
    company = await plan(
        seeded,
        "restaurant",
        answers(hasLicence="NO", entityType="COMPANY", signboard="NO", employees="3"),
        region="510104",
    )
    licensed = await plan(
        seeded, "restaurant", answers(hasLicence="YES", signboard="NO", employees="0")
    )

    assert [i["name"] for i in everything["items"]] == [
        "出生医学证明签发",
        "出生登记",
        "城乡居民基本医疗保险参保登记",
        "社会保障卡申领",
    ]
    assert [i["name"] for i in born_elsewhere["items"]] == ["出生登记"]
    assert [i["baseCode"] for i in company["items"]] == ["51000700060000", FOOD, EMPLOYER]
    assert [i["baseCode"] for i in licensed["items"]] == [FOOD]
    assert licensed["askedQuestions"] == ["hasLicence", "signboard", "employees"]


@pytest.mark.parametrize(("years", "item"), [("14", "51002000120000"), ("15", "51002000100000")])
async def test_a_number_answer_is_compared_with_its_threshold(
    seeded: RunningApp, years: str, item: str
) -> None:
    found = await plan(seeded, "retirement", answers(scheme="EMPLOYEE", years=years, hasCard="YES"))

    assert [i["baseCode"] for i in found["items"]] == [item]


async def test_material_rules_require_or_omit_an_optional_material(seeded: RunningApp) -> None:
    married = await plan(seeded, "newborn", NEWBORN_ALL, region="510104")
    unmarried = await plan(
        seeded,
        "newborn",
        answers(bornInHospital="YES", registerHukou="YES", parentsMarried="NO", insurance=[]),
        region="510104",
    )

    certificate = [m for m in married["materials"] if m["name"] == "结婚证"]
    assert [(m["necessity"], m["source"]) for m in certificate] == [("REQUIRED", "GOVERNMENT")]
    assert "结婚证" not in {m["name"] for m in unmarried["materials"]}


async def test_a_material_shared_by_three_items_is_asked_once(seeded: RunningApp) -> None:
    found = await plan(seeded, "restaurant", RESTAURANT, region="510104")

    id_cards = [m for m in found["materials"] if m["documentKind"] == "ID_CARD_FRONT"]
    assert len(id_cards) == 1
    assert id_cards[0]["usedBy"] == [INDIVIDUAL, FOOD, SIGNBOARD]
    assert id_cards[0]["necessity"] == "REQUIRED"
    # The premises proof of the licence and of the signboard is one document (a group).
    premises = [m for m in found["materials"] if m["name"].startswith("经营场所使用证明")]
    assert [m["usedBy"] for m in premises] == [[INDIVIDUAL, SIGNBOARD]]
    names = [m["name"] for m in found["materials"]]
    assert len(names) == len(set(names)) == 8


async def test_same_kind_different_names_stay_apart(seeded: RunningApp) -> None:
    found = await plan(seeded, "newborn", NEWBORN_ALL, region="510104")

    certificates = {m["name"] for m in found["materials"] if m["documentKind"] == "CERTIFICATE"}
    assert certificates == {"出生医学证明", "结婚证"}
    ids = [m for m in found["materials"] if m["documentKind"] == "ID_CARD_FRONT"]
    assert [m["name"] for m in ids] == ["父母双方居民身份证"]
    assert len(ids[0]["usedBy"]) == 4


async def test_the_bundles_deadline_is_the_longest_item_not_the_sum(seeded: RunningApp) -> None:
    found = await plan(
        seeded,
        "restaurant",
        answers(hasLicence="NO", entityType="COMPANY", signboard="YES", employees="5"),
        region="510104",
    )

    days = [i["service"]["promisedDays"] for i in found["items"]]
    assert days == [1, 5, 5, 0]
    assert found["promisedDays"] == 5
    assert found["separatePromisedDays"] == 11
    assert found["visits"] == 0


async def test_an_immediate_item_counts_as_zero_days(seeded: RunningApp) -> None:
    found = await plan(
        seeded,
        "after-death",
        answers(needCertificate="YES", chengduHukou="YES", pension="EMPLOYEE"),
    )

    handling = {i["name"]: i["service"]["handlingType"] for i in found["items"]}
    assert handling["死亡人员户口注销"] == "IMMEDIATE"
    assert found["promisedDays"] == 10  # 丧葬补助金、抚恤金申领
    assert found["visits"] == 1  # one trip serves both items that need one
    assert found["separateVisits"] == 2


async def test_items_without_a_guide_in_the_region_are_reported(seeded: RunningApp) -> None:
    # 出生登记 is a district item: the city level has no guide of its own.
    city = await plan(seeded, "newborn", NEWBORN_ALL)
    district = await plan(seeded, "newborn", NEWBORN_ALL, region="510104")

    assert city["regionSource"] == "CITY"
    unavailable = [i["name"] for i in city["items"] if not i["available"]]
    assert unavailable == ["出生登记"]
    assert len(city["services"]) == 3
    assert all(i["available"] for i in district["items"])
    # The district has no 出生医学证明签发 of its own: the city's serves it.
    assert district["services"][0]["code"].split("-")[1] == "510100000000"


async def test_the_signed_in_residents_district_and_wallet(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "parent", region="510105")
    id_card = await upload(program, "ID_CARD_FRONT")

    mine = await plan(seeded, "newborn", NEWBORN_ALL, token=program.token)
    anonymous = await plan(seeded, "newborn", NEWBORN_ALL)

    assert mine["regionSource"] == "RESIDENT"
    assert mine["region"]["code"] == "510105"
    ids = next(m for m in mine["materials"] if m["documentKind"] == "ID_CARD_FRONT")
    assert ids["walletSatisfied"] is True
    assert ids["provision"] == "WALLET"
    assert [d["id"] for d in ids["walletDocuments"]] == [id_card]
    photo = next(m for m in mine["materials"] if m["documentKind"] == "PHOTO")
    assert (photo["walletSatisfied"], photo["provision"]) == (False, "UPLOAD")
    register = next(m for m in mine["materials"] if m["documentKind"] == "HOUSEHOLD_REGISTER")
    assert register["provision"] == "GOVERNMENT"
    assert {m["walletSatisfied"] for m in anonymous["materials"]} == {None}
    assert all(m["walletDocuments"] == [] for m in anonymous["materials"])


async def test_a_resident_from_elsewhere_plans_for_the_city(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "visitor", region="110105")

    found = await plan(seeded, "newborn", NEWBORN_ALL, token=program.token)

    assert (found["regionSource"], found["region"]["code"]) == ("CITY", "510100")


async def test_partial_answers_give_a_partial_plan(seeded: RunningApp) -> None:
    found = await plan(seeded, "newborn", answers(registerHukou="YES"), region="510104")

    assert found["complete"] is False
    assert found["missingQuestions"] == ["bornInHospital", "parentsMarried", "insurance"]
    assert [i["name"] for i in found["items"]] == ["出生登记"]


async def test_the_digest_follows_the_answers(seeded: RunningApp) -> None:
    first = await plan(seeded, "restaurant", RESTAURANT, region="510104")
    again = await plan(seeded, "restaurant", RESTAURANT, region="510104")
    other = await plan(
        seeded,
        "restaurant",
        answers(hasLicence="NO", entityType="INDIVIDUAL", signboard="NO", employees="0"),
        region="510104",
    )

    assert first["digest"] == again["digest"]
    assert first["digest"] != other["digest"]


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        (answers(favourite="YES"), "UNKNOWN_QUESTION", "answers[0].question"),
        (answers(hasLicence="MAYBE"), "INVALID_ANSWER", "answers[0].values"),
        (answers(hasLicence=["YES", "NO"]), "INVALID_ANSWER", "answers[0].values"),
        (answers(employees="three"), "INVALID_ANSWER", "answers[0].values"),
        (answers(employees="2.5"), "INVALID_ANSWER", "answers[0].values"),
        (answers(employees="-1"), "INVALID_ANSWER", "answers[0].values"),
        (answers(employees="99999"), "INVALID_ANSWER", "answers[0].values"),
        (
            answers(hasLicence="YES", entityType="COMPANY"),
            "QUESTION_NOT_ASKED",
            "answers[1].question",
        ),
        (
            [{"question": "signboard", "values": ["YES"]}] * 2,
            "DUPLICATE_ANSWER",
            "answers[1].question",
        ),
        ([{"question": "signboard", "values": ["YES"]}] * 51, "TOO_MANY_ANSWERS", "answers"),
    ],
)
async def test_wrong_answers_are_typed_errors(
    seeded: RunningApp, values: list[dict[str, object]], code: str, field: str
) -> None:
    response = await seeded.gql(PLAN, {"code": "restaurant", "answers": values, "region": "510104"})

    assert response.body["data"] == {"scenarioPlan": None}
    assert response.error_codes == [code]
    assert response.errors[0]["extensions"]["field"] == field
    assert response.errors[0]["message"]  # zh-CN, safe to show


async def test_unknown_scenarios_and_regions(seeded: RunningApp) -> None:
    unknown = await seeded.gql(PLAN, {"code": "no-such-thing", "answers": []})
    region = await seeded.gql(PLAN, {"code": "restaurant", "answers": [], "region": "999999"})

    assert unknown.body["data"] == {"scenarioPlan": None}
    assert not unknown.errors
    assert region.error_codes == ["UNKNOWN_REGION"]


async def test_a_guide_that_is_no_longer_valid_leaves_the_plan(seeded: RunningApp) -> None:
    sign = await Implementation.get(base__basic_code=SIGNBOARD, status=PublicationStatus.PUBLISHED)
    sign.valid_until = today() - timedelta(days=1)
    await sign.save(update_fields=["valid_until"])

    found = await plan(seeded, "restaurant", RESTAURANT, region="510104")

    assert [i["available"] for i in found["items"]] == [True, True, False]


async def test_a_plan_costs_the_same_statements_for_more_items(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "counter")

    async def statements(values: list[dict[str, object]]) -> int:
        with count_statements() as counted:
            await plan(seeded, "newborn", values, region="510104", token=program.token)
        return counted.count

    one = await statements(
        answers(bornInHospital="NO", registerHukou="YES", parentsMarried="NO", insurance=[])
    )
    four = await statements(NEWBORN_ALL)

    assert one == four
