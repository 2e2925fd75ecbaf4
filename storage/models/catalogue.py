"""Regions (GB/T 2260 and below) and departments (organs with credit codes)."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from tortoise import fields
from tortoise.models import Model


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
        "models.Region", related_name="children", null=True, on_delete=fields.RESTRICT
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

    class Meta:
        table = "department"
        ordering = ["code"]
