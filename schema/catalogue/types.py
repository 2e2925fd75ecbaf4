"""The catalogue as GraphQL types: regions, departments, services (guides), articles, centres,
terminals, and the staff mutations' inputs, results and errors."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from typing import Annotated, Any, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from resolvers import policy
from resolvers.catalogue.drafts import (
    MAX_ARTICLE_ITEMS,
    MAX_COOPERATING_DEPARTMENTS,
    MAX_FAQS,
    MAX_FEE_EXEMPTIONS,
    MAX_FEE_ITEMS,
    MAX_KEYWORDS,
    MAX_MATERIALS,
    MAX_STEPS,
    MAX_TERMINAL_SERVICES,
    fee_text,
)
from resolvers.catalogue.errors import (
    MAX_VIOLATIONS,
    CatalogueError,
    CatalogueErrorCode,
    Violation,
)
from resolvers.catalogue.rules import Divergence, basic_code_of
from resolvers.catalogue.service import (
    MAX_HANDLING_CENTRES,
    Audience,
    FileLink,
    MaterialFileRole,
    Placed,
    Stats,
    file_link,
)
from schema.context import Info
from schema.cost import bounded
from schema.errors import UserError
from schema.loaders import known_or_load, then
from schema.pagination import Connection, ListLimit
from storage.models import catalogue as models
from storage.models.catalogue import (
    ArticleKind,
    CentreLevel,
    Channel,
    HandlingType,
    ItemKind,
    ItemType,
    MaterialSource,
    Necessity,
    PublicationStatus,
    RegionLevel,
    Scope,
    ServiceObject,
    TerminalPlacement,
    TerminalStatus,
)
from storage.models.payments import ChargeStage

strawberry.enum(
    RegionLevel,
    description=(
        "CITY 市, COUNTY 区县, ZONE 功能区 (no GB/T 2260 code), STREET 街道/乡镇, COMMUNITY 社区/村"
    ),
)
strawberry.enum(ItemKind, description="两张清单: 行政权力 or 公共服务")
strawberry.enum(
    ItemType,
    description=(
        "事项类型: 01 行政许可 … 10 其他行政权力, 20 公共服务 (the value is the national code)"
    ),
)
strawberry.enum(ServiceObject, description="服务对象 (the value is the national code)")
strawberry.enum(Audience, description="PERSON: 自然人; ORGANISATION: any kind of organisation")
strawberry.enum(HandlingType, description="IMMEDIATE 即办件, PROMISED 承诺件")
strawberry.enum(Scope, description="通办范围; CITYWIDE items can be handled at any citywide centre")
strawberry.enum(Channel)
# A channel by its stored value, without the enum's call machinery (a card or guide names a
# handful).
_CHANNELS = {channel.value: channel for channel in Channel}
strawberry.enum(PublicationStatus)
strawberry.enum(Necessity, description="DEFERRABLE: 容缺后补, accepted now and supplied later")
strawberry.enum(
    MaterialSource, description="GOVERNMENT: issued by a department, taken from the wallet"
)
strawberry.enum(ArticleKind)
strawberry.enum(CentreLevel)
strawberry.enum(TerminalPlacement)
strawberry.enum(TerminalStatus)
strawberry.enum(Divergence, description="三级四同: what differs from the base item")
strawberry.enum(CatalogueErrorCode)
strawberry.enum(
    MaterialFileRole, description="BLANK_FORM: 空白表格 to fill in; SAMPLE: 示例样表, filled in"
)

# The region tree below one region: a county has a few dozen streets, a street a few dozen
# communities; every level fits in one answer.
REGIONS = ListLimit(default=100, cap=100)
# All departments, or one region's (the demo city has 84; a region's fit with room to spare).
DEPARTMENTS = ListLimit(default=100, cap=200)
# Staff's 三级四同 report of a region and everything below it, by implementation code.
DIVERGENCES = ListLimit(default=100, cap=200)


strawberry.enum(
    ChargeStage,
    description="When a fee is charged; the application does not move past that step unpaid.",
)


@strawberry.type(description="A region of the GB/T 2260 tree, with streets and communities below.")
class Region:
    code: str = strawberry.field(description="6 digits (GB/T 2260) or 12 (street, community)")
    name: str
    level: RegionLevel
    platform_code: bool = strawberry.field(
        description="true when `code` is the platform's own (functional zones), not GB/T 2260"
    )
    _model: strawberry.Private[models.Region]

    @classmethod
    def of(cls, model: models.Region) -> Self:
        return cls(
            code=model.code,
            name=model.name,
            level=model.level,
            platform_code=model.platform_code,
            _model=model,
        )

    @strawberry.field
    async def parent(self, info: Info) -> Region | None:
        if self._model.parent_id is None:
            return None
        parent = await info.context.loaders.region.load(self._model.parent_id)
        return Region.of(parent) if parent else None

    @strawberry.field(
        directives=REGIONS.directives,
        description=REGIONS.describe("Current (not retired) regions directly below, by code."),
    )
    async def children(self, info: Info, first: int | None = REGIONS.default) -> list[Region]:
        size = REGIONS.size(first)
        rows = await info.context.loaders.region_children.load(self._model.id)
        return [Region.of(row) for row in rows[:size]]


@strawberry.type(description="A government organ, identified by its unified social credit code.")
class Department:
    code: str = strawberry.field(description="unified social credit code (GB 32100), 18 characters")
    name: str
    _model: strawberry.Private[models.Department]

    @classmethod
    def of(cls, model: models.Department) -> Self:
        return cls(code=model.code, name=model.name, _model=model)

    @strawberry.field(graphql_type=Region)
    def region(self, info: Info) -> Region | Awaitable[Region]:
        return then(info.context.loaders.region_or_load(self._model.region_id), _region)


def _region(row: models.Region | None) -> Region:
    assert row is not None  # a foreign key with RESTRICT
    return Region.of(row)


def _department(row: models.Department | None) -> Department:
    assert row is not None  # a foreign key with RESTRICT
    return Department.of(row)


def _materials(rows: list[models.Material]) -> list[Material]:
    return [Material.of(row) for row in rows]


_NO_ID = UUID(int=0)


def _uuid(node_id: object) -> UUID:
    """A node id's UUID; malformed ids become one that matches nothing."""
    try:
        return UUID(str(node_id))
    except ValueError:
        return _NO_ID


@strawberry.type
class Step:
    name: str
    description: str


@strawberry.type(description="One question residents often ask, with its answer.")
class Faq:
    question: str
    answer: str


@strawberry.type(description="A file to download: the URL works until `expiresAt`, for anyone.")
class MaterialFile:
    url: str
    expires_at: datetime
    file_name: str
    content_type: str
    size: int = strawberry.field(description="bytes")

    @classmethod
    def of(cls, link: FileLink | None) -> Self | None:
        if link is None:
            return None
        return cls(
            url=link.url,
            expires_at=link.expires_at,
            file_name=link.file_name,
            content_type=link.content_type,
            size=link.size,
        )


@strawberry.type(description="A material the guide asks for.")
class Material:
    name: str
    necessity: Necessity
    source: MaterialSource
    document_kind: str | None = strawberry.field(
        description="The wallet's DocumentKind that satisfies it (ID_CARD_FRONT, ...)."
    )
    issuing_item_code: str | None = strawberry.field(
        description="For GOVERNMENT materials: the basic code of the item that issues it."
    )
    original: bool = strawberry.field(description="The original must be shown.")
    copies: int
    note: str
    _model: strawberry.Private[models.Material]

    @classmethod
    def of(cls, row: models.Material) -> Self:
        return cls(
            name=row.name,
            necessity=row.necessity,
            source=row.source,
            document_kind=row.document_kind,
            issuing_item_code=row.issuing_item_code,
            original=row.original,
            copies=row.copies,
            note=row.note,
            _model=row,
        )

    @strawberry.field(description="空白表格: the form to fill in, when staff attached one.")
    async def blank_form(self, info: Info) -> MaterialFile | None:
        return MaterialFile.of(await file_link(info.context.resources, self._model.blank_form))

    @strawberry.field(description="示例样表: a filled-in sample, when staff attached one.")
    async def sample(self, info: Info) -> MaterialFile | None:
        return MaterialFile.of(await file_link(info.context.resources, self._model.sample))


@strawberry.type(description="One charge: its amount in fen (分) per unit, and the law behind it.")
class FeeItem:
    name: str
    amount_fen: int = strawberry.field(description="1 yuan = 100 fen")
    unit: str = strawberry.field(description="What one amount pays for (证, 件); may be empty.")
    legal_basis: str
    charged_at: ChargeStage | None = strawberry.field(
        default=None, description="When it is charged; null: once the window accepted."
    )
    charging_department: str | None = strawberry.field(
        default=None, description="执收单位's credit code; null: the item's own department."
    )
    exemptions: list[FeeExemptionRule] = strawberry.field(
        default_factory=list,
        directives=bounded(MAX_FEE_EXEMPTIONS),
        description=f"Rules that waive it (e.g. DIBAO 低保); at most {MAX_FEE_EXEMPTIONS}.",
    )


@strawberry.type(description="A rule that waives a fee item, with its basis.")
class FeeExemptionRule:
    code: str
    name: str
    basis: str


@strawberry.type(description="A standard item of the basic catalogue (基本目录).")
class BaseItem:
    basic_code: str
    name: str
    kind: ItemKind
    item_type: ItemType
    legal_basis: str
    steps: list[Step] = strawberry.field(
        directives=bounded(MAX_STEPS), description=f"办理流程; at most {MAX_STEPS}."
    )
    audiences: list[ServiceObject] = strawberry.field(
        directives=bounded(len(ServiceObject)), description="服务对象, each once."
    )
    keywords: list[str] = strawberry.field(
        directives=bounded(MAX_KEYWORDS), description=f"Search synonyms; at most {MAX_KEYWORDS}."
    )

    @classmethod
    def of(cls, row: models.BaseItem) -> Self:
        return cls(
            basic_code=row.basic_code,
            name=row.name,
            kind=row.kind,
            item_type=row.item_type,
            legal_basis=row.legal_basis,
            steps=[
                Step(name=s.get("name", ""), description=s.get("description", ""))
                for s in row.steps
            ],
            audiences=[ServiceObject(a) for a in row.audiences],
            keywords=list(row.keywords),
        )


# A guide's fields read from its JSON and fee items: resolved only when asked for, since a
# search's page of cards asks for none of them, and its rows keep their JSON as text until read
# (resolvers/catalogue/guides.py).
def _fee_text(root: Service) -> str:
    row = root._model
    return row.fee or fee_text(row.fee_items) or "免费"


def _channels(root: Service) -> list[Channel]:
    return [_CHANNELS[c] for c in root._model.channels]


def _faqs(root: Service) -> list[Faq]:
    return [Faq(question=f["question"], answer=f["answer"]) for f in root._model.faqs]


@strawberry.type(
    description=(
        "One region's implementation of an item: its complete guide (办事指南). All time limits "
        "are in working days."
    )
)
class Service(relay.Node):
    id: relay.NodeID[str]
    code: str = strawberry.field(description="Implementation code (实施编码).")
    name: str
    kind: ItemKind
    item_type: ItemType
    legal_basis: str
    conditions: str = strawberry.field(description="受理条件")
    statutory_days: int = strawberry.field(description="法定办结时限, working days")
    promised_days: int = strawberry.field(description="承诺办结时限, working days")
    handling_type: HandlingType
    fee: str = strawberry.field(
        resolver=_fee_text,
        description="The fee as text; 免费 when free of charge.",
        deprecation_reason="Use `isFree` and `feeItems`.",
    )
    fee_basis: str = strawberry.field(
        description="The legal basis of the fee, as text.",
        deprecation_reason="Each of `feeItems` names its own legal basis.",
    )
    visits: int = strawberry.field(description="到现场次数: 0 零跑路, 1 仅跑一次")
    visit_reason: str
    online_depth: int = strawberry.field(
        description=(
            "网办深度: 1 published, 2 forms downloadable, 3 online submission with a visit, "
            "4 fully online"
        )
    )
    channels: list[Channel] = strawberry.field(
        resolver=_channels, directives=bounded(len(Channel)), description="办理渠道, each once."
    )
    scope: Scope
    address: str
    hours: str
    phone: str = strawberry.field(description="咨询电话")
    complaint_phone: str = strawberry.field(description="监督投诉电话")
    result_name: str
    result_sample: str
    faqs: list[Faq] = strawberry.field(
        resolver=_faqs, directives=bounded(MAX_FAQS), description=f"At most {MAX_FAQS}."
    )
    version: int
    status: PublicationStatus
    valid_from: date | None
    valid_until: date | None
    published_at: datetime | None
    _model: strawberry.Private[models.Implementation]
    # The guide's materials when they were read with it (a guide by code), else None: then
    # the request's loader reads them.
    _known_materials: strawberry.Private[list[models.Material] | None] = None

    @classmethod
    def of(cls, row: models.Implementation, materials: list[models.Material] | None = None) -> Self:
        return cls(
            id=str(row.id),
            code=row.code,
            name=row.name,
            kind=row.kind,
            item_type=row.item_type,
            legal_basis=row.legal_basis,
            conditions=row.conditions,
            statutory_days=row.statutory_days,
            promised_days=row.promised_days,
            handling_type=row.handling_type,
            fee_basis=row.fee_basis,
            visits=row.visits,
            visit_reason=row.visit_reason,
            online_depth=row.online_depth,
            scope=row.scope,
            address=row.address,
            hours=row.hours,
            phone=row.phone,
            complaint_phone=row.complaint_phone,
            result_name=row.result_name,
            result_sample=row.result_sample,
            version=row.version,
            status=row.status,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            published_at=row.published_at,
            _model=row,
            _known_materials=materials,
        )

    @strawberry.field(description="The basic code shared by every region's implementation.")
    def base_code(self) -> str:
        return basic_code_of(self._model.code)

    @strawberry.field(description="Free of charge: no fee items and no fee text.")
    def is_free(self) -> bool:
        return not self._model.fee_items and not self._model.fee.strip()

    @strawberry.field(
        directives=bounded(MAX_FEE_ITEMS),
        description=(
            f"What is charged, item by item; [] when free (see `isFree`). At most {MAX_FEE_ITEMS}."
        ),
    )
    def fee_items(self) -> list[FeeItem]:
        return [
            FeeItem(
                name=item["name"],
                amount_fen=int(item["amountFen"]),
                unit=item.get("unit", ""),
                legal_basis=item["legalBasis"],
                charged_at=ChargeStage(item["chargedAt"]) if item.get("chargedAt") else None,
                charging_department=item.get("chargingDepartment") or None,
                exemptions=[
                    FeeExemptionRule(
                        code=str(e.get("code", "")),
                        name=str(e.get("name", "")),
                        basis=str(e.get("basis", "")),
                    )
                    for e in (item.get("exemptions") or [])[:MAX_FEE_EXEMPTIONS]
                ],
            )
            for item in self._model.fee_items
        ]

    @strawberry.field(
        description="咨询电话: the guide's own, else its department's; empty when neither has one."
    )
    async def consultation_phone(self, info: Info) -> str:
        if self._model.phone.strip():
            return self._model.phone
        row = await info.context.loaders.department.load(self._model.department_id)
        return row.phone if row else ""

    @strawberry.field(
        directives=bounded(MAX_HANDLING_CENTRES),
        description=(
            "办理地点: the centres that handle it (the city's first, then by level and name; "
            f"at most {MAX_HANDLING_CENTRES}). For the nearest, ask `serviceCentres` with "
            "`serviceCode` and `near`."
        ),
    )
    async def handling_centres(self, info: Info) -> list[ServiceCentre]:
        row = self._model
        rows = await info.context.loaders.handling_centres.load(
            (row.code, row.region_id, row.scope is not models.Scope.REGION)
        )
        return [ServiceCentre.of(Placed(centre, None)) for centre in rows]

    @strawberry.field(directives=bounded(MAX_STEPS), description=f"办理流程; at most {MAX_STEPS}.")
    def steps(self) -> list[Step]:
        return [
            Step(name=s.get("name", ""), description=s.get("description", ""))
            for s in self._model.steps
        ]

    @strawberry.field(graphql_type=Department)
    def department(self, info: Info) -> Department | Awaitable[Department]:
        return then(info.context.loaders.department_or_load(self._model.department_id), _department)

    @strawberry.field(graphql_type=Region)
    def region(self, info: Info) -> Region | Awaitable[Region]:
        return then(info.context.loaders.region_or_load(self._model.region_id), _region)

    @strawberry.field(directives=bounded(len(ServiceObject)), description="服务对象, each once.")
    async def audiences(self, info: Info) -> list[ServiceObject]:
        base = await info.context.loaders.base_item.load(self._model.base_id)
        return [ServiceObject(a) for a in base.audiences] if base else []

    @strawberry.field(
        graphql_type=list[Material],
        directives=bounded(MAX_MATERIALS),
        description=f"At most {MAX_MATERIALS}.",
    )
    def materials(self, info: Info) -> list[Material] | Awaitable[list[Material]]:
        if self._known_materials is not None:
            return _materials(self._known_materials)
        return then(known_or_load(info.context.loaders.materials, self._model.id), _materials)

    @strawberry.field(
        directives=bounded(MAX_COOPERATING_DEPARTMENTS),
        description=(
            "Organs that handle their part in parallel (credit codes); at most "
            f"{MAX_COOPERATING_DEPARTMENTS}."
        ),
    )
    def cooperating_departments(self) -> list[str]:
        return list(self._model.cooperating_departments)

    @strawberry.field(description="JSON Schema of the application form, when it has one.")
    def form_schema(self) -> JSON | None:
        return self._model.form_schema  # type: ignore[return-value]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[Self | None]:
        # Residents see published versions; staff also drafts and history.
        staff = await policy.allows(
            info.context.resources, info.context.principal, policy.Action.CATALOGUE_DRAFTS_READ
        )
        rows = await info.context.loaders.implementation.load_many([_uuid(i) for i in node_ids])
        return [
            cls.of(row)
            if row is not None and (staff or row.status is PublicationStatus.PUBLISHED)
            else None
            for row in rows
        ]


@strawberry.type
class ServiceConnection(Connection[Service]):
    _total: strawberry.Private[Any]

    @strawberry.field(description="How many services match, across all pages.")
    async def total_count(self) -> int:
        return int(await self._total())


@strawberry.type(description="One-visit and online shares of a region's catalogue (plan task 四).")
class ServiceStats:
    total: int
    at_most_one_visit_share: float = strawberry.field(description="share with visits <= 1")
    zero_visit_share: float
    fully_online_share: float = strawberry.field(description="share with online depth 4")
    citywide_count: int = strawberry.field(description="items handled at any citywide centre")
    meets_one_visit_target: bool = strawberry.field(description="at most one visit for >= 80%")

    @classmethod
    def of(cls, stats: Stats) -> Self:
        one = stats.share(stats.at_most_one_visit)
        return cls(
            total=stats.total,
            at_most_one_visit_share=one,
            zero_visit_share=stats.share(stats.zero_visits),
            fully_online_share=stats.share(stats.fully_online),
            citywide_count=stats.citywide,
            meets_one_visit_target=stats.total > 0 and one >= 0.8,
        )


@strawberry.type(description="An implementation that differs from its base item (三级四同).")
class CatalogueDivergence:
    service: Service
    fields: list[Divergence] = strawberry.field(
        directives=bounded(len(Divergence)), description="What differs, each once."
    )
    justification: str


@strawberry.type
class GeoPoint:
    lat: float
    lng: float


@strawberry.input(description="A point in GCJ-02 as WeChat's wx.getLocation gives it.")
class GeoPointInput:
    lat: float
    lng: float


@strawberry.type(description="A law, policy, notice, guide, review rule, FAQ or complaint channel.")
class Article(relay.Node):
    id: relay.NodeID[str]
    kind: ArticleKind
    title: str
    body: str
    issuer: str
    issued_on: date | None
    updated_at: datetime
    _model: strawberry.Private[models.Article]

    @classmethod
    def of(cls, row: models.Article) -> Self:
        return cls(
            id=str(row.id),
            kind=row.kind,
            title=row.title,
            body=row.body,
            issuer=row.issuer,
            issued_on=row.issued_on,
            updated_at=row.updated_at,
            _model=row,
        )

    @strawberry.field(
        directives=bounded(MAX_ARTICLE_ITEMS),
        description=f"Basic codes of the items it concerns; at most {MAX_ARTICLE_ITEMS}.",
    )
    async def item_codes(self, info: Info) -> list[str]:
        rows = await info.context.loaders.article_items.load(self._model.id)
        return [row.basic_code for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[Self | None]:
        rows = await info.context.loaders.article.load_many([_uuid(i) for i in node_ids])
        return [cls.of(row) if row is not None and row.published else None for row in rows]


@strawberry.type
class ArticleConnection(Connection[Article]):
    pass


@strawberry.type(description="A government service centre (政务服务中心) at any level.")
class ServiceCentre(relay.Node):
    id: relay.NodeID[str]
    name: str
    level: CentreLevel
    address: str
    location: GeoPoint
    hours: str
    phone: str
    windows: str = strawberry.field(description="窗口: which desks serve what; may be empty.")
    accepts_citywide: bool = strawberry.field(description="Handles every citywide item.")
    distance_meters: float | None = strawberry.field(
        description="From `near`, when given (results are then sorted by it)."
    )
    _model: strawberry.Private[models.ServiceCentre]

    @classmethod
    def of(cls, placed: Placed) -> Self:
        row: models.ServiceCentre = placed.row
        return cls(
            id=str(row.id),
            name=row.name,
            level=row.level,
            address=row.address,
            location=GeoPoint(lat=row.latitude, lng=row.longitude),
            hours=row.hours,
            phone=row.phone,
            windows=row.windows,
            accepts_citywide=row.accepts_citywide,
            distance_meters=round(placed.distance, 1) if placed.distance is not None else None,
            _model=row,
        )

    @strawberry.field
    async def region(self, info: Info) -> Region:
        row = await info.context.loaders.region.load(self._model.region_id)
        assert row is not None
        return Region.of(row)


@strawberry.type
class ServiceCentreConnection(Connection[ServiceCentre]):
    _total: strawberry.Private[Any]

    @strawberry.field(description="How many centres match, across all pages.")
    async def total_count(self) -> int:
        return int(await self._total())


@strawberry.type(description="A self-service terminal (自助服务终端) in a community.")
class Terminal(relay.Node):
    id: relay.NodeID[str]
    code: str
    name: str
    placement: TerminalPlacement
    address: str
    location: GeoPoint
    hours: str
    status: TerminalStatus
    distance_meters: float | None
    _model: strawberry.Private[models.Terminal]

    @classmethod
    def of(cls, placed: Placed) -> Self:
        row: models.Terminal = placed.row
        return cls(
            id=str(row.id),
            code=row.code,
            name=row.name,
            placement=row.placement,
            address=row.address,
            location=GeoPoint(lat=row.latitude, lng=row.longitude),
            hours=row.hours,
            status=row.status,
            distance_meters=round(placed.distance, 1) if placed.distance is not None else None,
            _model=row,
        )

    @strawberry.field
    async def community(self, info: Info) -> Region:
        row = await info.context.loaders.region.load(self._model.community_id)
        assert row is not None
        return Region.of(row)

    @strawberry.field(
        directives=bounded(MAX_TERMINAL_SERVICES),
        description=(
            f"Implementation codes of the services it offers; at most {MAX_TERMINAL_SERVICES}."
        ),
    )
    async def service_codes(self, info: Info) -> list[str]:
        rows = await info.context.loaders.terminal_services.load(self._model.id)
        return [row.implementation_code for row in rows]


@strawberry.type
class TerminalConnection(Connection[Terminal]):
    _total: strawberry.Private[Any]

    @strawberry.field(description="How many terminals match, across all pages.")
    async def total_count(self) -> int:
        return int(await self._total())


# -- filters


@strawberry.input(description="All optional; combined with AND.")
class ServiceFilter:
    keyword: str | None = strawberry.field(
        default=None,
        description="Chinese words, full pinyin or initials (身份证, shenfenzheng, sfz); max 50.",
    )
    kind: ItemKind | None = None
    item_type: ItemType | None = None
    region_code: str | None = strawberry.field(
        default=None,
        description=(
            "Services a resident of this region can use: its own and those of the regions above."
        ),
    )
    department_code: str | None = None
    audience: Audience | None = None
    max_visits: int | None = None
    online_depth: int | None = strawberry.field(
        default=None, description="At least this online depth."
    )
    citywide: bool | None = strawberry.field(
        default=None, description="true: CITYWIDE, PROVINCE or CROSS_PROVINCE scope."
    )
    theme_code: str | None = strawberry.field(
        default=None, description="Only the items listed under this theme (see `themes`)."
    )


@strawberry.input
class ArticleFilter:
    kind: ArticleKind | None = None
    item_code: str | None = strawberry.field(default=None, description="A basic code.")
    region_code: str | None = None


@strawberry.input
class ServiceCentreFilter:
    near: GeoPointInput | None = None
    region_code: str | None = strawberry.field(
        default=None, description="Centres in this region or below it."
    )
    service_code: str | None = strawberry.field(
        default=None,
        description=(
            "Centres that handle it (a citywide item: every citywide centre). An implementation "
            "code, or a basic code: the implementation of `regionCode`, else of the caller's own "
            "region, else of the city (the nearest level that has one)."
        ),
    )


@strawberry.input
class TerminalFilter:
    near: GeoPointInput | None = None
    region_code: str | None = None
    community_code: str | None = None
    service_code: str | None = strawberry.field(
        default=None,
        description=(
            "Terminals that offer it. An implementation code, or a basic code: any "
            "implementation of the item a resident of `communityCode` or `regionCode` (else of "
            "the caller's own region, else of the city) may use, their own region's, the "
            "regions' above and every citywide one."
        ),
    )


# -- staff inputs


@strawberry.input
class StepInput:
    name: str
    description: str = ""


@strawberry.input
class MaterialInput:
    name: str
    necessity: Necessity
    source: MaterialSource
    document_kind: str | None = None
    issuing_item_code: str | None = None
    original: bool = False
    copies: int = 1
    note: str = ""


@strawberry.input
class FaqInput:
    question: str
    answer: str


@strawberry.input
class FeeItemInput:
    name: str
    amount_fen: int = strawberry.field(description="In fen (分), at least 1.")
    legal_basis: str
    unit: str = ""
    charged_at: ChargeStage | None = strawberry.field(
        default=None, description="When it is charged; null: once the window accepted."
    )
    charging_department: str = strawberry.field(
        default="", description="执收单位's credit code; empty: the item's own department."
    )
    exemptions: list[FeeExemptionInput] = strawberry.field(
        default_factory=list, description="Rules that waive it; at most 5."
    )


@strawberry.input(description="A rule that waives a fee item: code (A-Z, 0-9, _), name, basis.")
class FeeExemptionInput:
    code: str
    name: str
    basis: str = ""


@strawberry.input(description="Creates or updates a base item by its basic code (ADMIN).")
class UpsertBaseItemInput:
    basic_code: str
    name: str
    kind: ItemKind
    item_type: ItemType
    legal_basis: str
    steps: list[StepInput]
    audiences: list[ServiceObject]
    keywords: list[str] = strawberry.field(
        default_factory=list, description=f"At most {MAX_KEYWORDS}."
    )


@strawberry.input(
    description=(
        "Writes the draft of a region's implementation (identified by base item, region and "
        "department). Name, legal basis and steps default to the base item's. Lists are "
        f"bounded: {MAX_MATERIALS} materials, {MAX_FAQS} FAQs, {MAX_STEPS} steps, "
        f"{MAX_COOPERATING_DEPARTMENTS} cooperating departments."
    )
)
class UpsertImplementationInput:
    base_code: str
    region_code: str
    department_code: str
    handling_type: HandlingType
    name: str | None = None
    legal_basis: str | None = None
    steps: list[StepInput] | None = None
    divergence_justification: str = ""
    conditions: str = ""
    statutory_days: int = 0
    promised_days: int = 0
    fee: str = ""
    fee_basis: str = ""
    fee_items: list[FeeItemInput] | None = strawberry.field(
        default=None,
        description=(
            f"Structured fees (at most {MAX_FEE_ITEMS}); [] when free. When given, `fee` and "
            "(when empty) `feeBasis` are written from them."
        ),
    )
    visits: int = 1
    visit_reason: str = ""
    online_depth: int = 1
    channels: list[Channel] = strawberry.field(default_factory=list)
    scope: Scope = Scope.REGION
    address: str = ""
    hours: str = ""
    phone: str = ""
    complaint_phone: str = ""
    result_name: str = ""
    result_sample: str = ""
    faqs: list[FaqInput] = strawberry.field(default_factory=list)
    materials: list[MaterialInput] = strawberry.field(default_factory=list)
    form_schema: JSON | None = None
    cooperating_departments: list[str] = strawberry.field(default_factory=list)
    valid_from: date | None = None
    valid_until: date | None = None


@strawberry.input
class PublishImplementationInput:
    code: str = strawberry.field(description="Implementation code of the draft.")
    justification: str | None = strawberry.field(
        default=None, description="Why it differs from the base item, when it does (三级四同)."
    )


@strawberry.input(
    description=(
        "Attaches one of the caller's own uploads (requestDocumentUpload, then "
        "confirmDocumentUpload) to a material of a draft guide; publish to show it."
    )
)
class AttachMaterialFileInput:
    code: str = strawberry.field(description="Implementation code of the draft.")
    material: int = strawberry.field(description="The material's position in `materials`, from 0.")
    role: MaterialFileRole
    document_id: strawberry.ID | None = strawberry.field(
        default=None, description="A document of the caller's wallet; null takes the file off."
    )


@strawberry.input
class UpsertArticleInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="Omit to create.")
    kind: ArticleKind
    title: str
    body: str
    issuer: str = ""
    issued_on: date | None = None
    region_code: str | None = None
    department_code: str | None = None
    item_codes: list[str] = strawberry.field(default_factory=list)
    published: bool = True


@strawberry.input
class RegisterTerminalInput:
    code: str
    name: str
    community_code: str
    placement: TerminalPlacement
    address: str
    location: GeoPointInput
    hours: str = ""
    service_codes: list[str] = strawberry.field(
        default_factory=list, description=f"At most {MAX_TERMINAL_SERVICES}."
    )


@strawberry.type(description="The new terminal and its device credential, shown only this once.")
class TerminalRegistration:
    terminal: Terminal
    credential: str


# -- errors


@strawberry.type(description="One broken rule: which rule, which input field, what to do.")
class GuideViolation:
    rule: str
    field: str
    message: str

    @classmethod
    def of(cls, violation: Violation) -> Self:
        return cls(rule=violation.rule, field=violation.field, message=violation.message)


@strawberry.interface
class CatalogueUserError(UserError):
    code: CatalogueErrorCode
    violations: list[GuideViolation] = strawberry.field(
        directives=bounded(MAX_VIOLATIONS),
        description=(
            f"Every problem found (the first {MAX_VIOLATIONS}), so that all can be fixed at once."
        ),
    )

    @classmethod
    def of(cls, error: CatalogueError) -> Self:  # type: ignore[override]
        return cls(
            code=error.code,  # type: ignore[arg-type]
            message=error.message,
            field=error.field,
            retry_after_seconds=None,
            violations=[GuideViolation.of(v) for v in error.violations],
        )


@strawberry.type
class UpsertBaseItemError(CatalogueUserError):
    pass


@strawberry.type
class UpsertImplementationError(CatalogueUserError):
    pass


@strawberry.type
class PublishImplementationError(CatalogueUserError):
    pass


@strawberry.type
class UpsertArticleError(CatalogueUserError):
    pass


@strawberry.type
class RegisterTerminalError(CatalogueUserError):
    pass


@strawberry.type
class AttachMaterialFileError(CatalogueUserError):
    pass


UpsertBaseItemResult = Annotated[
    BaseItem | UpsertBaseItemError, strawberry.union("UpsertBaseItemResult")
]
UpsertImplementationResult = Annotated[
    Service | UpsertImplementationError, strawberry.union("UpsertImplementationResult")
]
PublishImplementationResult = Annotated[
    Service | PublishImplementationError, strawberry.union("PublishImplementationResult")
]
UpsertArticleResult = Annotated[
    Article | UpsertArticleError, strawberry.union("UpsertArticleResult")
]
RegisterTerminalResult = Annotated[
    TerminalRegistration | RegisterTerminalError, strawberry.union("RegisterTerminalResult")
]
AttachMaterialFileResult = Annotated[
    Material | AttachMaterialFileError, strawberry.union("AttachMaterialFileResult")
]
