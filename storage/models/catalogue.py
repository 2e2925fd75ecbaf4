"""The service catalogue: regions, departments, standard items and their versioned
implementations (guides), articles, service centres and self-service terminals."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models.accounts import Account


class RegionLevel(StrEnum):
    CITY = "CITY"
    COUNTY = "COUNTY"
    ZONE = "ZONE"  # functional zone (高新区, 天府新区): no GB/T 2260 code, a platform code
    STREET = "STREET"
    COMMUNITY = "COMMUNITY"


class Region(Model):
    id = fields.UUIDField(primary_key=True)
    code = fields.CharField(max_length=12, unique=True)
    name = fields.CharField(max_length=64)
    level = fields.CharEnumField(RegionLevel, max_length=12)
    parent: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region",
        related_name="children",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    parent_id: UUID | None
    # Retired codes (510122 双流县 ...) are kept so that older ID numbers still resolve.
    retired = fields.BooleanField(default=False)
    platform_code = fields.BooleanField(
        default=False, description="true when the code is ours, not GB/T 2260"
    )

    class Meta:
        table = "region"
        ordering = ["code"]


class Department(Model):
    id = fields.UUIDField(primary_key=True)
    code = fields.CharField(max_length=18, unique=True, description="unified social credit code")
    name = fields.CharField(max_length=128)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="departments", on_delete=fields.RESTRICT
    )
    region_id: UUID
    phone = fields.CharField(
        max_length=32, default="", description="咨询电话: what a guide without its own gives"
    )

    class Meta:
        table = "department"
        ordering = ["code"]


class ItemKind(StrEnum):
    """两张清单: administrative power (行政权力) or public service (公共服务)."""

    ADMINISTRATIVE_POWER = "ADMINISTRATIVE_POWER"
    PUBLIC_SERVICE = "PUBLIC_SERVICE"


class ItemType(StrEnum):
    """事项类型, the national item type codes."""

    LICENSING = "01"  # 行政许可
    PENALTY = "02"  # 行政处罚
    ENFORCEMENT = "03"  # 行政强制
    LEVY = "04"  # 行政征收
    BENEFIT = "05"  # 行政给付
    INSPECTION = "06"  # 行政检查
    CONFIRMATION = "07"  # 行政确认
    REWARD = "08"  # 行政奖励
    ADJUDICATION = "09"  # 行政裁决
    OTHER_POWER = "10"  # 其他行政权力
    PUBLIC_SERVICE = "20"  # 公共服务


class ServiceObject(IntEnum):
    """服务对象 codes."""

    PERSON = 1  # 自然人
    ENTERPRISE = 2  # 企业法人
    PUBLIC_INSTITUTION = 3  # 事业法人
    SOCIAL_ORGANISATION = 4  # 社会组织法人
    UNINCORPORATED_ENTERPRISE = 5  # 非法人企业
    GOVERNMENT_ORGAN = 6  # 行政机关
    OTHER_ORGANISATION = 9  # 其他组织


class HandlingType(StrEnum):
    IMMEDIATE = "IMMEDIATE"  # 即办件
    PROMISED = "PROMISED"  # 承诺件


class Scope(StrEnum):
    """通办范围."""

    REGION = "REGION"
    CITYWIDE = "CITYWIDE"
    PROVINCE = "PROVINCE"
    CROSS_PROVINCE = "CROSS_PROVINCE"


class Channel(StrEnum):
    WEB_HALL = "WEB_HALL"
    SERVICE_HALL = "SERVICE_HALL"
    TERMINAL = "TERMINAL"
    MOBILE_APP = "MOBILE_APP"
    MINI_PROGRAM = "MINI_PROGRAM"
    TV_HALL = "TV_HALL"


class PublicationStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"  # a version replaced by a newer published one


class Necessity(StrEnum):
    REQUIRED = "REQUIRED"
    OPTIONAL = "OPTIONAL"
    DEFERRABLE = "DEFERRABLE"  # 容缺后补: accepted now, supplied later


class MaterialSource(StrEnum):
    APPLICANT = "APPLICANT"
    GOVERNMENT = "GOVERNMENT"  # issued by the government: fetched, never asked again


class BaseItem(Model):
    """A standard item (基本目录): one name, code, legal basis and process at every level."""

    id = fields.UUIDField(primary_key=True)
    basic_code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=128)
    kind = fields.CharEnumField(ItemKind, max_length=24)
    item_type = fields.CharEnumField(ItemType, max_length=2)
    legal_basis = fields.TextField()
    steps: list[dict[str, Any]] = fields.JSONField(default=list)
    audiences: list[int] = fields.JSONField(default=list)  # ServiceObject codes
    keywords: list[str] = fields.JSONField(default=list)  # what residents type: 身份证, 户口
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "base_item"
        ordering = ["basic_code"]


# Where a row rebuilt from memory (resolvers/catalogue/guides.py) finds the text of its JSON
# fields: (each such attribute's position, the values at those positions).
JSON_TEXTS = "_json_texts"


class _JsonDecodedWhenRead:
    """A guide's row rebuilt from memory for a search's page carries its JSON fields as text,
    each decoded the first time it is read (and from then on an attribute like any other): a
    page of cards reads none of them, and decoding them all was half the cost of rebuilding a
    row. A row read from the database holds every field, so it never gets here. Unseen by
    mypy, which would otherwise take any misspelt attribute of the model for a JSON field."""

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            kept = self.__dict__.get(JSON_TEXTS)
            if kept is not None:
                positions, values = kept
                position = positions.get(name)
                if position is not None:
                    value = self.__dict__[name] = orjson.loads(values[position])
                    return value
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


class Implementation(_JsonDecodedWhenRead, Model):
    """One region's and one organ's implementation of a base item: a versioned guide.

    Every edit happens on a DRAFT version; publishing archives the previous version, so that
    an application can always say which guide it was made under.
    """

    id = fields.UUIDField(primary_key=True)
    code = fields.CharField(max_length=96, db_index=True)
    version = fields.IntField(default=1)
    status = fields.CharEnumField(PublicationStatus, max_length=12, default=PublicationStatus.DRAFT)
    base: fields.ForeignKeyRelation[BaseItem] = fields.ForeignKeyField(
        "models.BaseItem", related_name="implementations", on_delete=fields.RESTRICT, db_index=True
    )
    base_id: UUID
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="implementations", on_delete=fields.RESTRICT
    )
    region_id: UUID
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department",
        related_name="implementations",
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    department_id: UUID
    # Copied from the base item when saved, so catalogue filters need no join.
    kind = fields.CharEnumField(ItemKind, max_length=24)
    item_type = fields.CharEnumField(ItemType, max_length=2)
    for_persons = fields.BooleanField(default=True)
    for_organisations = fields.BooleanField(default=False)
    # The four fields 三级四同 compares with the base item (code through its first segment).
    name = fields.CharField(max_length=128)
    legal_basis = fields.TextField()
    steps: list[dict[str, Any]] = fields.JSONField(default=list)
    divergence_justification = fields.TextField(default="")
    # The guide (办事指南)
    conditions = fields.TextField(default="")
    statutory_days = fields.IntField(default=0, description="法定办结时限, working days")
    promised_days = fields.IntField(default=0, description="承诺办结时限, working days")
    handling_type = fields.CharEnumField(HandlingType, max_length=12)
    fee = fields.CharField(max_length=256, default="", description="empty: free of charge")
    fee_basis = fields.TextField(default="")
    # Structured fees: [{"name", "amountFen", "legalBasis"}]; [] with an empty `fee` is free.
    fee_items: list[dict[str, Any]] = fields.JSONField(default=list)
    visits = fields.IntField(default=1, description="到现场次数")
    visit_reason = fields.CharField(max_length=256, default="")
    online_depth = fields.IntField(default=1, description="网办深度 1-4")
    channels: list[str] = fields.JSONField(default=list)
    scope = fields.CharEnumField(Scope, max_length=16, default=Scope.REGION)
    address = fields.CharField(max_length=256, default="")
    hours = fields.CharField(max_length=128, default="")
    phone = fields.CharField(max_length=32, default="")
    complaint_phone = fields.CharField(max_length=32, default="")
    result_name = fields.CharField(max_length=128, default="")
    result_sample = fields.CharField(max_length=256, default="")
    faqs: list[dict[str, str]] = fields.JSONField(default=list)
    form_schema: dict[str, Any] | None = fields.JSONField(null=True)
    cooperating_departments: list[str] = fields.JSONField(
        default=list, description="credit codes of organs handling in parallel"
    )
    valid_from = fields.DateField(null=True)
    valid_until = fields.DateField(null=True)
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "implementation"
        unique_together = (("code", "version"),)
        indexes = (("status", "region_id"),)


class Material(Model):
    """One material of one implementation version."""

    id = fields.UUIDField(primary_key=True)
    implementation: fields.ForeignKeyRelation[Implementation] = fields.ForeignKeyField(
        "models.Implementation", related_name="materials", on_delete=fields.CASCADE, db_index=True
    )
    implementation_id: UUID
    position = fields.IntField()
    name = fields.CharField(max_length=128)
    necessity = fields.CharEnumField(Necessity, max_length=12)
    source = fields.CharEnumField(MaterialSource, max_length=12)
    document_kind = fields.CharField(max_length=32, null=True)
    issuing_item_code = fields.CharField(max_length=32, null=True, description="basic code")
    original = fields.BooleanField(default=False, description="the original must be shown")
    copies = fields.IntField(default=1)
    note = fields.CharField(max_length=256, default="")
    # Files staff attached: {"key", "fileName", "contentType", "size"}; the objects are the
    # catalogue's own copies, shared by the versions that carry them forward.
    blank_form: dict[str, Any] | None = fields.JSONField(null=True, description="空白表格")
    sample: dict[str, Any] | None = fields.JSONField(null=True, description="示例样表")

    class Meta:
        table = "material"
        ordering = ["position"]


class ArticleKind(StrEnum):
    LAW = "LAW"
    POLICY = "POLICY"
    NOTICE = "NOTICE"
    GUIDE = "GUIDE"
    REVIEW_RULE = "REVIEW_RULE"
    FAQ = "FAQ"
    COMPLAINT_CHANNEL = "COMPLAINT_CHANNEL"


class Article(Model):
    """The public information library: laws, policies, notices, review rules, FAQs."""

    id = fields.UUIDField(primary_key=True)
    kind = fields.CharEnumField(ArticleKind, max_length=20)
    title = fields.CharField(max_length=256)
    body = fields.TextField()
    issuer = fields.CharField(max_length=128, default="")
    issued_on = fields.DateField(null=True)
    region: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="articles", null=True, on_delete=fields.RESTRICT
    )
    region_id: UUID | None
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="articles", null=True, on_delete=fields.RESTRICT
    )
    department_id: UUID | None
    published = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "article"


class ArticleItem(Model):
    """An item (by basic code) an article concerns."""

    id = fields.UUIDField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="items", on_delete=fields.CASCADE
    )
    article_id: UUID
    basic_code = fields.CharField(max_length=32, db_index=True)

    class Meta:
        table = "article_item"
        unique_together = (("article_id", "basic_code"),)


class CentreLevel(StrEnum):
    CITY = "CITY"
    COUNTY = "COUNTY"
    STREET = "STREET"
    COMMUNITY = "COMMUNITY"


class ServiceCentre(Model):
    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=128)
    level = fields.CharEnumField(CentreLevel, max_length=12)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="centres", on_delete=fields.RESTRICT, db_index=True
    )
    region_id: UUID
    address = fields.CharField(max_length=256)
    latitude = fields.FloatField()
    longitude = fields.FloatField()
    hours = fields.CharField(max_length=128, default="")
    phone = fields.CharField(max_length=32, default="")
    windows = fields.CharField(
        max_length=256, default="", description="窗口: which desks serve what"
    )
    accepts_citywide = fields.BooleanField(
        default=False, description="handles every CITYWIDE item (全域通办)"
    )

    class Meta:
        table = "service_centre"
        indexes = (("latitude", "longitude"),)


class CentreService(Model):
    """An implementation a centre handles besides those it handles by rule (its own region's
    at county and city level, and every citywide one where it accepts citywide items)."""

    id = fields.UUIDField(primary_key=True)
    centre: fields.ForeignKeyRelation[ServiceCentre] = fields.ForeignKeyField(
        "models.ServiceCentre", related_name="services", on_delete=fields.CASCADE
    )
    centre_id: UUID
    implementation_code = fields.CharField(max_length=96, db_index=True)

    class Meta:
        table = "centre_service"
        unique_together = (("centre_id", "implementation_code"),)


class TerminalPlacement(StrEnum):
    MALL = "MALL"
    CONVENIENCE_STORE = "CONVENIENCE_STORE"
    PUBLIC_SPACE = "PUBLIC_SPACE"
    COMMUNITY_AGENCY = "COMMUNITY_AGENCY"


class TerminalStatus(StrEnum):
    IN_SERVICE = "IN_SERVICE"
    OUT_OF_SERVICE = "OUT_OF_SERVICE"
    RETIRED = "RETIRED"


class Terminal(Model):
    """A self-service terminal in a community, signing in as its own TERMINAL account."""

    id = fields.UUIDField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=128)
    community: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="terminals", on_delete=fields.RESTRICT, db_index=True
    )
    community_id: UUID
    placement = fields.CharEnumField(TerminalPlacement, max_length=20)
    address = fields.CharField(max_length=256)
    latitude = fields.FloatField()
    longitude = fields.FloatField()
    hours = fields.CharField(max_length=128, default="")
    status = fields.CharEnumField(TerminalStatus, max_length=16, default=TerminalStatus.IN_SERVICE)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "models.Account", related_name="terminal", on_delete=fields.RESTRICT
    )
    account_id: UUID
    # The device credential, shown once at registration, kept only as a keyed hash.
    credential_hash = fields.CharField(max_length=64, unique=True)
    registered_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "terminal"
        indexes = (("latitude", "longitude"),)


class TerminalService(Model):
    id = fields.UUIDField(primary_key=True)
    terminal: fields.ForeignKeyRelation[Terminal] = fields.ForeignKeyField(
        "models.Terminal", related_name="services", on_delete=fields.CASCADE
    )
    terminal_id: UUID
    implementation_code = fields.CharField(max_length=96, db_index=True)

    class Meta:
        table = "terminal_service"
        unique_together = (("terminal_id", "implementation_code"),)
