"""`rongban import-catalogue FILE`: loads a catalogue export (docs/catalogue-format.md).

All or nothing: every row is checked first (fields, references, the publication rules) and
any problem stops the import with every error listed by row and field; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, TypeVar

from resolvers.catalogue.drafts import (
    ArticleData,
    BaseItemData,
    FaqData,
    FeeItemData,
    ImplementationData,
    MaterialData,
    Problems,
    StepData,
    validate_location,
)
from resolvers.catalogue.editing import (
    Resolved,
    base_item_fields,
    implementation_fields,
    material_rows,
)
from resolvers.catalogue.errors import Violation
from resolvers.catalogue.rules import (
    divergence_violations,
    divergences,
    guide_violations,
    implementation_code,
)
from storage.models.catalogue import (
    ArticleKind,
    BaseItem,
    CentreLevel,
    Channel,
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
    Scope,
    ServiceObject,
)
from storage.repositories import catalogue as repo
from storage.transactions import atomic

FORMAT = "rongban-catalogue/1"
E = TypeVar("E", bound=Enum)


@dataclass
class ImportReport:
    errors: list[Violation] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


class _Row:
    """Typed reads from one JSON object, each failure a problem on its field."""

    def __init__(self, data: Any, problems: Problems) -> None:
        self.data = data if isinstance(data, dict) else {}
        self.problems = problems
        if not isinstance(data, dict):
            problems.add("", "应为 JSON 对象。")

    def text(self, name: str, default: str | None = None) -> str:
        value = self.data.get(name, default)
        if value is None:
            self.problems.add(name, "必填。", "REQUIRED")
            return ""
        if not isinstance(value, str):
            self.problems.add(name, "应为字符串。")
            return ""
        return value

    def optional_text(self, name: str) -> str | None:
        value = self.data.get(name)
        return None if value is None else self.text(name)

    def integer(self, name: str, default: int | None = None) -> int:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.add(name, "应为整数。")
            return 0
        return value

    def number(self, name: str) -> float:
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problems.add(name, "应为数字。")
            return 0.0
        return float(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            self.problems.add(name, "应为 true 或 false。")
            return default
        return value

    def enum(self, name: str, kind: type[E], default: E | None = None) -> E:
        value = self.data.get(name)
        if value is None and default is not None:
            return default
        try:
            return kind(value)
        except ValueError:
            self.problems.add(name, f"应为 {', '.join(str(m.value) for m in kind)} 之一。")
            return next(iter(kind))

    def day(self, name: str) -> date | None:
        value = self.data.get(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.problems.add(name, "日期格式应为 YYYY-MM-DD。")
            return None

    def items(self, name: str) -> list[Any]:
        value = self.data.get(name, [])
        if not isinstance(value, list):
            self.problems.add(name, "应为数组。")
            return []
        return value


def _steps(row: _Row, name: str) -> list[StepData]:
    steps = []
    for index, item in enumerate(row.items(name)):
        step = _Row(item, Problems(f"{row.problems.prefix}{name}[{index}]."))
        steps.append(StepData(step.text("name"), step.text("description", "")))
        row.problems.items.extend(step.problems.items)
    return steps


def read_base_item(data: Any, problems: Problems) -> BaseItemData:
    row = _Row(data, problems)
    audiences = []
    for index, value in enumerate(row.items("audiences")):
        try:
            audiences.append(ServiceObject(value))
        except ValueError:
            problems.add(f"audiences[{index}]", "服务对象代码应为 1-6 或 9。")
    item = BaseItemData(
        basic_code=row.text("basicCode"),
        name=row.text("name"),
        kind=row.enum("kind", ItemKind),
        item_type=row.enum("itemType", ItemType),
        legal_basis=row.text("legalBasis"),
        steps=_steps(row, "steps"),
        audiences=audiences,
        keywords=[k for k in row.items("keywords") if isinstance(k, str)],
    )
    item.validate(problems)
    return item


def read_implementation(data: Any, problems: Problems) -> ImplementationData:
    row = _Row(data, problems)
    materials = []
    for index, item in enumerate(row.items("materials")):
        m = _Row(item, Problems(f"{problems.prefix}materials[{index}]."))
        materials.append(
            MaterialData(
                name=m.text("name"),
                necessity=m.enum("necessity", Necessity),
                source=m.enum("source", MaterialSource),
                document_kind=m.optional_text("documentKind"),
                issuing_item_code=m.optional_text("issuingItemCode"),
                original=m.boolean("original", False),
                copies=m.integer("copies", 1),
                note=m.text("note", ""),
            )
        )
        problems.items.extend(m.problems.items)
    faqs = []
    for index, item in enumerate(row.items("faqs")):
        f = _Row(item, Problems(f"{problems.prefix}faqs[{index}]."))
        faqs.append(FaqData(f.text("question"), f.text("answer")))
        problems.items.extend(f.problems.items)
    fee_items = None
    if "feeItems" in row.data:
        fee_items = []
        for index, item in enumerate(row.items("feeItems")):
            f = _Row(item, Problems(f"{problems.prefix}feeItems[{index}]."))
            fee_items.append(
                FeeItemData(
                    name=f.text("name"),
                    amount_fen=f.integer("amountFen"),
                    legal_basis=f.text("legalBasis"),
                    unit=f.text("unit", ""),
                    charging_department=f.text("chargingDepartment", ""),
                    charged_at=f.text("chargedAt", ""),
                    exemptions=[dict(e) for e in f.items("exemptions") if isinstance(e, dict)],
                    when=item.get("when") if isinstance(item.get("when"), dict) else None,
                )
            )
            problems.items.extend(f.problems.items)
    channels = []
    for index, value in enumerate(row.items("channels")):
        try:
            channels.append(Channel(value))
        except ValueError:
            problems.add(f"channels[{index}]", "未知的办理渠道。")
    form_schema = row.data.get("formSchema")
    implementation = ImplementationData(
        base_code=row.text("baseCode"),
        region_code=row.text("regionCode"),
        department_code=row.text("departmentCode"),
        handling_type=row.enum("handlingType", HandlingType),
        name=row.optional_text("name"),
        legal_basis=row.optional_text("legalBasis"),
        steps=_steps(row, "steps") if "steps" in row.data else None,
        divergence_justification=row.text("divergenceJustification", ""),
        conditions=row.text("conditions", ""),
        statutory_days=row.integer("statutoryDays", 0),
        promised_days=row.integer("promisedDays", 0),
        fee=row.text("fee", ""),
        fee_basis=row.text("feeBasis", ""),
        fee_items=fee_items,
        visits=row.integer("visits", 1),
        visit_reason=row.text("visitReason", ""),
        online_depth=row.integer("onlineDepth", 1),
        channels=channels,
        scope=row.enum("scope", Scope, Scope.REGION),
        address=row.text("address", ""),
        hours=row.text("hours", ""),
        phone=row.text("phone", ""),
        complaint_phone=row.text("complaintPhone", ""),
        result_name=row.text("resultName", ""),
        result_sample=row.text("resultSample", ""),
        faqs=faqs,
        materials=materials,
        form_schema=form_schema if isinstance(form_schema, dict) else None,
        cooperating_departments=[
            c for c in row.items("cooperatingDepartments") if isinstance(c, str)
        ],
        valid_from=row.day("validFrom"),
        valid_until=row.day("validUntil"),
    )
    implementation.validate(problems)
    return implementation


def read_article(data: Any, problems: Problems) -> ArticleData:
    row = _Row(data, problems)
    article = ArticleData(
        kind=row.enum("kind", ArticleKind),
        title=row.text("title"),
        body=row.text("body"),
        issuer=row.text("issuer", ""),
        issued_on=row.day("issuedOn"),
        region_code=row.optional_text("regionCode"),
        department_code=row.optional_text("departmentCode"),
        item_codes=[c for c in row.items("itemCodes") if isinstance(c, str)],
        published=row.boolean("published", True),
    )
    article.validate(problems)
    return article


@dataclass
class CentreData:
    name: str
    level: CentreLevel
    region_code: str
    address: str
    latitude: float
    longitude: float
    hours: str
    phone: str
    accepts_citywide: bool
    service_codes: list[str]
    windows: str = ""


def read_centre(data: Any, problems: Problems) -> CentreData:
    row = _Row(data, problems)
    location = _Row(row.data.get("location"), Problems(f"{problems.prefix}location."))
    centre = CentreData(
        name=problems.text("name", row.text("name"), longest=128),
        level=row.enum("level", CentreLevel),
        region_code=row.text("regionCode"),
        address=problems.text("address", row.text("address"), longest=256),
        latitude=location.number("lat"),
        longitude=location.number("lng"),
        hours=row.text("hours", ""),
        phone=row.text("phone", ""),
        accepts_citywide=row.boolean("acceptsCitywide", False),
        service_codes=[c for c in row.items("serviceCodes") if isinstance(c, str)],
        windows=problems.text("windows", row.text("windows", ""), longest=256, required=False),
    )
    problems.items.extend(location.problems.items)
    validate_location(problems, centre.latitude, centre.longitude)
    return centre


async def import_catalogue(document: Any) -> ImportReport:
    """Checks the whole document, then writes all of it in one transaction, or nothing."""
    report = ImportReport()
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        report.errors.append(Violation("FORMAT", "format", f"文件格式应为 {FORMAT}。"))
        return report

    def rows(name: str, reader: Any) -> list[Any]:
        parsed = []
        value = document.get(name, [])
        if not isinstance(value, list):
            report.errors.append(Violation("INVALID_FIELD", name, "应为数组。"))
            return []
        for index, data in enumerate(value):
            problems = Problems(f"{name}[{index}].")
            parsed.append(reader(data, problems))
            report.errors.extend(problems.items)
        return parsed

    base_items = rows("baseItems", read_base_item)
    implementations = rows("implementations", read_implementation)
    articles = rows("articles", read_article)
    centres = rows("centres", read_centre)
    # Rows already wrong in form are not checked further (their references and rules would
    # only repeat the noise); every other row is, so one run lists every problem.
    malformed = {e.field.split(".", 1)[0] for e in report.errors}

    regions = {r.code: r for r in await repo.all_regions()}
    departments = {d.code: d for d in await repo.all_departments()}
    known_bases = {b.basic_code: b for b in await repo.all_base_items()}
    for item in base_items:
        known_bases[item.basic_code] = BaseItem(
            basic_code=item.basic_code, **base_item_fields(item)
        )
    planned: list[tuple[ImplementationData, str]] = []
    for index, data in enumerate(implementations):
        where = f"implementations[{index}]."
        if where[:-1] in malformed:
            continue
        base = known_bases.get(data.base_code)
        region = regions.get(data.region_code)
        department = departments.get(data.department_code)
        if base is None:
            report.errors.append(
                Violation("UNKNOWN_BASE_ITEM", f"{where}baseCode", "找不到基本目录事项。")
            )
        if region is None:
            report.errors.append(
                Violation("UNKNOWN_REGION", f"{where}regionCode", "找不到行政区划。")
            )
        if department is None:
            report.errors.append(
                Violation("UNKNOWN_DEPARTMENT", f"{where}departmentCode", "找不到部门。")
            )
        for n, code in enumerate(data.cooperating_departments):
            if code not in departments:
                report.errors.append(
                    Violation(
                        "UNKNOWN_DEPARTMENT", f"{where}cooperatingDepartments[{n}]", "找不到部门。"
                    )
                )
        if base is None or region is None or department is None:
            continue
        code = implementation_code(base.basic_code, region.code, department.code)
        candidate = Implementation(
            code=code, **implementation_fields(data, Resolved(base, region, department))
        )
        materials = material_rows(candidate.id, data)
        for violation in guide_violations(candidate, materials):
            report.errors.append(
                Violation(violation.rule, where + violation.field, violation.message)
            )
        found = divergences(candidate, base)
        if found and not data.divergence_justification:
            differing = "、".join(v.message for v in divergence_violations(found, base))
            report.errors.append(
                Violation(
                    "DIVERGENCE_NEEDS_JUSTIFICATION",
                    f"{where}divergenceJustification",
                    f"{differing}，须填写差异说明。",
                )
            )
        planned.append((data, code))
    for index, article in enumerate(articles):
        if article.region_code and article.region_code not in regions:
            report.errors.append(
                Violation("UNKNOWN_REGION", f"articles[{index}].regionCode", "找不到行政区划。")
            )
        if article.department_code and article.department_code not in departments:
            report.errors.append(
                Violation("UNKNOWN_DEPARTMENT", f"articles[{index}].departmentCode", "找不到部门。")
            )
    for index, centre in enumerate(centres):
        if centre.region_code not in regions:
            report.errors.append(
                Violation("UNKNOWN_REGION", f"centres[{index}].regionCode", "找不到行政区划。")
            )
    if report.errors:
        return report

    await _write(base_items, planned, articles, centres, regions, departments)
    report.counts = {
        "baseItems": len(base_items),
        "implementations": len(planned),
        "articles": len(articles),
        "centres": len(centres),
    }
    return report


async def _write(
    base_items: list[BaseItemData],
    planned: list[tuple[ImplementationData, str]],
    articles: list[ArticleData],
    centres: list[CentreData],
    regions: dict[str, Region],
    departments: dict[str, Department],
) -> None:
    """Writes a checked document in one transaction."""
    now = datetime.now(UTC)
    async with atomic():
        for item in base_items:
            fields = base_item_fields(item)
            existing = await repo.base_item_by_code(item.basic_code)
            if existing is None:
                await repo.create_base_item(item.basic_code, **fields)
            else:
                await repo.update_base_item(existing, **fields)
        bases = {b.basic_code: b for b in await repo.all_base_items()}
        codes = [code for _, code in planned]
        # Set-wise, not row by row: a catalogue export has thousands of guides.
        latest = await repo.latest_versions_for_update(codes)
        await repo.archive_published(codes)
        guides: list[Implementation] = []
        materials: list[Material] = []
        for data, code in planned:
            refs = Resolved(
                bases[data.base_code], regions[data.region_code], departments[data.department_code]
            )
            guide = Implementation(
                code=code,
                version=latest.get(code, 0) + 1,
                status=PublicationStatus.PUBLISHED,
                published_at=now,
                **implementation_fields(data, refs),
            )
            guides.append(guide)
            materials.extend(material_rows(guide.id, data))
        await repo.add_implementations(guides)
        await repo.add_materials(materials)
        for article in articles:
            created = await repo.create_article(
                kind=article.kind,
                title=article.title,
                body=article.body,
                issuer=article.issuer,
                issued_on=article.issued_on,
                region_id=regions[article.region_code].id if article.region_code else None,
                department_id=(
                    departments[article.department_code].id if article.department_code else None
                ),
                published=article.published,
            )
            await repo.replace_article_items(created.id, article.item_codes)
        for centre in centres:
            await repo.create_centre(
                centre.service_codes,
                name=centre.name,
                level=centre.level,
                region_id=regions[centre.region_code].id,
                address=centre.address,
                latitude=centre.latitude,
                longitude=centre.longitude,
                hours=centre.hours,
                phone=centre.phone,
                windows=centre.windows,
                accepts_citywide=centre.accepts_citywide,
            )
