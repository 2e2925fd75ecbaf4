"""Reference data (Chengdu's regions, the 12345 dispatch catalogue) and demo data
(departments, staff, catalogue, centres, terminals, the dispatch table) for an empty database."""

from __future__ import annotations

import json
import logging
import secrets
from datetime import UTC, datetime, time
from functools import lru_cache
from importlib import resources as package_files
from typing import Any

from api.resources import keyring_of
from resolvers.accounts.service import hash_password
from resolvers.appeals.dispatch import catalogue_problems
from resolvers.calendar.workdays import seed_from_chinesecalendar
from resolvers.catalogue.drafts import TerminalData
from resolvers.catalogue.importer import import_catalogue
from resolvers.catalogue.rules import implementation_code
from resolvers.catalogue.terminals import create_terminal
from resolvers.scenarios import service as scenarios
from resolvers.scenarios.definitions import check_references, read
from resolvers.scenarios.recommendations import reason_problems
from resolvers.settings import Settings
from storage.models.accounts import Account, Role
from storage.models.appeals import AppealCategory
from storage.models.catalogue import CentreLevel, Department, RegionLevel, TerminalPlacement
from storage.models.scenarios import RecommendationKind, RecommendationTarget
from storage.repositories import catalogue as catalogue_repo
from storage.repositories import hall as hall_repo
from storage.repositories import seed as repo
from storage.repositories.seed import ProviderRow, RegionRow, ServiceRow
from storage.transactions import atomic

log = logging.getLogger(__name__)

# Streets of the five central districts (real names); community names and every street and
# community code below are placeholders for the demo, not the statistical division codes.
DEMO_STREETS = {
    "510104": ["春熙路街道", "书院街街道", "合江亭街道"],
    "510105": ["少城街道", "草市街街道"],
    "510106": ["荷花池街道", "西安路街道"],
    "510107": ["玉林街道", "火车南站街道"],
    "510108": ["猛追湾街道", "府青路街道"],
}
COMMUNITIES_PER_STREET = 2
PLACEMENTS = list(TerminalPlacement)


def _seed_file(name: str) -> Any:
    text = package_files.files("storage").joinpath(f"seed/{name}").read_text("utf-8")
    return json.loads(text)


async def seed_regions() -> int:
    """Chengdu's region tree (GB/T 2260 counties, functional zones, retired codes). Idempotent."""
    rows = [
        RegionRow(
            code=row["code"],
            name=row["name"],
            level=RegionLevel(row["level"]),
            parent_code=row["parent"] or None,
            retired=row.get("retired", False),
            platform_code=row.get("platformCode", False),
        )
        for row in _seed_file("chengdu.json")["regions"]
    ]
    async with atomic():
        return await repo.add_missing_regions(rows)


async def seed_demo(settings: Settings) -> dict[str, int]:
    """Demo departments, staff (`demo-admin`, `officer-<department code>`), catalogue, centres
    and terminals. Only in dev mode, only into a database without departments."""
    if settings.is_production or not settings.demo_data:
        raise RuntimeError("demo data is only seeded in dev mode with RONGBAN_DEMO_DATA=true")
    counts = {"regions": await seed_regions(), "departments": 0, "staff": 0}
    counts["calendarDays"] = await seed_from_chinesecalendar()
    counts["appealCategories"] = await seed_appeal_categories()
    if await repo.departments_exist():
        log.info("departments exist: demo data already seeded; only reference rows are added")
        # Idempotent back-fills: what the demo gained since this database was first seeded.
        counts["themes"] = await seed_themes()
        counts.update(await _demo_scenarios(first_seed=False))
        counts["appealRoutes"] = await seed_appeal_routes()
        counts["guidesFilled"] = await _fill_demo_guides()
        counts.update(await _demo_hall(settings))
        return counts
    counts.update(await _departments_and_staff(settings))
    counts["communities"] = await _streets_and_communities()
    report = await import_catalogue(_seed_file("catalogue.json"))
    if report.errors:
        problems = "; ".join(f"{e.field}: {e.message}" for e in report.errors[:10])
        raise RuntimeError(f"the demo catalogue does not import: {problems}")
    counts.update(report.counts)
    counts.update(await _local_centres_and_terminals(settings))
    await _parallel_demo_item()
    counts["themes"] = await seed_themes()
    counts.update(await _demo_scenarios())
    counts["appealRoutes"] = await seed_appeal_routes()
    counts.update(await _demo_hall(settings))
    return counts


async def _demo_hall(settings: Settings) -> dict[str, int]:
    """Windows and weekday hours for the city and county centres; a MANAGER and a WINDOW
    account (`hall-manager-<region>`, `hall-window-<region>`) at the city centre and at 锦江区's,
    and a terminal in each of those two halls issuing walk-in tickets."""
    password_hash = _demo_hash(settings.demo_password.get_secret_value())
    staff_centres = {
        f"hall-{role.lower()}-{region}": (region, role)
        for region in ("510100", "510104")
        for role in ("MANAGER", "WINDOW")
    }
    return await hall_repo.add_demo_hall(
        windows=[("1", "综合受理", "A"), ("2", "综合受理", "A"), ("3", "综合受理", "A")],
        hours=[(weekday, time(9, 0), time(17, 0)) for weekday in range(5)],
        staff=[
            Account(
                username=username,
                display_name="演示中心管理员" if role == "MANAGER" else "演示窗口人员",
                roles=[Role.STAFF.value],
                password_hash=password_hash,
            )
            for username, (_, role) in staff_centres.items()
        ],
        staff_centres=staff_centres,
        terminal_centres=["510100", "510104"],
    )


async def _fill_demo_guides() -> int:
    """What the demo guides gained since a database was first seeded: department phones,
    centre windows, and the guides' FAQs, result samples, fee items and their departments'
    phones. Only empty values (and the first demo's hotline number) are filled, so whatever
    staff have written since stays."""
    catalogue = _seed_file("catalogue.json")
    phones = {row["code"]: row["phone"] for row in _seed_file("chengdu.json")["departments"]}
    changed = await catalogue_repo.fill_department_phones(phones)
    changed += await catalogue_repo.fill_centre_windows(
        {row["name"]: row["windows"] for row in catalogue["centres"] if row.get("windows")}
    )
    changed += await catalogue_repo.fill_guides(
        [
            {
                "code": implementation_code(
                    row["baseCode"], row["regionCode"], row["departmentCode"]
                ),
                "faqs": row.get("faqs", []),
                "resultSample": row.get("resultSample", ""),
                "feeItems": row.get("feeItems", []),
                "phone": row.get("phone", ""),
            }
            for row in catalogue["implementations"]
        ],
        # The first demo gave every guide the citizen hotline as its consultation phone.
        placeholder_phone="12345",
    )
    return changed


async def seed_themes() -> int:
    """The themes of both life cycles (国办发〔2025〕24号): reference data, also in production.
    Idempotent; the items listed under them are the catalogue's business (demo or `upsertTheme`)."""
    return await repo.add_missing_themes(
        [
            {
                "code": row["code"],
                "name": row["name"],
                "audience": row["audience"],
                "description": row["description"],
                "position": row["position"],
            }
            for row in _seed_file("scenarios.json")["themes"]
        ]
    )


async def _demo_scenarios(*, first_seed: bool = True) -> dict[str, int]:
    """The demo's theme items, scenario bundles (each checked as staff's would be, then
    published) and recommendation rules. After the first seed only what is missing by code is
    added: a bundle or rule staff have edited, archived or deactivated since stays as it is,
    and theme items are staff's (`upsertTheme`)."""
    data = _seed_file("scenarios.json")
    if first_seed:
        await repo.add_theme_items(
            [
                (row["code"], code, n)
                for row in data["themes"]
                for n, code in enumerate(row["items"])
            ]
        )
    rules = []
    for row in data["recommendationRules"]:
        if reason_problems(row["reason"]):
            raise RuntimeError(f"recommendation rule {row['code']}: unknown placeholder")
        rules.append(
            {
                "code": row["code"],
                "kind": RecommendationKind(row["kind"]),
                "target": RecommendationTarget(row["target"]),
                "target_code": row.get("targetCode", ""),
                "params": row["params"],
                "reason": row["reason"],
                "priority": row["priority"],
            }
        )
    added_rules = await repo.add_missing_recommendation_rules(rules)
    existing = set() if first_seed else await repo.scenario_codes()
    added_scenarios = 0
    for row in data["scenarios"]:
        if row["code"] in existing:
            continue
        definition, problems = read(row["definition"])
        references = None
        if definition is not None:
            references, problems = await check_references(definition)
        if definition is None or references is None:
            found = "; ".join(f"{p.field}: {p.message}" for p in problems[:5])
            raise RuntimeError(f"the demo scenario {row['code']} is invalid: {found}")
        await scenarios.create_published(
            row["code"], row["definition"], definition, references, datetime.now(UTC)
        )
        added_scenarios += 1
    return {"scenarios": added_scenarios, "recommendationRules": added_rules}


async def seed_appeal_categories() -> int:
    """The 12345 dispatch catalogue (reference data, also in production). Idempotent: only
    categories missing by code are added; edited ones are left alone. A catalogue larger
    than the API serves (see resolvers/appeals/dispatch.py) is refused whole."""
    have: dict[str, AppealCategory] = {c.code: c for c in await repo.appeal_categories()}
    created = 0
    async with atomic():
        for position, group in enumerate(_seed_file("appeals.json")["categories"]):
            parent = have.get(group["code"])
            if parent is None:
                parent = await repo.create_appeal_category(
                    None, **_category_fields(group, position)
                )
                have[parent.code] = parent
                created += 1
            for index, leaf in enumerate(group["children"]):
                if leaf["code"] in have:
                    continue
                have[leaf["code"]] = await repo.create_appeal_category(
                    parent, **_category_fields(leaf, index)
                )
                created += 1
        problems = catalogue_problems(list(have.values()))
        if problems:  # raised inside the transaction: nothing of this seed is kept
            raise RuntimeError(f"the dispatch catalogue is too large: {'; '.join(problems[:5])}")
    return created


def _category_fields(row: dict[str, Any], position: int) -> dict[str, Any]:
    return {
        "code": row["code"],
        "name": row["name"],
        "description": row.get("description", ""),
        "keywords": row.get("keywords", ""),
        "position": position,
        "sign_days": row.get("signDays"),
        "reply_days": row.get("replyDays"),
        "max_extension_days": row.get("maxExtensionDays"),
    }


async def seed_appeal_routes() -> int:
    """The demo dispatch table: it names the demo departments, so it is demo data."""
    return await repo.add_missing_appeal_routes(
        (row["category"], row["region"], row["department"])
        for row in _seed_file("appeals.json")["routes"]
    )


# The demo's 公共场所卫生许可 in 锦江区 is handled in parallel with the district's market
# regulator, so that `make run` shows 并行办理 (the catalogue file has no such item yet).
PARALLEL_DEMO = ("51000100020000", "510104")


async def _parallel_demo_item() -> None:
    await repo.add_cooperating_partner(*PARALLEL_DEMO)


async def _departments_and_staff(settings: Settings) -> dict[str, int]:
    regions = {r.code: r for r in await catalogue_repo.all_regions()}
    # One hash for every demo account: they share the demo password by design.
    password_hash = _demo_hash(settings.demo_password.get_secret_value())
    admin = Account(
        username="demo-admin",
        display_name="演示管理员",
        roles=[Role.ADMIN.value, Role.STAFF.value],
        password_hash=password_hash,
        region_id=regions["510100"].id,
    )
    # Reviews providers and their services: a role of named officers, not of every officer.
    reviewer = Account(
        username="demo-reviewer",
        display_name="演示审核员",
        roles=[Role.STAFF.value, Role.REVIEWER.value],
        password_hash=password_hash,
    )
    departments, staff = [], [admin, reviewer]
    for row in _seed_file("chengdu.json")["departments"]:
        region = regions[row["region"]]
        department = Department(
            code=row["code"], name=row["name"], region_id=region.id, phone=row.get("phone", "")
        )
        departments.append(department)
        staff.append(
            Account(
                username=f"officer-{row['code'].lower()}",
                display_name=f"{row['name']}工作人员",
                roles=[Role.STAFF.value],
                password_hash=password_hash,
                department_id=department.id,
                region_id=region.id,
            )
        )
    async with atomic():
        await repo.add_departments_and_staff(departments, staff)
    return {"departments": len(departments), "staff": len(staff)}


@lru_cache(maxsize=4)
def _demo_hash(password: str) -> str:
    return hash_password(password)  # argon2 is slow on purpose; once per process is enough


async def _streets_and_communities() -> int:
    counties = {r.code: r for r in await catalogue_repo.regions_by_codes(list(DEMO_STREETS))}
    communities = 0
    async with atomic():
        for county_code, streets in DEMO_STREETS.items():
            for s, street_name in enumerate(streets, start=1):
                street = await repo.create_region(
                    f"{county_code}{s:03d}000",
                    street_name,
                    RegionLevel.STREET,
                    counties[county_code].id,
                )
                for c in range(1, COMMUNITIES_PER_STREET + 1):
                    await repo.create_region(
                        f"{county_code}{s:03d}{c:03d}",
                        f"{street_name.removesuffix('街道')}第{'一二三四五'[c - 1]}社区",
                        RegionLevel.COMMUNITY,
                        street.id,
                    )
                    communities += 1
    return communities


async def _local_centres_and_terminals(settings: Settings) -> dict[str, int]:
    """A 便民服务中心 per demo street, a 党群服务中心 and a terminal per demo community, each
    offering the citywide items that residents most often need nearby."""
    keyring = keyring_of(settings)
    everyday_codes = sorted(await repo.published_citywide_codes(min_online_depth=3))[:12]
    county_centres = {c.region_id: c for c in await repo.centres_at_level(CentreLevel.COUNTY)}
    centres = terminals = 0
    for street in await repo.regions_at_level(RegionLevel.STREET):
        county = county_centres[street.parent_id]  # type: ignore[index]
        offset = int(street.code[6:9]) * 0.006
        centre = await catalogue_repo.create_centre(
            everyday_codes,
            name=f"{street.name}便民服务中心",
            level=CentreLevel.STREET,
            region_id=street.id,
            address=f"{street.name}便民服务中心",
            latitude=county.latitude + offset,
            longitude=county.longitude - offset,
            hours=county.hours,
            phone="12345",
        )
        centres += 1
        for index, community in enumerate(await catalogue_repo.region_children([street.id])):
            lat = centre.latitude + (index + 1) * 0.003
            lng = centre.longitude + (index + 1) * 0.002
            await catalogue_repo.create_centre(
                [],
                name=f"{community.name}党群服务中心",
                level=CentreLevel.COMMUNITY,
                region_id=community.id,
                address=f"{community.name}党群服务中心",
                latitude=lat,
                longitude=lng,
                hours="每日 9:00-18:00",
                phone="12345",
            )
            centres += 1
            await create_terminal(
                TerminalData(
                    code=f"T{community.code}",
                    name=f"{community.name}自助服务终端",
                    community_code=community.code,
                    placement=PLACEMENTS[terminals % len(PLACEMENTS)],
                    address=f"{community.name}党群服务中心一楼",
                    latitude=lat,
                    longitude=lng,
                    hours="全天",
                    service_codes=everyday_codes,
                ),
                community.id,
                # Demo terminals get a credential nobody knows; register a real one with
                # registerTerminal to try the TERMINAL sign-in.
                keyring.token_hash(secrets.token_urlsafe(32)),
            )
            terminals += 1
    return {"localCentres": centres, "terminals": terminals}


# -- demo providers: clearly marked （演示）, on the reserved .example domain

DEMO_PROVIDERS: list[dict[str, Any]] = [
    {
        "name": "成都自来水（演示）",
        "code": "91510100MA6RBD001",
        "services": [
            {
                "name": "自来水过户（演示）",
                "description": "二手房交易后在线办理自来水户名变更，上传不动产权证书，次日生效。",
                "category": "UTILITIES",
                "themes": ["HOUSING", "LIVING"],
                "regions": ["510100"],
                "hours": "全天受理",
                "link": ("H5", "https://water.rongban-demo.example/transfer", ""),
            }
        ],
    },
    {
        "name": "国网成都供电（演示）",
        "code": "91510100MA6RBD002",
        "services": [
            {
                "name": "电力过户（演示）",
                "description": "二手房电力户名变更，拨打供电服务热线办理，上门核验电表读数。",
                "category": "UTILITIES",
                "themes": ["HOUSING", "LIVING"],
                "regions": ["510100"],
                "hours": "全天 24 小时",
                "link": ("PHONE", "95598", ""),
            }
        ],
    },
    {
        "name": "成都燃气（演示）",
        "code": "91510100MA6RBD003",
        "services": [
            {
                "name": "燃气过户（演示）",
                "description": "在燃气公司小程序中提交过户申请，预约上门安检后完成燃气户名变更。",
                "category": "UTILITIES",
                "themes": ["HOUSING", "LIVING"],
                "regions": ["510100"],
                "hours": "周一至周日 8:30-17:30",
                "link": ("MINI_PROGRAM", "pages/transfer/index?from=rongban", "wxdemogas000000001"),
            }
        ],
    },
    {
        "name": "蓉城家政服务中心（演示）",
        "code": "91510100MA6RBD004",
        "services": [
            {
                "name": "家政保洁预约（演示）",
                "description": "日常保洁、开荒保洁和老人陪护预约，服务人员持证上岗，价格事先公示。",
                "category": "HOUSEKEEPING",
                "themes": ["LIVING", "ELDERLY"],
                "regions": ["510104", "510105", "510106", "510107", "510108"],
                "hours": "每日 8:00-20:00",
                "link": ("H5", "https://jiazheng.rongban-demo.example/book", ""),
            }
        ],
    },
]


async def seed_demo_providers(settings: Settings) -> dict[str, int]:
    """Approved demo providers with published social services (names marked （演示）, links
    on rongban-demo.example). Idempotent; dev mode only. Theme codes are written as codes:
    they show under the themes once the themes exist."""
    from stdnum.cn import uscc

    from storage.models.providers import (
        ContentCheck,
        LinkKind,
        ProviderCategory,
        ProviderServiceStatus,
        ProviderStatus,
    )

    if settings.is_production or not settings.demo_data:
        raise RuntimeError("demo data is only seeded in dev mode with RONGBAN_DEMO_DATA=true")
    if await repo.demo_providers_exist():
        return {"demoProviders": 0}
    keyring = keyring_of(settings)
    regions = {r.code: r.id for r in await catalogue_repo.all_regions()}
    services = 0
    async with atomic():
        owner = await repo.create_account(
            display_name="演示服务机构成员", roles=[Role.RESIDENT.value, Role.PROVIDER.value]
        )
        for row in DEMO_PROVIDERS:
            code = row["code"] + uscc.calc_check_digit(row["code"])
            provider_services = []
            for item in row["services"]:
                kind, target, app_id = item["link"]
                provider_services.append(
                    ServiceRow(
                        fields={
                            "name": item["name"],
                            "description": item["description"],
                            "category": ProviderCategory(item["category"]),
                            "opening_hours": item["hours"],
                            "link_kind": LinkKind(kind),
                            "link_target": target,
                            "link_app_id": app_id,
                            "status": ProviderServiceStatus.PUBLISHED,
                            # Demo text was never sent to WeChat: say so rather than claim a pass.
                            "content_check": ContentCheck.UNCHECKED,
                            "published_at": datetime.now(UTC),
                        },
                        theme_codes=item["themes"],
                        region_ids=[regions[r] for r in item["regions"] if r in regions],
                    )
                )
            await repo.add_provider(
                owner.id,
                ProviderRow(
                    fields={
                        "name": row["name"],
                        "credit_code": code,
                        "status": ProviderStatus.APPROVED,
                        "contact_name_sealed": keyring.seal(
                            "演示联系人", context="provider.contact_name"
                        ),
                        "contact_name_masked": "演*****",
                        "contact_phone_sealed": keyring.seal(
                            "02800000000", context="provider.contact_phone"
                        ),
                        "contact_phone_masked": "028****0000",
                        "demo": True,
                    },
                    services=provider_services,
                ),
            )
            services += len(provider_services)
    await _utilities_in_resale_home()
    return {"demoProviders": len(DEMO_PROVIDERS), "demoProviderServices": services}


async def _utilities_in_resale_home() -> None:
    """The demo's 二手房转移登记 (when the scenarios' demo data has it) offers 水电气过户: one more
    question, and the UTILITIES category when the answer is yes, as a new published version."""
    from resolvers.scenarios import service as scenarios
    from resolvers.scenarios.definitions import check_references, read
    from storage.repositories import scenarios as scenario_repo

    current = await scenario_repo.published_scenario("resale-home")
    if current is None or any("providerService" in i for i in current.definition["items"]):
        return
    raw = dict(current.definition)
    raw["questions"] = [
        *raw["questions"],
        {"code": "utilities", "text": "是否同时办理水电气过户？", "kind": "YES_NO"},
    ]
    raw["items"] = [
        *raw["items"],
        {"providerService": "UTILITIES", "when": {"question": "utilities", "equals": "YES"}},
    ]
    definition, problems = read(raw)
    references = None
    if definition is not None:
        references, problems = await check_references(definition)
    if definition is None or references is None:
        log.warning("demo 水电气过户 not added to resale-home: %s", problems[:3])
        return
    await scenarios.save_draft("resale-home", raw, definition, references, None)
    await scenarios.publish_draft("resale-home", datetime.now(UTC))
