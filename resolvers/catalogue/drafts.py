"""What staff and imports submit for the catalogue, and its field-by-field validation.

GraphQL inputs and import-file rows both become these dataclasses, so one set of rules
decides what a valid base item or guide is, whichever way it arrives.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from resolvers.catalogue.errors import Violation
from storage.models.catalogue import (
    ArticleKind,
    Channel,
    HandlingType,
    ItemKind,
    ItemType,
    MaterialSource,
    Necessity,
    Scope,
    ServiceObject,
    TerminalPlacement,
)
from storage.models.payments import ChargeStage

BASIC_CODE = re.compile(r"[0-9A-Z]{8,32}")
REGION_CODE = re.compile(r"[0-9A-Z]{6}|[0-9A-Z]{12}")
PHONE = re.compile(r"[0-9+\-() ]{5,32}")
# Document kinds a material may name; the wallet's DocumentKind values (see API.md).
DOCUMENT_KINDS = frozenset(
    {
        "ID_CARD_FRONT",
        "ID_CARD_BACK",
        "HOUSEHOLD_REGISTER",
        "BUSINESS_LICENCE",
        "PHOTO",
        "CERTIFICATE",
        "OTHER",
    }
)
# How long a guide's lists may be: checked here for staff edits and imports alike, and
# declared (@listSize) on the GraphQL fields that return them.
MAX_KEYWORDS = 20
MAX_STEPS = 30
MAX_FAQS = 50
MAX_MATERIALS = 60
MAX_COOPERATING_DEPARTMENTS = 20
MAX_ARTICLE_ITEMS = 100
MAX_TERMINAL_SERVICES = 500
MAX_FEE_ITEMS = 10
MAX_FEE_EXEMPTIONS = 5
EXEMPTION_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,31}")
# One fee item: at most 1,000,000 yuan, in fen (分) so that no amount is ever a float.
MAX_FEE_FEN = 100_000_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Problems:
    """Collects every violation of one submission, so staff fix them all in one go."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.items: list[Violation] = []

    def add(self, field: str, message: str, rule: str = "INVALID_FIELD") -> None:
        self.items.append(Violation(rule=rule, field=f"{self.prefix}{field}", message=message))

    def text(self, field: str, value: str | None, *, longest: int, required: bool = True) -> str:
        if value is None or not value.strip():
            if required:
                self.add(field, "必填。", "REQUIRED")
            return ""
        if _CONTROL.search(value):  # PostgreSQL refuses NUL; nobody needs the others
            self.add(field, "包含不可见的控制字符。")
            return ""
        if len(value) > longest:
            self.add(field, f"不能超过 {longest} 个字符。")
            return ""
        return value.strip()

    def number(self, field: str, value: int, *, low: int, high: int) -> int:
        if not low <= value <= high:
            self.add(field, f"须在 {low} 到 {high} 之间。")
        return value


@dataclass
class StepData:
    name: str
    description: str = ""

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "description": self.description}


@dataclass
class MaterialData:
    name: str
    necessity: Necessity
    source: MaterialSource
    document_kind: str | None = None
    issuing_item_code: str | None = None
    original: bool = False
    copies: int = 1
    note: str = ""


@dataclass
class FaqData:
    question: str
    answer: str


@dataclass
class FeeItemData:
    """One charge of a guide: what it is for, how much (in fen, per unit) and under which law."""

    name: str
    amount_fen: int
    legal_basis: str
    unit: str = ""  # 证, 件: what one amount pays for
    # The charging department's credit code (执收单位); "" is the implementation's own.
    charging_department: str = ""
    # When it is charged (ChargeStage); "" is once the window accepted.
    charged_at: str = ""
    # Rules that waive it: [{"code", "name", "basis"}] (e.g. DIBAO, 最低生活保障对象).
    exemptions: list[dict[str, str]] = field(default_factory=list)
    # Charged only when the form's `field` holds one of `in` ("" for a field left out):
    # alternatives such as 住宅类 / 非住宅类.
    when: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "name": self.name,
            "amountFen": self.amount_fen,
            "unit": self.unit,
            "legalBasis": self.legal_basis,
        }
        if self.charging_department:
            found["chargingDepartment"] = self.charging_department
        if self.charged_at:
            found["chargedAt"] = self.charged_at
        if self.exemptions:
            found["exemptions"] = self.exemptions
        if self.when is not None:
            found["when"] = self.when
        return found


def fee_text(items: list[dict[str, Any]]) -> str:
    """The fee as one line of text ("居民身份证工本费 20.00 元/证"), "" when free."""
    return "；".join(
        f"{item['name']} {item['amountFen'] / 100:.2f} 元"
        + (f"/{item['unit']}" if item.get("unit") else "")
        for item in items
    )


@dataclass
class BaseItemData:
    basic_code: str
    name: str
    kind: ItemKind
    item_type: ItemType
    legal_basis: str
    steps: list[StepData]
    audiences: list[ServiceObject]
    keywords: list[str] = field(default_factory=list)

    def validate(self, problems: Problems) -> None:
        if not BASIC_CODE.fullmatch(self.basic_code or ""):
            problems.add("basicCode", "基本编码应为 8-32 位大写字母或数字。")
        self.name = problems.text("name", self.name, longest=128)
        self.legal_basis = problems.text("legalBasis", self.legal_basis, longest=4000)
        if (self.kind is ItemKind.PUBLIC_SERVICE) != (self.item_type is ItemType.PUBLIC_SERVICE):
            problems.add("itemType", "公共服务事项的类型编码为 20，行政权力事项为 01-10。")
        _validate_steps(problems, self.steps)
        if not self.audiences:
            problems.add("audiences", "至少选择一类服务对象。", "REQUIRED")
        if len(set(self.audiences)) != len(self.audiences):
            problems.add("audiences", "服务对象不能重复。")
        if len(self.keywords) > MAX_KEYWORDS:
            problems.add("keywords", f"关键词不能超过 {MAX_KEYWORDS} 个。")
        self.keywords = [
            problems.text(f"keywords[{i}]", k, longest=16) for i, k in enumerate(self.keywords)
        ]


@dataclass
class ImplementationData:
    base_code: str
    region_code: str
    department_code: str
    handling_type: HandlingType
    name: str | None = None  # None: the base item's (三级四同)
    legal_basis: str | None = None
    steps: list[StepData] | None = None
    divergence_justification: str = ""
    conditions: str = ""
    statutory_days: int = 0
    promised_days: int = 0
    fee: str = ""
    fee_basis: str = ""
    # None: not given (the free-text `fee` stands alone); []: free of charge.
    fee_items: list[FeeItemData] | None = None
    visits: int = 1
    visit_reason: str = ""
    online_depth: int = 1
    channels: list[Channel] = field(default_factory=list)
    scope: Scope = Scope.REGION
    address: str = ""
    hours: str = ""
    phone: str = ""
    complaint_phone: str = ""
    result_name: str = ""
    result_sample: str = ""
    faqs: list[FaqData] = field(default_factory=list)
    materials: list[MaterialData] = field(default_factory=list)
    form_schema: dict[str, Any] | None = None
    cooperating_departments: list[str] = field(default_factory=list)
    valid_from: date | None = None
    valid_until: date | None = None

    def validate(self, problems: Problems) -> None:
        if not BASIC_CODE.fullmatch(self.base_code or ""):
            problems.add("baseCode", "基本编码应为 8-32 位大写字母或数字。")
        if not REGION_CODE.fullmatch(self.region_code or ""):
            problems.add("regionCode", "行政区划代码应为 6 位或 12 位。")
        if len(self.cooperating_departments) > MAX_COOPERATING_DEPARTMENTS:
            problems.add(
                "cooperatingDepartments", f"协办部门不能超过 {MAX_COOPERATING_DEPARTMENTS} 个。"
            )
        for index, code in enumerate([self.department_code, *self.cooperating_departments]):
            name = "departmentCode" if index == 0 else f"cooperatingDepartments[{index - 1}]"
            if not valid_credit_code(code):
                problems.add(name, "统一社会信用代码不正确。")
        if self.name is not None:
            self.name = problems.text("name", self.name, longest=128)
        if self.legal_basis is not None:
            self.legal_basis = problems.text("legalBasis", self.legal_basis, longest=4000)
        if self.steps is not None:
            _validate_steps(problems, self.steps)
        self.divergence_justification = problems.text(
            "divergenceJustification", self.divergence_justification, longest=1000, required=False
        )
        self.conditions = problems.text("conditions", self.conditions, longest=4000, required=False)
        problems.number("statutoryDays", self.statutory_days, low=0, high=3650)
        problems.number("promisedDays", self.promised_days, low=0, high=3650)
        self.fee = problems.text("fee", self.fee, longest=256, required=False)
        self.fee_basis = problems.text("feeBasis", self.fee_basis, longest=2000, required=False)
        if self.fee_items is not None:
            _validate_fee_items(problems, self.fee_items)
        problems.number("visits", self.visits, low=0, high=10)
        self.visit_reason = problems.text(
            "visitReason", self.visit_reason, longest=256, required=False
        )
        problems.number("onlineDepth", self.online_depth, low=1, high=4)
        if len(set(self.channels)) != len(self.channels):
            problems.add("channels", "渠道不能重复。")
        for name, value, longest in (
            ("address", self.address, 256),
            ("hours", self.hours, 128),
            ("resultName", self.result_name, 128),
            ("resultSample", self.result_sample, 256),
        ):
            setattr(self, _snake(name), problems.text(name, value, longest=longest, required=False))
        for name in ("phone", "complaintPhone"):
            value = getattr(self, _snake(name))
            if value and not PHONE.fullmatch(value):
                problems.add(name, "电话号码格式不正确。")
        if len(self.faqs) > MAX_FAQS:
            problems.add("faqs", f"常见问题不能超过 {MAX_FAQS} 条。")
        for index, faq in enumerate(self.faqs):
            faq.question = problems.text(f"faqs[{index}].question", faq.question, longest=256)
            faq.answer = problems.text(f"faqs[{index}].answer", faq.answer, longest=2000)
        if len(self.materials) > MAX_MATERIALS:
            problems.add("materials", f"材料不能超过 {MAX_MATERIALS} 项。")
        for index, material in enumerate(self.materials):
            _validate_material(problems, index, material)
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            problems.add("validUntil", "失效日期不能早于生效日期。")
        if self.form_schema is not None:
            _validate_form_schema(problems, self.form_schema)


def _validate_fee_items(problems: Problems, items: list[FeeItemData]) -> None:
    if len(items) > MAX_FEE_ITEMS:
        problems.add("feeItems", f"收费项目不能超过 {MAX_FEE_ITEMS} 项。")
    names = [item.name.strip() for item in items]
    if len(set(names)) != len(names):
        problems.add("feeItems", "收费项目名称不能重复。")
    for index, item in enumerate(items):
        at = f"feeItems[{index}]"
        item.name = problems.text(f"{at}.name", item.name, longest=128)
        item.unit = problems.text(f"{at}.unit", item.unit, longest=16, required=False)
        item.legal_basis = problems.text(f"{at}.legalBasis", item.legal_basis, longest=2000)
        problems.number(f"{at}.amountFen", item.amount_fen, low=1, high=MAX_FEE_FEN)
        if item.charged_at and item.charged_at not in {stage.value for stage in ChargeStage}:
            problems.add(f"{at}.chargedAt", "收费环节须为受理前、受理后或出证前。")
        if item.charging_department and not valid_credit_code(item.charging_department):
            problems.add(f"{at}.chargingDepartment", "执收单位须为统一社会信用代码。")
        if len(item.exemptions) > MAX_FEE_EXEMPTIONS:
            problems.add(f"{at}.exemptions", f"减免规定不能超过 {MAX_FEE_EXEMPTIONS} 项。")
        for number, rule in enumerate(item.exemptions):
            if not EXEMPTION_CODE.fullmatch(str(rule.get("code", ""))) or not rule.get("name"):
                problems.add(f"{at}.exemptions[{number}]", "减免规定须有代码（大写字母）和名称。")
        if item.when is not None and not (
            isinstance(item.when.get("field"), str)
            and isinstance(item.when.get("in"), list)
            and all(isinstance(v, str) for v in item.when["in"])
        ):
            problems.add(f"{at}.when", "收费条件须为 {field, in: [取值]}。")


@dataclass
class ArticleData:
    kind: ArticleKind
    title: str
    body: str
    issuer: str = ""
    issued_on: date | None = None
    region_code: str | None = None
    department_code: str | None = None
    item_codes: list[str] = field(default_factory=list)
    published: bool = True

    def validate(self, problems: Problems) -> None:
        self.title = problems.text("title", self.title, longest=256)
        self.body = problems.text("body", self.body, longest=100_000)
        self.issuer = problems.text("issuer", self.issuer, longest=128, required=False)
        if self.region_code is not None and not REGION_CODE.fullmatch(self.region_code):
            problems.add("regionCode", "行政区划代码应为 6 位或 12 位。")
        if self.department_code is not None and not valid_credit_code(self.department_code):
            problems.add("departmentCode", "统一社会信用代码不正确。")
        if len(self.item_codes) > MAX_ARTICLE_ITEMS:
            problems.add("itemCodes", f"关联事项不能超过 {MAX_ARTICLE_ITEMS} 个。")
        for index, code in enumerate(self.item_codes):
            if not BASIC_CODE.fullmatch(code):
                problems.add(f"itemCodes[{index}]", "基本编码不正确。")


@dataclass
class TerminalData:
    code: str
    name: str
    community_code: str
    placement: TerminalPlacement
    address: str
    latitude: float
    longitude: float
    hours: str = ""
    service_codes: list[str] = field(default_factory=list)

    def validate(self, problems: Problems) -> None:
        if not re.fullmatch(r"[0-9A-Za-z\-]{4,32}", self.code or ""):
            problems.add("code", "终端编号应为 4-32 位字母、数字或连字符。")
        self.name = problems.text("name", self.name, longest=128)
        if not re.fullmatch(r"[0-9]{12}|[0-9A-Z]{12}", self.community_code or ""):
            problems.add("communityCode", "社区代码应为 12 位。")
        self.address = problems.text("address", self.address, longest=256)
        self.hours = problems.text("hours", self.hours, longest=128, required=False)
        validate_location(problems, self.latitude, self.longitude)
        if len(self.service_codes) > MAX_TERMINAL_SERVICES:
            problems.add("serviceCodes", f"服务事项不能超过 {MAX_TERMINAL_SERVICES} 个。")


def validate_location(problems: Problems, latitude: float, longitude: float) -> None:
    # Mainland China's bounding box: a swapped pair or a 0,0 typo is caught here.
    if not (3.0 <= latitude <= 54.0):
        problems.add("location.lat", "纬度不在中国境内。")
    if not (73.0 <= longitude <= 136.0):
        problems.add("location.lng", "经度不在中国境内。")


def valid_credit_code(code: str) -> bool:
    try:
        uscc.validate(code)
    except ValidationError:
        return False
    return True


def _validate_steps(problems: Problems, steps: list[StepData]) -> None:
    if not steps:
        problems.add("steps", "至少填写一个办理环节。", "REQUIRED")
    if len(steps) > MAX_STEPS:
        problems.add("steps", f"办理环节不能超过 {MAX_STEPS} 个。")
    for index, step in enumerate(steps):
        step.name = problems.text(f"steps[{index}].name", step.name, longest=64)
        step.description = problems.text(
            f"steps[{index}].description", step.description, longest=1000, required=False
        )


def _validate_material(problems: Problems, index: int, material: MaterialData) -> None:
    where = f"materials[{index}]"
    material.name = problems.text(f"{where}.name", material.name, longest=128)
    material.note = problems.text(f"{where}.note", material.note, longest=256, required=False)
    problems.number(f"{where}.copies", material.copies, low=0, high=20)
    if material.document_kind is not None and material.document_kind not in DOCUMENT_KINDS:
        problems.add(f"{where}.documentKind", "未知的证照类型。")
    if material.issuing_item_code is not None and not BASIC_CODE.fullmatch(
        material.issuing_item_code
    ):
        problems.add(f"{where}.issuingItemCode", "基本编码不正确。")


def _validate_form_schema(problems: Problems, schema: object) -> None:
    """The form definition must itself be a valid JSON Schema (draft 2020-12)."""
    if not isinstance(schema, dict):
        problems.add("formSchema", "表单定义须为 JSON Schema 对象。")
        return
    error = _schema_error(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    if error is not None:
        problems.add("formSchema", f"表单定义不是有效的 JSON Schema：{error[:120]}")


@lru_cache(maxsize=256)
def _schema_error(schema_json: str) -> str | None:
    # Many implementations of one item share a form: check each distinct schema once.
    try:
        Draft202012Validator.check_schema(json.loads(schema_json))
    except SchemaError as error:
        return str(error.message)
    return None


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)
