"""An appeal's growing lists take `first` (timeline, replies, ratings, merged appeals); the
dispatch catalogue and the insights never grow past their declared bounds."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

import api.seed
from resolvers.appeals import insights
from resolvers.appeals.dispatch import (
    MAX_CATEGORY_CHILDREN,
    MAX_CATEGORY_GROUPS,
    MAX_CATEGORY_KEYWORDS,
)
from schema.appeals.types import EVENTS, MERGED, ROUNDS
from storage.models.appeals import AppealCategory
from tests.appeals.conftest import (
    CENTRE,
    MERGE,
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
from tests.conftest import RunningApp, postgres_only
from tests.perf.appeals_year import generate

HISTORY = """query($id: ID!, $first: Int) {
  appeal(id: $id) {
    events(first: $first) { type }
    replies(first: $first) { content }
    ratings(first: $first) { level round }
    mergedAppeals(first: $first) { number }
  }
}"""
INSIGHT_SIZES = """query($filter: AppealInsightFilter) { appealInsights(filter: $filter) {
  hotTopics { regions { code } }
  categoryTrends { points { weekStart } }
  regionTrends { points { weekStart } }
  spikes { weekStart }
} }"""


async def _two_rounds(seeded: RunningApp, wechat: httpx.AsyncClient) -> tuple[Any, str, str]:
    """An appeal replied twice (the first reply rated 不满意), with two others merged in."""
    frozen(seeded, china(2026, 3, 2))
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)
    others = [await file(seeded, await resident(seeded, wechat, u)) for u in ("b", "c")]
    urban = await staff_token(seeded, URBAN)
    centre = await staff_token(seeded, CENTRE)
    merged = await act(
        seeded, MERGE, centre, targetId=appeal["id"], appealIds=[o["id"] for o in others]
    )
    assert merged["__typename"] == "Appeal", merged
    await act(seeded, REPLY, urban, appealId=appeal["id"], content="已劝离占道摊贩。")
    await act(seeded, RATE, program.token, appealId=appeal["id"], level="DISSATISFIED")
    await act(seeded, REPLY, urban, appealId=appeal["id"], content="已安排每晚巡查。")
    rated = await act(seeded, RATE, program.token, appealId=appeal["id"], level="SATISFIED")
    assert rated["status"] == "CLOSED", rated
    return program, appeal["id"], urban


async def test_an_appeals_history_takes_first(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, appeal_id, urban = await _two_rounds(seeded, wechat)

    everything = (await seeded.gql.data(HISTORY, {"id": appeal_id}, token=urban))["appeal"]
    one = (await seeded.gql.data(HISTORY, {"id": appeal_id, "first": 1}, token=urban))["appeal"]

    assert len(everything["events"]) > 4
    assert [r["content"] for r in everything["replies"]] == ["已劝离占道摊贩。", "已安排每晚巡查。"]
    assert [r["round"] for r in everything["ratings"]] == [1, 2]
    assert len(everything["mergedAppeals"]) == 2
    assert one == {key: value[:1] for key, value in everything.items()}


@pytest.mark.parametrize("first", [0, -1, ROUNDS.cap + 1, EVENTS.cap + 1, MERGED.cap + 1])
async def test_a_first_out_of_range_is_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient, first: int
) -> None:
    program = await resident(seeded, wechat, "a")
    appeal = await file(seeded, program)

    response = await seeded.gql(HISTORY, {"id": appeal["id"], "first": first}, token=program.token)

    assert "BAD_USER_INPUT" in response.error_codes
    assert all(e["extensions"]["field"] == "first" for e in response.errors)


async def test_the_demo_catalogue_fits_its_bounds(seeded: RunningApp) -> None:
    found = await seeded.gql.data("{ appealCategories { keywords children { keywords } } }")

    groups = found["appealCategories"]
    assert 0 < len(groups) <= MAX_CATEGORY_GROUPS
    assert all(len(g["children"]) <= MAX_CATEGORY_CHILDREN for g in groups)
    keywords = [len(c["keywords"]) for g in groups for c in g["children"]]
    assert 0 < max(keywords) <= MAX_CATEGORY_KEYWORDS


def _catalogue(groups: int, children: int, keywords: int) -> dict[str, Any]:
    return {
        "categories": [
            {
                "code": f"9{g:02d}",
                "name": f"测试分组{g}",
                "children": [
                    {
                        "code": f"9{g:02d}{c:02d}",
                        "name": f"测试类别{g}-{c}",
                        "keywords": ",".join(f"词{k}" for k in range(keywords)),
                    }
                    for c in range(children)
                ],
            }
            for g in range(groups)
        ]
    }


@pytest.mark.parametrize(
    "catalogue",
    [
        _catalogue(1, 1, MAX_CATEGORY_KEYWORDS + 1),
        _catalogue(1, MAX_CATEGORY_CHILDREN + 1, 1),
        _catalogue(MAX_CATEGORY_GROUPS, 1, 1),  # with the 14 groups already stored
    ],
)
async def test_the_seed_refuses_a_catalogue_past_its_bounds(
    seeded: RunningApp, monkeypatch: pytest.MonkeyPatch, catalogue: dict[str, Any]
) -> None:
    before = await AppealCategory.all().count()
    monkeypatch.setattr(api.seed, "_seed_file", lambda name: catalogue)

    with pytest.raises(RuntimeError, match="too large"):
        await api.seed.seed_appeal_categories()

    assert await AppealCategory.all().count() == before


async def test_the_seed_adds_a_catalogue_within_its_bounds(
    seeded: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        api.seed, "_seed_file", lambda name: _catalogue(1, 3, MAX_CATEGORY_KEYWORDS)
    )

    assert await api.seed.seed_appeal_categories() == 4


@postgres_only("the insight aggregates are rebuilt (rongban insights backfill) on PostgreSQL only")
async def test_the_widest_insights_fit_their_bounds(seeded: RunningApp) -> None:
    await generate(seeded.resources.keyring, count=400)
    centre = await staff_token(seeded, CENTRE)
    start = date(2025, 12, 28)  # a Sunday: the first week starts six days earlier
    end = start + timedelta(days=insights.MAX_DAYS)

    found = (
        await seeded.gql.data(
            INSIGHT_SIZES,
            {"filter": {"start": start.isoformat(), "end": end.isoformat()}},
            token=centre,
        )
    )["appealInsights"]

    series = found["categoryTrends"] + found["regionTrends"]
    assert series
    assert {len(s["points"]) for s in series} == {insights.MAX_WEEKS}
    assert len(found["categoryTrends"]) <= MAX_CATEGORY_GROUPS
    assert len(found["regionTrends"]) <= insights.MAX_DISTRICT_SERIES
    assert len(found["hotTopics"]) <= insights.TOP_TOPICS
    assert all(len(t["regions"]) <= insights.TOP_REGIONS_PER_TOPIC for t in found["hotTopics"])
    assert len(found["spikes"]) <= insights.TOP_SPIKES
