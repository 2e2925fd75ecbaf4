"""Applications' growing lists take `first` (timelines, a bundle's children, 好差评 figures and
rectifications), the calendar answers at most 400 days, and error field lists are capped."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry import relay

from resolvers.applications.errors import ApplicationError, ApplicationErrorCode
from resolvers.errors import MAX_ERROR_FIELDS
from resolvers.notifications.service import MAX_TEMPLATES
from resolvers.scenarios.definitions import MAX_QUESTIONS
from resolvers.scenarios.errors import ScenarioError, ScenarioErrorCode
from schema.applications.queries import MAX_CALENDAR_DAYS
from storage.models.applications import Rating
from tests.applications.conftest import (
    HYGIENE,
    RATE,
    REJECT,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp, start_app
from tests.scenarios.conftest import resident as scenario_resident
from tests.scenarios.conftest import submit as submit_scenario

TIMELINE = """query($id: ID!, $first: Int) {
  application(id: $id) { events(first: $first) { type } children(first: $first) { number } }
}"""
FIGURES = """query($first: Int) {
  rectifications(first: $first) { id }
  applicationRatings(by: ITEM, first: $first) { key total levels { level count } }
}"""
CALENDAR = "query($start: Date!, $end: Date!) { calendar(start: $start, end: $end) { day } }"


async def _rated_applications(
    running: RunningApp, wechat: httpx.AsyncClient, count: int
) -> tuple[list[str], str]:
    """`count` applications refused and rated 差评 (each opens a rectification)."""
    program = await verified_resident(running, wechat, "rater")
    lead = (await officers(running, await implementation(HYGIENE)))["lead"]
    ids = []
    for _ in range(count):
        submitted = await submit(running, program)
        target = {"applicationId": submitted["id"]}
        await running.gql.data(REJECT, {"input": {**target, "reason": "材料不全"}}, token=lead)
        rated = await running.gql.data(
            RATE, {"input": {**target, "level": "DISSATISFIED"}}, token=program.token
        )
        assert rated["rateApplication"]["rating"]["level"] == "DISSATISFIED", rated
        ids.append(str(submitted["id"]))
    return ids, lead


async def test_timelines_ratings_and_rectifications_take_first(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    ids, lead = await _rated_applications(seeded, wechat, 3)
    # Two items' figures: the statistics copy the item's code onto each rating.
    first_rating = await Rating.get(application_id=relay.GlobalID.from_id(ids[0]).node_id)
    await Rating.filter(id=first_rating.id).update(base_code="51000100019999")

    timeline = (await seeded.gql.data(TIMELINE, {"id": ids[0]}, token=lead))["application"]
    one_event = (await seeded.gql.data(TIMELINE, {"id": ids[0], "first": 1}, token=lead))[
        "application"
    ]
    figures = await seeded.gql.data(FIGURES, {}, token=lead)
    one_each = await seeded.gql.data(FIGURES, {"first": 1}, token=lead)

    assert [e["type"] for e in timeline["events"]][:2] == ["SUBMITTED", "NOT_ACCEPTED"]
    assert one_event["events"] == timeline["events"][:1]
    assert len(figures["rectifications"]) == 3
    assert one_each["rectifications"] == figures["rectifications"][:1]
    assert [s["total"] for s in figures["applicationRatings"]] == [1, 2]
    assert one_each["applicationRatings"] == figures["applicationRatings"][:1]


async def test_a_bundles_children_take_first(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = await scenario_resident(seeded, wechat, "bundle")
    parent = await submit_scenario(seeded, program)
    assert parent["__typename"] == "Application", parent

    everything = (await seeded.gql.data(TIMELINE, {"id": parent["id"]}, token=program.token))[
        "application"
    ]
    two = (await seeded.gql.data(TIMELINE, {"id": parent["id"], "first": 2}, token=program.token))[
        "application"
    ]

    assert len(everything["children"]) == 3
    assert two["children"] == everything["children"][:2]


@pytest.mark.parametrize(
    ("query", "first"),
    [(TIMELINE, 0), (TIMELINE, 101), (FIGURES, 0), (FIGURES, 201)],
)
async def test_a_first_out_of_range_is_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient, query: str, first: int
) -> None:
    ids, lead = await _rated_applications(seeded, wechat, 1)
    variables: dict[str, Any] = {"first": first}
    if query is TIMELINE:
        variables["id"] = ids[0]

    response = await seeded.gql(query, variables, token=lead)

    assert "BAD_USER_INPUT" in response.error_codes
    assert all(e["extensions"]["field"] == "first" for e in response.errors)


async def test_the_calendar_answers_at_most_400_days(seeded: RunningApp) -> None:
    widest = await seeded.gql(CALENDAR, {"start": "2026-01-01", "end": "2027-02-04"})
    longer = await seeded.gql(CALENDAR, {"start": "2026-01-01", "end": "2027-02-05"})

    assert MAX_CALENDAR_DAYS == 400
    assert len(widest.data["calendar"]) == 400  # 2026 published, 2027 provisional
    assert longer.error_codes == ["BAD_USER_INPUT"]
    assert longer.errors[0]["extensions"]["field"] == "end"


async def test_at_most_twenty_subscription_templates_are_offered(
    settings_factory: Any, mock_state: Any
) -> None:
    templates = {f"EVENT_{n:02d}": f"TPL_{n:02d}" for n in range(MAX_TEMPLATES + 5)}
    async for running in start_app(settings_factory(wechat_subscription_templates=templates)):
        found = await running.gql.data("{ wechatSubscriptionTemplates { event templateId } }")

        assert len(found["wechatSubscriptionTemplates"]) == MAX_TEMPLATES
        assert found["wechatSubscriptionTemplates"][0] == {
            "event": "EVENT_00",
            "templateId": "TPL_00",
        }


def test_errors_name_at_most_fifty_fields() -> None:
    fields = [f"form.item{n}.name" for n in range(200)]

    application = ApplicationError(ApplicationErrorCode.INVALID_FORM, fields[0], fields=fields)
    scenario = ScenarioError(ScenarioErrorCode.INVALID_FORM, fields[0], fields=fields)

    assert application.fields == scenario.fields == fields[:MAX_ERROR_FIELDS]
    # Every question still to answer fits: ANSWER_REQUIRED lists them all.
    assert MAX_QUESTIONS <= MAX_ERROR_FIELDS
