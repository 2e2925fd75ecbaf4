"""Scale data for benchmarks: 4,336 communities each with a terminal, 5,000 implementations and
300 centres, on top of the demo data. Synthetic by construction (names say so); never seeded
outside a benchmark database."""

from __future__ import annotations

import random
import secrets
from uuid import uuid4

from tortoise.transactions import in_transaction

from storage.models.accounts import Account, Role
from storage.models.catalogue import (
    BaseItem,
    CentreLevel,
    Department,
    HandlingType,
    Implementation,
    ItemKind,
    ItemType,
    Material,
    MaterialSource,
    Necessity,
    PublicationStatus,
    Region,
    RegionLevel,
    Scope,
    ServiceCentre,
    Terminal,
    TerminalPlacement,
    TerminalService,
)

COMMUNITIES = 4336
IMPLEMENTATIONS = 5000
CENTRES = 300
SUBJECTS = [
    "建筑",
    "餐饮",
    "医疗",
    "教育",
    "交通",
    "环保",
    "水务",
    "林业",
    "农业",
    "文化",
    "体育",
    "旅游",
    "养老",
    "托育",
    "物流",
    "电力",
    "燃气",
    "通信",
    "广告",
    "商贸",
    "药品",
    "食品",
    "消防",
    "人防",
]
ACTIONS = ["许可", "备案", "登记", "审批", "核准", "变更", "注销", "延续", "年检", "补办", "认定"]


async def generate(seed: int = 2018) -> dict[str, int]:
    rng = random.Random(seed)
    counties = await Region.filter(level__in=(RegionLevel.COUNTY, RegionLevel.ZONE), retired=False)
    departments = {d.region_id: d for d in await Department.all().order_by("code")}
    city = await Region.get(code="510100")
    async with in_transaction():
        communities = await _communities(counties, rng)
        base_items = await _base_items(rng)
        guides = await _implementations(base_items, counties, city, departments, rng)
        centres = await _centres(counties, rng)
        terminals = await _terminals(
            communities, [g.code for g in guides if g.scope is Scope.CITYWIDE], rng
        )
    return {
        "communities": len(communities),
        "implementations": len(guides),
        "centres": centres,
        "terminals": terminals,
    }


async def _communities(counties: list[Region], rng: random.Random) -> list[Region]:
    streets: list[Region] = []
    communities: list[Region] = []
    per_county = -(-COMMUNITIES // len(counties))
    for county in counties:
        for s in range(1, 11):
            street = Region(
                id=uuid4(),
                code=f"{county.code}{900 + s:03d}000",
                name=f"{county.name}规模测试街道{s}",
                level=RegionLevel.STREET,
                parent_id=county.id,
            )
            streets.append(street)
            for c in range(1, per_county // 10 + 2):
                if len(communities) >= COMMUNITIES:
                    break
                communities.append(
                    Region(
                        id=uuid4(),
                        code=f"{county.code}{900 + s:03d}{c:03d}",
                        name=f"{street.name}第{c}社区",
                        level=RegionLevel.COMMUNITY,
                        parent_id=street.id,
                    )
                )
    await Region.bulk_create(streets, batch_size=1000)
    await Region.bulk_create(communities, batch_size=1000)
    return communities


async def _base_items(rng: random.Random) -> list[BaseItem]:
    items = []
    for n, (subject, action) in enumerate((s, a) for s in SUBJECTS for a in ACTIONS):
        public = n % 4 == 0
        items.append(
            BaseItem(
                id=uuid4(),
                basic_code=f"5199{'20' if public else '01'}{n:04d}0000",
                name=f"{subject}{action}（规模测试）",
                kind=ItemKind.PUBLIC_SERVICE if public else ItemKind.ADMINISTRATIVE_POWER,
                item_type=ItemType.PUBLIC_SERVICE if public else ItemType.LICENSING,
                legal_basis=f"《{subject}管理条例》（规模测试数据）",
                steps=[{"name": "申请"}, {"name": "审核"}, {"name": "办结"}],
                audiences=[1, 2],
                keywords=[subject],
            )
        )
    await BaseItem.bulk_create(items, batch_size=500)
    return items


async def _implementations(base_items, counties, city, departments, rng) -> list[Implementation]:
    regions = [*counties, city]
    guides, materials = [], []
    for n in range(IMPLEMENTATIONS):
        base = base_items[n % len(base_items)]
        region = regions[(n // len(base_items)) % len(regions)]
        department = departments.get(region.id) or next(iter(departments.values()))
        visits = rng.choice([0, 0, 1, 1, 1, 2])
        guide = Implementation(
            id=uuid4(),
            code=f"{base.basic_code}-{region.code.ljust(12, '0')}-000-{department.code}-{n}-00",
            version=1,
            status=PublicationStatus.PUBLISHED,
            base_id=base.id,
            region_id=region.id,
            department_id=department.id,
            kind=base.kind,
            item_type=base.item_type,
            for_persons=True,
            for_organisations=True,
            name=base.name,
            legal_basis=base.legal_basis,
            steps=base.steps,
            conditions="规模测试数据。",
            statutory_days=20,
            promised_days=rng.randint(1, 20),
            handling_type=HandlingType.PROMISED,
            visits=visits,
            visit_reason="现场核验" if visits else "",
            online_depth=4 if visits == 0 else rng.choice([2, 3]),
            channels=["MINI_PROGRAM", "SERVICE_HALL"],
            scope=Scope.CITYWIDE if n % 5 == 0 else Scope.REGION,
            address=f"{region.name}政务服务中心",
            hours="工作日 9:00-17:00",
            phone="12345",
            complaint_phone="12345",
            result_name="批准文书",
        )
        guides.append(guide)
        for p in range(4):
            materials.append(
                Material(
                    implementation_id=guide.id,
                    position=p,
                    name=f"材料{p + 1}",
                    necessity=Necessity.REQUIRED,
                    source=MaterialSource.APPLICANT,
                    document_kind="OTHER",
                )
            )
    await Implementation.bulk_create(guides, batch_size=500)
    await Material.bulk_create(materials, batch_size=2000)
    return guides


async def _centres(counties, rng) -> int:
    existing = await ServiceCentre.all().count()
    centres = []
    for n in range(max(0, CENTRES - existing)):
        county = counties[n % len(counties)]
        centres.append(
            ServiceCentre(
                name=f"{county.name}规模测试便民服务中心{n}",
                level=CentreLevel.STREET,
                region_id=county.id,
                address="规模测试地址",
                latitude=30.3 + rng.random() * 0.8,
                longitude=103.5 + rng.random() * 1.2,
                hours="工作日",
                phone="12345",
                accepts_citywide=n % 3 == 0,
            )
        )
    await ServiceCentre.bulk_create(centres, batch_size=500)
    return existing + len(centres)


async def _terminals(communities, citywide_codes, rng) -> int:
    accounts, terminals, services = [], [], []
    for n, community in enumerate(communities):
        account = Account(id=uuid4(), roles=[Role.TERMINAL.value], display_name=f"终端{n}")
        accounts.append(account)
        terminal = Terminal(
            id=uuid4(),
            code=f"TS{n:05d}",
            name=f"{community.name}自助终端",
            community_id=community.id,
            placement=list(TerminalPlacement)[n % 4],
            address="规模测试地址",
            latitude=30.3 + rng.random() * 0.8,
            longitude=103.5 + rng.random() * 1.2,
            account_id=account.id,
            credential_hash=secrets.token_hex(32),
        )
        terminals.append(terminal)
        for code in rng.sample(citywide_codes, min(8, len(citywide_codes))):
            services.append(TerminalService(terminal_id=terminal.id, implementation_code=code))
    await Account.bulk_create(accounts, batch_size=1000)
    await Terminal.bulk_create(terminals, batch_size=1000)
    await TerminalService.bulk_create(services, batch_size=5000)
    return len(terminals)
