"""appealInsights answers from the aggregates kept by every write: the same figures as
counting the appeal rows, on a generated year (aggregates back-filled) and after filings,
a reply and a rating made through the API (aggregates kept by the writes themselves)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from resolvers.appeals.insights import Filter, compute_from_rows
from resolvers.settings import Settings
from storage.models.appeals import AppealStat
from tests.appeals.conftest import (
    CENTRE,
    RATE,
    REPLY,
    URBAN,
    act,
    china,
    file,
    frozen,
    resident,
    staff_token,
)
from tests.appeals.test_appeal_insights import INSIGHTS, OUTAGE
from tests.conftest import RunningApp, postgres_only
from tests.perf.appeals_year import generate

FILTERS = [
    Filter(start=date(2026, 7, 1), end=date(2026, 7, 31), region_code="510106"),
    Filter(start=date(2026, 7, 1), end=date(2026, 7, 31), region_code="510104"),
    Filter(start=date(2026, 6, 1), end=date(2026, 8, 30)),
    Filter(start=date(2026, 1, 1), end=date(2026, 12, 31), category_code="04"),
]


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    # Every answer computed, none from the cache; a group of two is shown, so that the small
    # crafted set has figures to compare.
    built: Settings = settings_factory(appeal_insight_cache_seconds=0, appeal_insight_min_group=2)
    return built


def as_input(filter: Filter) -> dict[str, Any]:
    values: dict[str, Any] = {"start": filter.start.isoformat(), "end": filter.end.isoformat()}
    if filter.region_code:
        values["regionCode"] = filter.region_code
    if filter.category_code:
        values["categoryCode"] = filter.category_code
    return values


async def assert_same_as_rows(running: RunningApp, token: str) -> list[dict[str, Any]]:
    answers = []
    for filter in FILTERS:
        response = await running.gql.data(INSIGHTS, {"filter": as_input(filter)}, token=token)
        answer = response["appealInsights"]
        counted = await compute_from_rows(running.resources, filter)
        assert answer == {key: counted[key] for key in answer}, filter
        answers.append(answer)
    return answers


@postgres_only("the insight aggregates are rebuilt (rongban insights backfill) on PostgreSQL only")
async def test_the_aggregates_answer_as_the_rows_do(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await generate(seeded.resources.keyring, count=1200, spikes=(OUTAGE,))
    centre = await staff_token(seeded, CENTRE)

    before = await assert_same_as_rows(seeded, centre)
    assert before[0]["total"] > 0
    assert before[0]["hotTopics"]  # the outage's words, opened from the aggregates

    # Writes through the API keep the aggregates: three filings in 锦江区 in July, one of
    # them replied to and rated (SATISFIED closes it).
    frozen(seeded, china(2026, 7, 15))
    programs = [await resident(seeded, wechat, f"r{i}") for i in range(3)]
    filed = [await file(seeded, program) for program in programs]
    urban = await staff_token(seeded, URBAN)
    replied = await act(seeded, REPLY, urban, appealId=filed[0]["id"], content="已劝离占道摊贩。")
    assert replied["status"] == "REPLIED", replied
    rated = await act(seeded, RATE, programs[0].token, appealId=filed[0]["id"], level="SATISFIED")
    assert rated["status"] == "CLOSED", rated

    after = await assert_same_as_rows(seeded, centre)
    assert after[1]["total"] == before[1]["total"] + 3
    assert after[1]["satisfaction"]["rated"] == before[1]["satisfaction"]["rated"] + 1
    assert after[1]["timeliness"]["replies"] == before[1]["timeliness"]["replies"] + 1
    # The rating closed the appeal: its row moved from open to replied.
    assert after[1]["open"] == before[1]["open"] + 2
    assert after[1]["replied"] == before[1]["replied"] + 1
    assert await AppealStat.filter(rated_satisfied__gt=0).exists()
