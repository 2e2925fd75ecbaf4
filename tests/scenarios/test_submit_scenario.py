"""submitScenario: one parent and one application per item in one transaction, under one
idempotency key; every rejection, and any failure halfway, writes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from api.outbox import dispatcher
from resolvers.settings import Settings
from storage.models.applications import Application
from storage.repositories import scenarios as scenario_repo
from tests.conftest import RunningApp
from tests.documents.conftest import count_rows, signed_in
from tests.scenarios.conftest import (
    FOOD,
    RESTAURANT,
    SUBMIT,
    answers,
    officer_of,
    plan,
    resident,
    restaurant_documents,
    submit,
    upload,
)

LEAD = "11510104452424621J"  # 锦江区行政审批局: 个体工商户设立登记 and 食品经营许可
SIGNS = "11510100121459782L"  # 成都市城市管理委员会: the signboard


async def nothing_written() -> None:
    for table in ("application", "application_material", "scenario_submission", "outbox_message"):
        assert await count_rows(table) == 0, table
    assert await count_rows("idempotency_record") == 0


async def test_a_bundle_is_one_parent_and_one_application_per_item(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    documents = await restaurant_documents(program)

    parent = await submit(seeded, program, documentIds=documents)

    assert parent["__typename"] == "Application", parent
    assert parent["status"] == "SUBMITTED"
    assert parent["service"] is None
    assert parent["department"] is None
    assert parent["scenario"] == {"code": "restaurant", "name": "开办餐饮店"}
    assert [e["type"] for e in parent["events"]] == ["SUBMITTED"]
    children = parent["children"]
    assert [c["service"]["name"][:6] for c in children] == [
        "个体工商户设",
        "食品经营许可",
        "设置大型户外",
    ]
    assert {c["status"] for c in children} == {"SUBMITTED"}
    assert [c["department"]["code"] for c in children] == [LEAD, LEAD, SIGNS]
    assert {c["scenario"]["code"] for c in children} == {"restaurant"}
    # The ID card, given once, serves all three items; each other document serves its own.
    id_card = documents[0]
    for child in children:
        used = {m["document"]["id"] for m in child["materials"] if m["document"]}
        assert id_card in used
    licence = next(m for m in children[1]["materials"] if m["name"] == "营业执照")
    assert licence["state"] == "FROM_ISSUER"  # being issued by the bundle's first item
    premises = documents[1]
    signboard = {m["name"]: m["document"] for m in children[2]["materials"]}
    assert signboard["设置场所的产权证明或使用权证明"]["id"] == premises
    assert signboard["设置效果图和安全说明"]["id"] == documents[6]
    assert await count_rows("application") == 4
    assert await count_rows("scenario_submission") == 1


async def test_the_resident_hears_about_the_bundle_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    await submit(seeded, program)

    await dispatcher(seeded.resources).drain()
    inbox = await seeded.gql.data(
        "{ notifications(first: 20) { edges { node { title body } } } }", token=program.token
    )

    messages = [e["node"] for e in inbox["notifications"]["edges"]]
    assert [m["title"] for m in messages] == ["一件事已提交"]
    assert "共 3 个事项" in messages[0]["body"]


async def test_staff_see_their_items_and_never_the_bundle(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    parent = await submit(seeded, program)
    lead = await officer_of(seeded, LEAD)
    signs = await officer_of(seeded, SIGNS)
    query = "query($id: ID!) { application(id: $id) { number } }"

    work = await seeded.gql.data(
        "{ workItems(first: 50) { edges { node { kind application { number } } } } }", token=lead
    )
    hidden = await seeded.gql.data(query, {"id": parent["id"]}, token=lead)
    theirs = await seeded.gql.data(query, {"id": parent["children"][2]["id"]}, token=signs)
    not_theirs = await seeded.gql.data(query, {"id": parent["children"][0]["id"]}, token=signs)

    numbers = {e["node"]["application"]["number"] for e in work["workItems"]["edges"]}
    assert numbers == {parent["children"][0]["number"], parent["children"][1]["number"]}
    assert hidden["application"] is None
    assert theirs["application"] == {"number": parent["children"][2]["number"]}
    assert not_theirs["application"] is None


async def test_the_same_key_and_input_return_the_same_bundle(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    documents = await restaurant_documents(program)

    first = await submit(seeded, program, documentIds=documents, idempotencyKey="k-1")
    again = await submit(seeded, program, documentIds=documents, idempotencyKey="k-1")
    changed = await submit(
        seeded,
        program,
        documentIds=documents,
        idempotencyKey="k-1",
        answers=answers(hasLicence="NO", entityType="INDIVIDUAL", signboard="NO", employees="0"),
    )

    assert first["__typename"] == again["__typename"] == "Application"
    assert again["id"] == first["id"]
    assert changed["code"] == "IDEMPOTENCY_CONFLICT"
    assert changed["field"] == "idempotencyKey"
    assert await count_rows("application") == 4


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    # Twenty at once from one account: past the per-account cap on concurrent executions,
    # which would answer some with TOO_MANY_REQUESTS before the key is even looked at.
    built: Settings = settings_factory(max_concurrent_per_account=32)
    return built


async def test_twenty_simultaneous_submissions_with_one_key_make_one_bundle(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    documents = await restaurant_documents(program)
    variables = {
        "input": {
            "scenarioCode": "restaurant",
            "answers": RESTAURANT,
            "regionCode": "510104",
            "form": {FOOD: {"shopName": "蓉城小面", "businessScope": ["热食类食品制售"]}},
            "documentIds": documents,
            "channel": "MINI_PROGRAM",
            "idempotencyKey": "double-tap",
        }
    }

    responses = await asyncio.gather(
        *[seeded.gql(SUBMIT, variables, token=program.token) for _ in range(20)]
    )

    ids = {r.data["submitScenario"].get("id") for r in responses}
    assert len(ids) == 1, [r.body for r in responses]
    assert None not in ids
    assert await count_rows("application") == 4
    assert await count_rows("scenario_submission") == 1
    assert await count_rows("idempotency_record") == 1


async def test_a_failing_form_in_one_item_stops_the_whole_bundle(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")

    result = await submit(seeded, program, form={FOOD: {"businessScope": ["卖火箭"]}})

    assert result["code"] == "INVALID_FORM"
    assert set(result["fields"]) == {f"form.{FOOD}.shopName", f"form.{FOOD}.businessScope[0]"}
    await nothing_written()


async def test_a_form_for_an_item_outside_the_plan_is_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")

    result = await submit(seeded, program, form={"51000700060000": {}})

    assert (result["code"], result["field"]) == ("INVALID_FORM", "form.51000700060000")
    await nothing_written()


async def test_a_missing_material_names_the_merged_list_entry(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    documents = await restaurant_documents(program)

    result = await submit(seeded, program, documentIds=documents[1:])  # no ID card

    assert result["code"] == "MATERIAL_MISSING"
    assert result["field"] == "materials[0]"
    assert "经营者（法定代表人）居民身份证" in result["message"]
    await nothing_written()


@pytest.mark.parametrize("case", ["extra", "someone-elses", "twice"])
async def test_documents_must_be_mine_asked_for_and_given_once(
    seeded: RunningApp, wechat: httpx.AsyncClient, case: str
) -> None:
    program = await resident(seeded, wechat, "owner")
    documents = await restaurant_documents(program)
    if case == "extra":
        documents.append(await upload(program, "PHOTO"))
        expected = ("DOCUMENT_NOT_REQUESTED", "documentIds[7]")
    elif case == "someone-elses":
        other = await signed_in(seeded, wechat, "other")
        documents.append(await upload(other, "OTHER"))
        expected = ("DOCUMENT_NOT_FOUND", "documentIds[7]")
    else:
        documents.append(documents[0])
        expected = ("DUPLICATE_DOCUMENT", "documentIds[7]")

    result = await submit(seeded, program, documentIds=documents)

    assert (result["code"], result["field"]) == expected
    await nothing_written()


async def test_an_item_without_a_guide_in_the_region_stops_the_bundle(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner", region="110105")  # planned for the city

    result = await submit(seeded, program, regionCode=None)

    assert result["code"] == "ITEM_UNAVAILABLE"
    assert "个体工商户设立登记" in result["message"]
    await nothing_written()


async def test_every_item_must_accept_the_channel(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "parent")
    id_card = await upload(program, "ID_CARD_FRONT")

    result = await submit(
        seeded,
        program,
        scenarioCode="newborn",
        answers=answers(bornInHospital="YES", registerHukou="NO", insurance=["MEDICAL"]),
        form=None,
        documentIds=[id_card],
        channel="MOBILE_APP",
    )

    assert result["code"] == "CHANNEL_NOT_ALLOWED"
    assert "出生医学证明签发" in result["message"]
    await nothing_written()


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        (answers(hasLicence="NO", signboard="YES"), "ANSWER_REQUIRED", "answers"),
        (answers(hasLicence="MAYBE"), "INVALID_ANSWER", "answers[0].values"),
        (answers(owner="ME"), "UNKNOWN_QUESTION", "answers[0].question"),
    ],
)
async def test_incomplete_or_wrong_answers_write_nothing(
    seeded: RunningApp,
    wechat: httpx.AsyncClient,
    values: list[dict[str, Any]],
    code: str,
    field: str,
) -> None:
    program = await resident(seeded, wechat, "owner")

    result = await submit(seeded, program, answers=values)

    assert (result["code"], result["field"]) == (code, field)
    if code == "ANSWER_REQUIRED":
        assert result["fields"] == ["entityType", "employees"]
    await nothing_written()


async def test_answers_that_lead_to_nothing_submit_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "parent")

    result = await submit(
        seeded,
        program,
        scenarioCode="newborn",
        answers=answers(bornInHospital="NO", registerHukou="NO", insurance=[]),
        form=None,
        documentIds=[],
    )

    assert result["code"] == "NOTHING_TO_SUBMIT"
    await nothing_written()


async def test_a_plan_whose_answers_changed_is_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    confirmed = await plan(
        seeded,
        "restaurant",
        answers(hasLicence="NO", entityType="INDIVIDUAL", signboard="NO", employees="0"),
        region="510104",
    )

    result = await submit(seeded, program, planDigest=confirmed["digest"])

    assert (result["code"], result["field"]) == ("PLAN_CHANGED", "planDigest")
    await nothing_written()


async def test_the_confirmed_plan_goes_through(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "owner")
    confirmed = await plan(seeded, "restaurant", RESTAURANT, region="510104", token=program.token)

    result = await submit(seeded, program, planDigest=confirmed["digest"])

    assert result["__typename"] == "Application", result


async def test_who_may_submit(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    unverified = await signed_in(seeded, wechat, "unverified")
    officer = await officer_of(seeded, LEAD)

    no_name = await submit(seeded, unverified, documentIds=[])
    anonymous = await seeded.gql(
        SUBMIT,
        {"input": {"scenarioCode": "restaurant", "answers": [], "channel": "MINI_PROGRAM"}},
    )
    staff = await seeded.gql(
        SUBMIT,
        {"input": {"scenarioCode": "restaurant", "answers": [], "channel": "MINI_PROGRAM"}},
        token=officer,
    )
    claimed = await submit(
        seeded, await resident(seeded, wechat, "owner"), channel="TERMINAL", documentIds=[]
    )

    assert no_name["code"] == "IDENTITY_NOT_VERIFIED"
    assert anonymous.data["submitScenario"]["code"] == "UNAUTHENTICATED"
    assert staff.data["submitScenario"]["code"] == "FORBIDDEN"
    assert (claimed["code"], claimed["field"]) == ("CHANNEL_NOT_ALLOWED", "channel")
    await nothing_written()


async def test_a_failure_halfway_leaves_nothing_behind(
    seeded: RunningApp, wechat: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = await resident(seeded, wechat, "owner")
    documents = await restaurant_documents(program)

    async def broken(**fields: Any) -> None:
        raise RuntimeError("the database went away")

    # The parent and every child are written by then: the transaction must undo them.
    monkeypatch.setattr(scenario_repo, "create_submission", broken)
    response = await seeded.gql(
        SUBMIT,
        {
            "input": {
                "scenarioCode": "restaurant",
                "answers": RESTAURANT,
                "regionCode": "510104",
                "form": {FOOD: {"shopName": "蓉城小面", "businessScope": ["热食类食品制售"]}},
                "documentIds": documents,
                "channel": "MINI_PROGRAM",
            }
        },
        token=program.token,
    )

    assert response.error_codes == ["INTERNAL_SERVER_ERROR"]
    assert await Application.all().count() == 0
    await nothing_written()
