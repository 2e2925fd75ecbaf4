"""Reference and demo data."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from api.seed import seed_demo, seed_regions
from storage.models.accounts import Account
from storage.models.catalogue import Department, Region, RegionLevel
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


async def test_demo_data_is_refused_when_switched_off(running: RunningApp) -> None:
    with pytest.raises(RuntimeError):
        await seed_demo(running.settings.model_copy(update={"demo_data": False}))
