"""upsertScenario: a definition is checked when saved (shape, references, cycles, reachable
items, questions that change something) and kept as a draft; bad ones write nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from storage.models.catalogue import PublicationStatus
from storage.models.scenarios import Scenario
from tests.conftest import RunningApp
from tests.scenarios.conftest import officer_of, staff_token

UPSERT = """
mutation($input: UpsertScenarioInput!) {
  upsertScenario(input: $input) {
    __typename
    ... on Scenario { scenarioCode: code version status name questions { code kind options { value } } }
    ... on UpsertScenarioError { code message field violations { rule field message } }
  }
}
"""
MOVING = "115101005520237291"  # 成都市不动产登记中心

DEFINITION: dict[str, Any] = {
    "name": "房屋抵押一件事",
    "summary": "贷款购房的抵押登记和户口迁入。",
    "audience": "PERSON",
    "themes": ["HOUSING"],
    "leadDepartment": MOVING,
    "questions": [
        {"code": "loan", "text": "是否贷款？", "kind": "YES_NO"},
        {
            "code": "people",
            "text": "迁入几人？",
            "kind": "NUMBER",
            "min": 0,
            "max": 10,
            "askedWhen": {"question": "loan", "equals": "YES"},
        },
    ],
    "items": [
        {"item": "51000700100000", "when": {"question": "loan", "equals": "YES"}},
        {"item": "51000700020000", "when": {"question": "people", "gte": 1}},
    ],
}


def broken(**changes: Any) -> dict[str, Any]:
    definition = copy.deepcopy(DEFINITION)
    for path, value in changes.items():
        target: Any = definition
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return definition


async def upsert(running: RunningApp, token: str, definition: Any, code: str = "mortgage") -> Any:
    data = await running.gql.data(
        UPSERT, {"input": {"code": code, "definition": definition}}, token=token
    )
    return data["upsertScenario"]


async def test_a_valid_definition_becomes_a_draft(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")

    draft = await upsert(seeded, admin, DEFINITION)
    again = await upsert(seeded, admin, broken(name="房屋抵押和落户一件事"))

    assert draft["__typename"] == "Scenario", draft
    assert (draft["version"], draft["status"]) == (1, "DRAFT")
    assert next(q["options"] for q in draft["questions"]) == [{"value": "YES"}, {"value": "NO"}]
    assert (again["version"], again["name"]) == (1, "房屋抵押和落户一件事")
    assert await Scenario.filter(code="mortgage").count() == 1
    public = await seeded.gql.data('{ scenario(code: "mortgage") { code } }')
    assert public["scenario"] is None  # drafts are not public


@pytest.mark.parametrize(
    ("definition", "rule", "field"),
    [
        (
            broken(**{"items.0.when": {"question": "lone", "equals": "YES"}}),
            "UNKNOWN_QUESTION",
            "definition.items[0].when.question",
        ),
        (
            broken(**{"items.0.when": {"question": "loan", "equals": "MAYBE"}}),
            "UNKNOWN_OPTION",
            "definition.items[0].when.equals",
        ),
        (
            broken(**{"items.0.when": {"question": "loan", "gte": 1}}),
            "OPERATOR_MISMATCH",
            "definition.items[0].when.gte",
        ),
        (
            broken(**{"items.0": {"item": "51009999990000"}}),
            "UNKNOWN_BASE_ITEM",
            "definition.items[0].item",
        ),
        (
            broken(**{"questions.0.askedWhen": {"question": "people", "equals": 2}}),
            "CYCLE",
            "definition.questions[0].askedWhen",
        ),
        (
            broken(
                **{
                    "items.1.when": {
                        "all": [{"question": "people", "gt": 5}, {"question": "people", "lt": 3}]
                    }
                }
            ),
            "UNREACHABLE_ITEM",
            "definition.items[1].when",
        ),
        (
            broken(**{"items.1.when": {"question": "people", "gt": 10}}),
            "UNREACHABLE_ITEM",
            "definition.items[1].when",
        ),
        (
            broken(**{"items.1.when": None}),
            "UNUSED_QUESTION",
            "definition.questions[1]",
        ),
        (
            broken(themes=["MARKET_ENTRY"]),
            "THEME_AUDIENCE",
            "definition.themes[0]",
        ),
        (
            broken(themes=["HOLIDAYS"]),
            "UNKNOWN_THEME",
            "definition.themes[0]",
        ),
        (
            broken(
                **{
                    "items.1": {
                        "providerService": "water-transfer",
                        "when": {"question": "people", "gte": 1},
                    }
                }
            ),
            "UNKNOWN_CATEGORY",
            "definition.items[1].providerService",
        ),
        (
            broken(
                materialRules=[
                    {"item": "51000700100000", "material": "房屋照片", "effect": "REQUIRE"}
                ]
            ),
            "UNKNOWN_MATERIAL",
            "definition.materialRules[0].material",
        ),
        (
            broken(**{"questions.1.kind": "SLIDER"}),
            "INVALID_FIELD",
            "definition.questions[1].kind",
        ),
        (broken(items=[]), "REQUIRED", "definition.items"),
        ("not an object", "INVALID_FIELD", "definition."),
    ],
)
async def test_a_broken_definition_names_the_problem_and_writes_nothing(
    seeded: RunningApp, definition: Any, rule: str, field: str
) -> None:
    admin = await staff_token(seeded, "demo-admin")

    result = await upsert(seeded, admin, definition)

    assert result["__typename"] == "UpsertScenarioError", result
    assert result["code"] == "INVALID_DEFINITION"
    assert (rule, field) in {(v["rule"], v["field"]) for v in result["violations"]}, result
    assert all(v["message"] for v in result["violations"])
    assert await Scenario.filter(code="mortgage").count() == 0


async def test_the_cycle_is_spelled_out(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    definition = broken(**{"questions.0.askedWhen": {"question": "people", "equals": 2}})

    result = await upsert(seeded, admin, definition)

    assert "loan → people → loan" in result["violations"][0]["message"]


async def test_every_problem_is_listed_at_once(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    definition = broken(name="", leadDepartment="123", audience="ALIENS")

    result = await upsert(seeded, admin, definition)

    fields = {v["field"] for v in result["violations"]}
    assert {"definition.name", "definition.leadDepartment", "definition.audience"} <= fields


async def test_who_may_edit(seeded: RunningApp) -> None:
    lead = await officer_of(seeded, MOVING)
    other = await officer_of(seeded, "11510104452424621J")

    by_lead = await upsert(seeded, lead, DEFINITION)
    by_other = await upsert(seeded, other, broken(name="别的部门改的"))
    handed_over = await upsert(seeded, lead, broken(leadDepartment="11510100015249458H"))
    anonymous = (
        await seeded.gql.data(UPSERT, {"input": {"code": "mortgage", "definition": DEFINITION}})
    )["upsertScenario"]

    assert by_lead["__typename"] == "Scenario"
    assert by_other["code"] == "FORBIDDEN"
    assert handed_over["code"] == "FORBIDDEN"
    assert anonymous["code"] == "UNAUTHENTICATED"
    stored = await Scenario.get(code="mortgage")
    assert stored.name == "房屋抵押一件事"


async def test_editing_a_published_scenario_makes_a_new_draft(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    live = await Scenario.get(code="company", status=PublicationStatus.PUBLISHED)
    definition = dict(live.definition)
    definition["summary"] = "新的说明"

    draft = await upsert(seeded, admin, definition, code="company")

    assert (draft["version"], draft["status"]) == (live.version + 1, "DRAFT")
    public = await seeded.gql.data('{ scenario(code: "company") { version summary } }')
    assert public["scenario"]["version"] == live.version  # still the published one


async def test_a_definition_too_complex_to_check_is_refused_not_hung(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    options = [{"value": f"V{n}", "label": f"选项{n}"} for n in range(10)]
    questions = [
        {"code": f"q{n}", "text": f"问题{n}", "kind": "SINGLE_CHOICE", "options": options}
        for n in range(12)
    ]
    # Twelve questions of ten options, and a condition no answers satisfy: proving that
    # takes 10^12 combinations, far beyond the search budget.
    impossible = {
        "all": [
            {"all": [{"question": f"q{n}", "equals": "V1"} for n in range(6)]},
            {"all": [{"question": f"q{n}", "equals": "V1"} for n in range(6, 12)]},
            {"not": {"question": "q0", "equals": "V1"}},
        ]
    }
    definition = broken(questions=questions, items=[{"item": "51000700100000", "when": impossible}])

    result = await upsert(seeded, admin, definition)

    assert result["code"] == "INVALID_DEFINITION"
    assert "TOO_COMPLEX" in {v["rule"] for v in result["violations"]}
