"""appealInsights on a generated year: hot topics, weekly trends, a spike, timeliness and
satisfaction that agree with the rows, small groups suppressed, no resident's words or
identity in the answer, staff only."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import httpx
import pytest

from storage.models.appeals import Appeal, AppealRating, AppealReply, Satisfaction
from tests.appeals.conftest import (
    CENTRE,
    REPLY,
    URBAN,
    act,
    admin_token,
    file,
    resident,
    staff_token,
)
from tests.conftest import ON_POSTGRES, RunningApp, made_once
from tests.perf.appeals_year import Spike, generate
from tests.sql import count_statements

INSIGHTS = """
query($filter: AppealInsightFilter) { appealInsights(filter: $filter) {
  start end total open replied merged minGroupSize
  hotTopics { keyword count regions { code name count } }
  categoryTrends { code name points { weekStart count suppressed } }
  regionTrends { code name points { weekStart count suppressed } }
  spikes { categoryCode categoryName regionCode regionName weekStart count baseline ratio }
  timeliness { replies onTimeRate averageWorkingDays }
  satisfaction { rated satisfiedRate levels { level count } }
} }
"""
SUMMER = {"start": "2026-06-01", "end": "2026-08-30"}
# The same period as instants: China midnight of 1 June to China midnight after 30 August.
SUMMER_START = datetime(2026, 5, 31, 16, tzinfo=UTC)
SUMMER_END = datetime(2026, 8, 30, 16, tzinfo=UTC)
OUTAGE = Spike(
    category="0401",
    district="510106",  # 金牛区
    week_start=date(2026, 7, 13),
    count=30,
    text="金牛区供水管道爆裂，整个片区突然停水，已经一天没有自来水了。",
)
# One appeal whose rare words must never surface: a name and a door number.
LONE = Spike(
    "0301", "510104", date(2026, 7, 6), 1, "我叫欧阳震华，住锦江区某小区17栋，物业不修屋顶漏水。"
)


@pytest.fixture
async def year(seeded: RunningApp) -> RunningApp:
    if not ON_POSTGRES:
        pytest.skip(
            "the insight aggregates are rebuilt (rongban insights backfill) on PostgreSQL only"
        )
    keyring = seeded.resources.keyring
    await made_once(
        "a year of appeals", lambda: generate(keyring, count=2500, spikes=(OUTAGE, LONE))
    )
    return seeded


async def test_insights_on_a_generated_year(year: RunningApp) -> None:
    centre = await staff_token(year, CENTRE)

    data = (await year.gql.data(INSIGHTS, {"filter": SUMMER}, token=centre))["appealInsights"]

    in_summer = await Appeal.filter(
        submitted_at__gte=SUMMER_START, submitted_at__lt=SUMMER_END
    ).values_list("id", flat=True)
    assert data["total"] == len(in_summer)
    assert data["minGroupSize"] == 5
    # The outage is the week that stands out most, where it happened.
    assert len(data["spikes"]) <= 20
    top = data["spikes"][0]
    assert (top["categoryCode"], top["regionName"], top["weekStart"]) == (
        "0401",
        "金牛区",
        "2026-07-13",
    )
    assert top["count"] >= 30
    assert top["baseline"] < 3
    # Its words lead the hot topics of the summer, placed in 金牛区.
    topics = {t["keyword"]: t for t in data["hotTopics"]}
    assert next(iter(topics)) in ("停水", "自来水")
    assert topics["停水"]["regions"][0]["name"] == "金牛区"
    assert topics["停水"]["regions"][0]["count"] >= 30
    assert all(t["count"] >= 5 for t in data["hotTopics"])
    assert all(r["count"] >= 5 for t in data["hotTopics"] for r in t["regions"])
    # 13 weeks from Monday 1 June, per category group and per district.
    groups = {s["name"]: s for s in data["categoryTrends"]}
    assert len(groups["公用事业"]["points"]) == 13
    for series in data["categoryTrends"] + data["regionTrends"]:
        for point in series["points"]:
            assert point["suppressed"] == (point["count"] is None)
            assert point["count"] is None or point["count"] == 0 or point["count"] >= 5
    assert any(p["suppressed"] for s in data["regionTrends"] for p in s["points"])


async def test_timeliness_and_satisfaction_agree_with_the_rows(year: RunningApp) -> None:
    admin = await admin_token(year)

    data = (await year.gql.data(INSIGHTS, {"filter": SUMMER}, token=admin))["appealInsights"]

    ids = await Appeal.filter(
        submitted_at__gte=SUMMER_START, submitted_at__lt=SUMMER_END
    ).values_list("id", flat=True)
    replies = await AppealReply.filter(appeal_id__in=list(ids)).values_list(
        "on_time", "working_days"
    )
    rows = await AppealRating.filter(appeal_id__in=list(ids)).values_list("level", flat=True)
    levels = Counter(Satisfaction(str(level)) for level in rows)
    rated = sum(levels.values())
    assert data["timeliness"]["replies"] == len(replies)
    assert data["timeliness"]["onTimeRate"] == round(
        sum(1 for r in replies if r[0]) / len(replies), 4
    )
    assert data["timeliness"]["averageWorkingDays"] == round(
        sum(r[1] for r in replies) / len(replies), 2
    )
    assert 3.5 < data["timeliness"]["averageWorkingDays"] < 5  # Chengdu 2020: 4.24
    assert data["timeliness"]["onTimeRate"] > 0.9
    satisfied = levels[Satisfaction.SATISFIED] + levels[Satisfaction.BASICALLY_SATISFIED]
    assert data["satisfaction"]["rated"] == rated
    assert data["satisfaction"]["satisfiedRate"] == round(satisfied / rated, 4)


async def test_no_resident_can_be_read_out_of_the_insights(year: RunningApp) -> None:
    centre = await staff_token(year, CENTRE)

    whole = await year.gql(
        INSIGHTS, {"filter": {"start": "2026-07-06", "end": "2026-07-12"}}, token=centre
    )
    county = await year.gql(
        INSIGHTS,
        {
            "filter": {
                "start": "2026-07-06",
                "end": "2026-07-12",
                "regionCode": "510104",
                "categoryCode": "0301",
            }
        },
        token=centre,
    )

    for response in (whole, county):
        text = response.http.text
        assert "欧阳震华" not in text
        assert "17栋" not in text
        assert "漏水" not in text or "物业" in text  # only shared words, counted over groups
    assert county.data["appealInsights"]["hotTopics"] == []  # one appeal: nothing to show


async def test_the_filter_is_checked_and_only_staff_may_ask(year: RunningApp, wechat) -> None:
    centre = await staff_token(year, CENTRE)
    program = await resident(year, wechat, "a")

    street = await year.gql(
        INSIGHTS, {"filter": {**SUMMER, "regionCode": "510104001000"}}, token=centre
    )
    too_long = await year.gql(
        INSIGHTS, {"filter": {"start": "2025-01-01", "end": "2026-06-01"}}, token=centre
    )
    backwards = await year.gql(
        INSIGHTS, {"filter": {"start": "2026-06-01", "end": "2026-05-01"}}, token=centre
    )
    by_resident = await year.gql(INSIGHTS, {"filter": SUMMER}, token=program.token)
    county = await year.gql.data(
        INSIGHTS, {"filter": {**SUMMER, "regionCode": "510106"}}, token=centre
    )

    assert street.error_codes == ["BAD_USER_INPUT"]
    assert too_long.error_codes == ["BAD_USER_INPUT"]
    assert backwards.error_codes == ["BAD_USER_INPUT"]
    assert by_resident.error_codes == ["FORBIDDEN"]
    assert {s["name"] for s in county["appealInsights"]["regionTrends"]} == {"金牛区"}


async def test_answers_are_cached_as_aggregates(year: RunningApp) -> None:
    centre = await staff_token(year, CENTRE)
    await year.gql.data(INSIGHTS, {"filter": SUMMER}, token=centre)

    with count_statements() as again:
        await year.gql.data(INSIGHTS, {"filter": SUMMER}, token=centre)

    assert not any('FROM "appeal"' in text for text in again.texts), again.texts


FIGURES = "query($filter: AppealInsightFilter) { appealInsights(filter: $filter) { computedAt start end total open replied } }"


async def test_a_cached_answer_ends_with_the_next_filing_or_move(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    centre = await staff_token(seeded, CENTRE)
    urban = await staff_token(seeded, URBAN)
    first = await file(seeded, program, channel="WEB_HALL")

    before = (await seeded.gql.data(FIGURES, token=centre))["appealInsights"]
    again = (await seeded.gql.data(FIGURES, token=centre))["appealInsights"]
    await file(seeded, program, channel="WEB_HALL")
    unfiltered = (await seeded.gql.data(FIGURES, token=centre))["appealInsights"]
    period = {"start": unfiltered["start"], "end": unfiltered["end"]}
    filtered = (await seeded.gql.data(FIGURES, {"filter": period}, token=centre))["appealInsights"]
    await act(seeded, REPLY, urban, appealId=first["id"], content="已安排城管队员现场处置。")
    replied = (await seeded.gql.data(FIGURES, token=centre))["appealInsights"]

    assert again == before  # nothing changed: the cached answer, computed once
    assert (before["total"], before["open"], before["replied"]) == (1, 1, 0)
    assert (unfiltered["total"], unfiltered["open"]) == (2, 2)
    assert {k: v for k, v in filtered.items() if k != "computedAt"} == {
        k: v for k, v in unfiltered.items() if k != "computedAt"
    }
    assert unfiltered["computedAt"] > before["computedAt"]
    assert (replied["open"], replied["replied"]) == (1, 1)


async def test_the_answer_says_when_it_was_computed(year: RunningApp) -> None:
    centre = await staff_token(year, CENTRE)
    moment = datetime(2026, 9, 1, 2, tzinfo=UTC)
    year.resources.clock = lambda: moment

    data = (await year.gql.data(FIGURES, {"filter": SUMMER}, token=centre))["appealInsights"]

    assert datetime.fromisoformat(data["computedAt"]) == moment
