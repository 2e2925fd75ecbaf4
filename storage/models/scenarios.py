"""Themes (life events, business life cycles), scenario bundles (一件事一次办) as versioned
definitions, the bundle behind each scenario submission, and recommendation rules."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from storage.models.catalogue import PublicationStatus

if TYPE_CHECKING:
    from storage.models.applications import Application
    from storage.models.catalogue import Department, Region


class QuestionKind(StrEnum):
    SINGLE_CHOICE = "SINGLE_CHOICE"
    MULTIPLE_CHOICE = "MULTIPLE_CHOICE"
    YES_NO = "YES_NO"
    NUMBER = "NUMBER"


class Theme(Model):
    """A life event of a person (出生 … 身后) or a stage of an organisation's life (准入准营 …)."""

    id = fields.UUIDField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=32)
    audience = fields.CharField(max_length=16, description="PERSON or ORGANISATION")
    position = fields.IntField(default=0)
    description = fields.CharField(max_length=500, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "theme"
        ordering = ["position", "code"]


class ThemeItem(Model):
    """A standard item (by basic code) listed under a theme."""

    id = fields.UUIDField(primary_key=True)
    theme: fields.ForeignKeyRelation[Theme] = fields.ForeignKeyField(
        "models.Theme", related_name="items", on_delete=fields.CASCADE
    )
    theme_id: UUID
    basic_code = fields.CharField(max_length=32, db_index=True)
    position = fields.IntField(default=0)

    class Meta:
        table = "theme_item"
        unique_together = (("theme_id", "basic_code"),)


class Scenario(Model):
    """One version of a scenario bundle: questions, items and material rules, validated.

    Staff edit a DRAFT version; publishing archives the previous one, so that every
    submission can say exactly which definition it answered.
    """

    id = fields.UUIDField(primary_key=True)
    code = fields.CharField(max_length=32, db_index=True)
    version = fields.IntField(default=1)
    status = fields.CharEnumField(PublicationStatus, max_length=12, default=PublicationStatus.DRAFT)
    name = fields.CharField(max_length=64)
    summary = fields.CharField(max_length=1000, default="")
    audience = fields.CharField(max_length=16, description="PERSON or ORGANISATION")
    position = fields.IntField(default=100)
    lead_department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="scenarios", null=True, on_delete=fields.RESTRICT
    )
    lead_department_id: UUID | None
    definition: dict[str, Any] = fields.JSONField()
    digest = fields.CharField(max_length=64, description="SHA-256 of the canonical definition")
    edited_by_id = fields.UUIDField(null=True)
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "scenario"
        unique_together = (("code", "version"),)
        indexes = (("status", "position"),)


class ScenarioItem(Model):
    """An item a scenario version may lead to, for look-ups by item (themes, recommendations)."""

    id = fields.UUIDField(primary_key=True)
    scenario: fields.ForeignKeyRelation[Scenario] = fields.ForeignKeyField(
        "models.Scenario", related_name="items", on_delete=fields.CASCADE
    )
    scenario_id: UUID
    basic_code = fields.CharField(max_length=32, db_index=True)
    position = fields.IntField(default=0)

    class Meta:
        table = "scenario_item"
        unique_together = (("scenario_id", "basic_code"),)


class ScenarioTheme(Model):
    """A theme a scenario version is listed under."""

    id = fields.UUIDField(primary_key=True)
    scenario: fields.ForeignKeyRelation[Scenario] = fields.ForeignKeyField(
        "models.Scenario", related_name="themes", on_delete=fields.CASCADE
    )
    scenario_id: UUID
    theme: fields.ForeignKeyRelation[Theme] = fields.ForeignKeyField(
        "models.Theme", related_name="scenarios", on_delete=fields.RESTRICT, db_index=True
    )
    theme_id: UUID

    class Meta:
        table = "scenario_theme"
        unique_together = (("scenario_id", "theme_id"),)


class ScenarioSubmission(Model):
    """The bundle behind a parent application: which scenario version, region and answers.

    The answers are sealed (context "scenario.answers"): they describe a family or a business.
    """

    id = fields.UUIDField(primary_key=True)
    application: fields.OneToOneRelation[Application] = fields.OneToOneField(
        "models.Application", related_name="scenario_submission", on_delete=fields.CASCADE
    )
    application_id: UUID
    scenario: fields.ForeignKeyRelation[Scenario] = fields.ForeignKeyField(
        "models.Scenario", related_name="submissions", on_delete=fields.RESTRICT, db_index=True
    )
    scenario_id: UUID
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="scenario_submissions", on_delete=fields.RESTRICT
    )
    region_id: UUID
    answers_sealed = fields.TextField()
    plan_digest = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "scenario_submission"


class RecommendationKind(StrEnum):
    DOCUMENT_EXPIRING = "DOCUMENT_EXPIRING"  # a wallet document's validity ends soon
    AGE = "AGE"  # the resident's age, from the verified ID number
    REGION = "REGION"  # where the verified ID number was issued
    ORGANISATION = "ORGANISATION"  # a business licence in the wallet
    FOLLOW_UP = "FOLLOW_UP"  # an item usually followed by another
    # No condition: what people commonly need at some point of their lives. Shown to anyone,
    # signed in or not, after everything more specific, so that no one gets an empty list.
    EVERYONE = "EVERYONE"


class RecommendationTarget(StrEnum):
    ITEM = "ITEM"  # a basic code, shown as the resident's region's implementation
    SCENARIO = "SCENARIO"  # a scenario code
    ISSUING_ITEM = "ISSUING_ITEM"  # the item whose result the expiring document is


class RecommendationRule(Model):
    """One rule of personal recommendations: when it applies, what it suggests, and why.

    `reason` is a zh-CN template; {days}, {age}, {item}, {document} and {after} are filled in
    for the resident it is shown to, and never stored or logged.
    """

    id = fields.UUIDField(primary_key=True)
    code = fields.CharField(max_length=48, unique=True)
    kind = fields.CharEnumField(RecommendationKind, max_length=20)
    target = fields.CharEnumField(RecommendationTarget, max_length=16)
    target_code = fields.CharField(max_length=32, default="")
    params: dict[str, Any] = fields.JSONField(default=dict)
    reason = fields.CharField(max_length=120)
    priority = fields.IntField(default=100, description="lower comes first")
    active = fields.BooleanField(default=True)

    class Meta:
        table = "recommendation_rule"
        ordering = ["priority", "code"]
