"""Reference data (Chengdu's regions) and demo data (departments, staff), for an empty database."""

from __future__ import annotations

import json
import logging
from importlib import resources as package_files
from typing import Any

from tortoise.transactions import in_transaction

from api.settings import Settings
from resolvers.accounts.service import hash_password
from storage.models.accounts import Account, Role
from storage.models.catalogue import Department, Region, RegionLevel

log = logging.getLogger(__name__)


def _chengdu() -> dict[str, Any]:
    text = package_files.files("storage").joinpath("seed/chengdu.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


async def seed_regions() -> int:
    """Chengdu's region tree (GB/T 2260 counties, functional zones, retired codes). Idempotent."""
    created = 0
    by_code: dict[str, Region] = {r.code: r for r in await Region.all()}
    async with in_transaction():
        for row in _chengdu()["regions"]:
            if row["code"] in by_code:
                continue
            parent = by_code.get(row["parent"]) if row["parent"] else None
            by_code[row["code"]] = await Region.create(
                code=row["code"],
                name=row["name"],
                level=RegionLevel(row["level"]),
                parent=parent,
                retired=row.get("retired", False),
                platform_code=row.get("platformCode", False),
            )
            created += 1
    return created


async def seed_demo(settings: Settings) -> dict[str, int]:
    """Demo departments and staff accounts (`demo-admin`, `officer-<department code>`).

    Only in dev mode, only into a database without departments: never touches real data.
    """
    if settings.is_production or not settings.demo_data:
        raise RuntimeError("demo data is only seeded in dev mode with RONGBAN_DEMO_DATA=true")
    counts = {"regions": await seed_regions(), "departments": 0, "staff": 0}
    if await Department.exists():
        log.info("departments exist: demo data already seeded, nothing to do")
        return counts
    regions = {r.code: r for r in await Region.all()}
    # One hash for every demo account: they share the demo password by design.
    password_hash = hash_password(settings.demo_password.get_secret_value())
    async with in_transaction():
        await Account.create(
            username="demo-admin",
            display_name="演示管理员",
            roles=[Role.ADMIN.value, Role.STAFF.value],
            password_hash=password_hash,
            region=regions["510100"],
        )
        counts["staff"] += 1
        for row in _chengdu()["departments"]:
            region = regions[row["region"]]
            department = await Department.create(code=row["code"], name=row["name"], region=region)
            counts["departments"] += 1
            await Account.create(
                username=f"officer-{row['code'].lower()}",
                display_name=f"{row['name']}工作人员",
                roles=[Role.STAFF.value],
                password_hash=password_hash,
                department=department,
                region=region,
            )
            counts["staff"] += 1
    return counts
