"""publishScenario: the draft is checked again and becomes the next published version; plans
and submissions use it from then on; the version it replaces is kept as history."""

from __future__ import annotations

from typing import Any

from storage.models.catalogue import PublicationStatus
from storage.models.scenarios import Scenario
from tests.conftest import RunningApp
from tests.scenarios.conftest import answers, officer_of, plan, staff_token
from tests.scenarios.test_upsert_scenario import DEFINITION, MOVING, upsert

PUBLISH = """
mutation($code: String!) {
  publishScenario(input: {code: $code}) {
    __typename
    ... on Scenario { scenarioCode: code version status publishedAt }
    ... on PublishScenarioError { code message field violations { rule field } }
  }
}
"""


async def publish(running: RunningApp, token: str, code: str) -> dict[str, Any]:
    data = await running.gql.data(PUBLISH, {"code": code}, token=token)
    return dict(data["publishScenario"])


async def test_publishing_makes_the_draft_the_live_version(seeded: RunningApp) -> None:
    lead = await officer_of(seeded, MOVING)
    await upsert(seeded, lead, DEFINITION)

    live = await publish(seeded, lead, "mortgage")
    found = await plan(seeded, "mortgage", answers(loan="YES", people="2"), region="510104")

    assert (live["version"], live["status"]) == (1, "PUBLISHED")
    assert live["publishedAt"]
    assert [i["baseCode"] for i in found["items"]] == ["51000700100000", "51000700020000"]


async def test_a_new_version_replaces_the_old_one_for_new_plans(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")
    old = await Scenario.get(code="company", status=PublicationStatus.PUBLISHED)
    definition = dict(old.definition)
    definition["items"] = [
        {"item": "51000700060000"},
        {"item": "51001000010000", "when": {"question": "needSeal", "equals": "YES"}},
    ]
    definition["questions"] = [q for q in definition["questions"] if q["code"] == "needSeal"]
    await upsert(seeded, admin, definition, code="company")

    live = await publish(seeded, admin, "company")
    found = await plan(seeded, "company", answers(needSeal="YES"))

    assert live["version"] == old.version + 1
    assert found["scenario"]["version"] == old.version + 1
    assert found["askedQuestions"] == ["needSeal"]
    versions = await Scenario.filter(code="company").order_by("version")
    assert [v.status for v in versions] == [
        PublicationStatus.ARCHIVED,
        PublicationStatus.PUBLISHED,
    ]


async def test_nothing_to_publish_and_unknown_scenarios(seeded: RunningApp) -> None:
    admin = await staff_token(seeded, "demo-admin")

    nothing = await publish(seeded, admin, "company")
    unknown = await publish(seeded, admin, "no-such-thing")

    assert (nothing["code"], nothing["field"]) == ("NOTHING_TO_PUBLISH", "code")
    assert unknown["code"] == "NOT_FOUND"


async def test_only_the_lead_department_or_an_admin_publishes(seeded: RunningApp) -> None:
    lead = await officer_of(seeded, MOVING)
    other = await officer_of(seeded, "11510104452424621J")
    await upsert(seeded, lead, DEFINITION)

    refused = await publish(seeded, other, "mortgage")

    assert refused["code"] == "FORBIDDEN"
    assert await Scenario.filter(code="mortgage", status=PublicationStatus.DRAFT).count() == 1
