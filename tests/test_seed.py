"""Reference and demo data."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from api.seed import seed_demo, seed_regions
from storage.models.accounts import Account
from storage.models.catalogue import Department, PublicationStatus, Region, RegionLevel
from storage.models.scenarios import RecommendationRule, Scenario
from tests.conftest import RunningApp


async def test_chengdu_regions_follow_gb_t_2260(running: RunningApp) -> None:
    await seed_regions()

    city = await Region.get(code="510100")
    counties = await Region.filter(parent_id=city.id, level=RegionLevel.COUNTY, retired=False)
    zones = await Region.filter(level=RegionLevel.ZONE)
    retired = await Region.filter(retired=True).values_list("code", flat=True)

    assert city.name == "成都市"
    assert len(counties) == 20
    assert {z.name for z in zones} == {"成都高新区", "成都天府新区"}
    assert all(z.platform_code for z in zones)
    assert sorted(str(code) for code in retired) == ["510122", "510124", "510132"]
    assert await seed_regions() == 0  # idempotent


async def test_demo_data_gives_every_department_an_officer(running: RunningApp) -> None:
    counts = await seed_demo(running.settings)

    departments = await Department.all()
    assert counts["departments"] == len(departments) >= 40
    assert all(uscc.is_valid(d.code) for d in departments)
    for department in departments:
        assert await Account.exists(
            username=f"officer-{department.code.lower()}", department_id=department.id
        )
    assert await Account.exists(username="demo-admin")
    again = await seed_demo(running.settings)
    assert again["departments"] == 0  # never seeds twice
    assert (again["scenarios"], again["recommendationRules"]) == (0, 0)


async def test_a_database_seeded_earlier_gains_what_the_demo_added_since(
    running: RunningApp,
) -> None:
    """A database first seeded before some bundles and rules existed: seeding again adds
    the missing ones by code and leaves what staff changed alone."""
    await seed_demo(running.settings)
    await Scenario.filter(code="marriage").delete()
    await RecommendationRule.filter(code__in=["marriage-age", "everyone-id-card"]).delete()
    await RecommendationRule.filter(code="resident-pension-age").update(
        active=False, reason="员工改过的理由：{item}"
    )

    again = await seed_demo(running.settings)

    assert (again["scenarios"], again["recommendationRules"]) == (1, 2)
    assert await Scenario.filter(code="marriage", status=PublicationStatus.PUBLISHED).count() == 1
    assert (
        await RecommendationRule.filter(code__in=["marriage-age", "everyone-id-card"]).count() == 2
    )
    edited = await RecommendationRule.get(code="resident-pension-age")
    assert (edited.active, edited.reason) == (False, "员工改过的理由：{item}")
    assert (await seed_demo(running.settings))["scenarios"] == 0


async def test_demo_data_is_refused_when_switched_off(running: RunningApp) -> None:
    with pytest.raises(RuntimeError):
        await seed_demo(running.settings.model_copy(update={"demo_data": False}))
