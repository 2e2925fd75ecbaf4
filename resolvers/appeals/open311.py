"""Open311 GeoReport v2 in terms of appeals: categories as services, appeals as public-safe
service requests (no resident's words, no identity, coordinates rounded), and filing by an
API-key client."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from resolvers.appeals import deadlines, dispatch, filing, moderation, publication
from resolvers.appeals.errors import AppealError
from resolvers.appeals.transitions import MAX_ADDRESS, clean_text
from resolvers.appeals.workflow import KIND_LABELS
from resolvers.calendar.service import CHINA
from resolvers.geo import box_around, distance_meters
from resolvers.resources import Resources
from storage.cache import Keys, RedisError, hit_rate_limit
from storage.models.appeals import (
    Appeal,
    AppealCategory,
    AppealChannel,
    AppealKind,
    AppealStatus,
    Open311Client,
)
from storage.models.catalogue import RegionLevel
from storage.repositories import appeals as repo

# Public coordinates are rounded to 3 decimals: about 110 m, enough for a map of issues,
# not enough to point at a door.
COORDINATE_DECIMALS = 3
MAX_REQUEST_IDS = 100
MAX_PAGE_SIZE = 1000  # the spec's "first 1000 requests"
MAX_SPAN = timedelta(days=90)
# A location without a REGION attribute is placed in the region of the nearest service
# centre within this distance.
PLACE_RADIUS_METERS = 10_000.0
# Identifiers as they are stored (appeal numbers: SQ + date + sequence, at most 24 characters;
# category codes: at most 16). Anything else is refused before it reaches a query or a log.
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,24}")
SERVICE_CODE = re.compile(r"[A-Za-z0-9_.-]{1,16}")
CLOSED = (AppealStatus.REPLIED, AppealStatus.CLOSED, AppealStatus.MERGED)
OPEN = (AppealStatus.SUBMITTED, AppealStatus.DISPATCHED, AppealStatus.SIGNED, AppealStatus.RETURNED)
# 举报 is confidential by nature: it never appears in public reads.
HIDDEN_KINDS = publication.CONFIDENTIAL_KINDS
STATUS_NOTES = {
    AppealStatus.SUBMITTED: "已受理，待派单",
    AppealStatus.DISPATCHED: "已派至承办部门",
    AppealStatus.SIGNED: "承办部门办理中",
    AppealStatus.RETURNED: "重新派单中",
    AppealStatus.REPLIED: "已答复",
    AppealStatus.CLOSED: "已办结",
    AppealStatus.MERGED: "与同一事项合并办理（重复诉求）",
}


class Open311Error(Exception):
    """An error in the spec's shape: the HTTP status and a description for the client."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _w3c(moment: datetime) -> str:
    return moment.astimezone(CHINA).isoformat(timespec="seconds")


def parse_w3c(value: str, name: str) -> datetime:
    """A W3C datetime (timezone required, as the spec says)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(
            400, f"{name} must be a W3C datetime, e.g. 2010-01-01T00:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} must include a timezone (Z or +08:00)")
    return parsed


def request_id(value: str) -> str:
    """A service_request_id (path or list item) in the format appeal numbers have."""
    if not REQUEST_ID.fullmatch(value):
        raise Open311Error(400, "service_request_id must be 1 to 24 letters, digits or dashes")
    return value


def service_code(value: str) -> str:
    """A service_code (path, list item or form field) in the format category codes have."""
    if not SERVICE_CODE.fullmatch(value):
        raise Open311Error(
            400, "service_code must be 1 to 16 letters, digits, dots, dashes or underscores"
        )
    return value


def check_jurisdiction(resources: Resources, value: str | None) -> None:
    if value and value != resources.settings.open311_jurisdiction_id:
        raise Open311Error(404, f"jurisdiction_id {value} not found")


# -- services


async def services(resources: Resources) -> list[dict[str, Any]]:
    rows = await repo.categories()
    groups = {c.id: c for c in rows if c.parent_id is None}
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description,
            "metadata": True,
            "type": "realtime",
            "keywords": ", ".join(k for k in c.keywords.split(",") if k),
            "group": groups[c.parent_id].name if c.parent_id in groups else "",
        }
        for c in rows
        if c.parent_id is not None and c.active and groups[c.parent_id].active
    ]


async def definition(resources: Resources, code: str) -> dict[str, Any]:
    service_code(code)
    try:
        category = (await filing.leaf_category(resources, code)).category
    except AppealError:
        raise Open311Error(404, f"service_code {code} not found") from None
    counties = await repo.county_regions()
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "REGION",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": (
                    "所在区（市）县的代码；不填时按坐标就近确定。也可填街道、社区的12位代码。"
                ),
                "order": 1,
                "description": "问题所在的区（市）县",
                "values": [{"key": r.code, "name": r.name} for r in counties],
            },
            {
                "variable": True,
                "code": "KIND",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "不填时为“投诉”。",
                "order": 2,
                "description": "诉求类型",
                "values": [
                    {"key": kind.value, "name": KIND_LABELS[kind.value]}
                    for kind in AppealKind
                    if kind not in HIDDEN_KINDS
                ],
            },
        ],
    }


# -- reading requests


@dataclass(frozen=True, slots=True)
class RequestQuery:
    numbers: list[str] | None
    codes: list[str] | None
    start: datetime | None
    end: datetime | None
    statuses: list[str] | None
    page: int
    page_size: int


def request_query(resources: Resources, params: Mapping[str, str]) -> RequestQuery:
    numbers = _list(params.get("service_request_id"))
    if numbers is not None and len(numbers) > MAX_REQUEST_IDS:
        raise Open311Error(400, f"at most {MAX_REQUEST_IDS} service_request_id at once")
    codes = _list(params.get("service_code"))
    for number in numbers or ():
        request_id(number)
    for code in codes or ():
        service_code(code)
    start = parse_w3c(params["start_date"], "start_date") if params.get("start_date") else None
    end = parse_w3c(params["end_date"], "end_date") if params.get("end_date") else None
    now = resources.clock()
    if numbers is None:
        # The spec's default window: the most recent 90 days, and never a longer span.
        if start is None and end is None:
            end, start = now, now - MAX_SPAN
        elif start is None:
            assert end is not None
            start = end - MAX_SPAN
        elif end is None:
            end = min(now, start + MAX_SPAN)
        if end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > MAX_SPAN:
            raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    statuses = _list(params.get("status"))
    if statuses is not None and not set(statuses) <= {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or both")
    page = _int(params.get("page"), "page", 1, 1, 10)
    page_size = _int(params.get("page_size"), "page_size", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    return RequestQuery(numbers, codes, start, end, statuses, page, page_size)


def _list(value: str | None) -> list[str] | None:
    if not value:
        return None
    items = [part.strip() for part in value.split(",") if part.strip()]
    return items or None


def _int(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if not value:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise Open311Error(400, f"{name} must be a whole number from {low} to {high}")
    return int(value)


async def requests(resources: Resources, query: RequestQuery) -> list[dict[str, Any]]:
    categories = {c.id: c for c in await repo.categories()}
    category_ids = None
    if query.codes is not None:
        category_ids = [c.id for c in categories.values() if c.code in query.codes]
    statuses = None
    if query.statuses is not None:
        statuses = [
            *(OPEN if "open" in query.statuses else ()),
            *(CLOSED if "closed" in query.statuses else ()),
        ]
    rows = await repo.public_requests(
        numbers=query.numbers,
        category_ids=category_ids,
        start=query.start,
        end=query.end,
        statuses=statuses,
        hidden_kinds=HIDDEN_KINDS,
        limit=query.page_size,
        offset=(query.page - 1) * query.page_size,
    )
    return await public(resources, rows, categories)


async def one_request(resources: Resources, number: str) -> list[dict[str, Any]]:
    request_id(number)
    rows = await repo.public_requests(
        numbers=[number],
        category_ids=None,
        start=None,
        end=None,
        statuses=None,
        hidden_kinds=HIDDEN_KINDS,
        limit=1,
        offset=0,
    )
    if not rows:
        raise Open311Error(404, f"service_request_id {number} not found")
    return await public(resources, rows, {c.id: c for c in await repo.categories()})


async def public(
    resources: Resources, rows: Sequence[Appeal], categories: Mapping[UUID, AppealCategory]
) -> list[dict[str, Any]]:
    """What anyone may read about appeals: never the resident's words, name, phone or exact
    address, and only the photos staff published. Four queries whatever the number of rows."""
    departments = {
        d.id: d
        for d in await repo.departments_by_ids({r.department_id for r in rows if r.department_id})
    }
    regions = {
        r.id: r
        for r in await repo.regions_by_ids(
            {r.region_id for r in rows} | {r.district_id for r in rows}
        )
    }
    parents = {
        r.id: r
        for r in await repo.regions_by_ids({r.parent_id for r in regions.values() if r.parent_id})
    }
    regions.update(parents)
    photos = await publication.first_public_photos(resources, rows)
    out = []
    for row in rows:
        category = categories[row.category_id]
        department = departments.get(row.department_id) if row.department_id else None
        closed = row.status in CLOSED
        updated = row.closed_at or row.replied_at or row.updated_at
        expected = None
        if row.reply_due is not None and not closed:
            expected = datetime.combine(row.reply_due, time(23, 59, 59), tzinfo=CHINA)
        out.append(
            {
                "service_request_id": row.number,
                "status": "closed" if closed else "open",
                "status_notes": STATUS_NOTES.get(row.status),
                "service_name": category.name,
                "service_code": category.code,
                "description": f"{KIND_LABELS[row.kind.value]}：{category.description}",
                "agency_responsible": department.name if department else "成都市12345热线",
                "service_notice": notice_of(
                    resources,
                    category,
                    categories.get(category.parent_id) if category.parent_id else None,
                ),
                "requested_datetime": _w3c(row.submitted_at),
                "updated_datetime": _w3c(updated),
                "expected_datetime": _w3c(expected) if expected else None,
                "address": _general_address(row, regions),
                # Listed by the spec; unknown here. Chengdu has no master address repository
                # we could cite, and we keep no postal codes.
                "address_id": None,
                "zipcode": None,
                "lat": round(row.latitude, COORDINATE_DECIMALS)
                if row.latitude is not None
                else None,
                "long": round(row.longitude, COORDINATE_DECIMALS)
                if row.longitude is not None
                else None,
                # A short-lived link to the first photo staff published; null: none is.
                "media_url": photos[row.id].url if row.id in photos else None,
            }
        )
    return out


def _general_address(row: Appeal, regions: Mapping[UUID, Any]) -> str:
    """The district and, where known, the street: never the resident's own address."""
    region = regions.get(row.region_id)
    district = regions.get(row.district_id)
    parts = ["成都市"]
    if district is not None and district.level is not RegionLevel.CITY:
        parts.append(district.name)
    if region is not None and region.level is RegionLevel.STREET:
        parts.append(region.name)
    elif region is not None and region.level is RegionLevel.COMMUNITY:
        parent = regions.get(region.parent_id)
        if parent is not None:
            parts.append(parent.name)
    return "".join(parts)


def notice_of(resources: Resources, category: AppealCategory, parent: AppealCategory | None) -> str:
    """What the client can tell the reporter about the deadlines of this kind of matter."""
    limits = deadlines.limits(resources.settings, category, parent)
    sign = "当天" if limits.sign_days == 0 else f"{limits.sign_days}个工作日内"
    return f"承办部门{sign}签收，{limits.reply_days}个工作日内答复；结果可凭编号在12345热线查询。"


# -- filing


async def client_of(resources: Resources, api_key: str | None) -> Open311Client:
    if not api_key:
        raise Open311Error(403, "api_key is missing")
    if len(api_key) > 200:
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.")
    client = await repo.open311_client_by_hash(resources.keyring.token_hash(api_key))
    if client is None:
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.")
    return client


async def file_request(
    resources: Resources, client: Open311Client, form: Mapping[str, str]
) -> dict[str, Any]:
    """POST Service Request: an appeal from an Open311 client, dispatched like any other.
    Its text is not published (public reads show only the category), so it does not wait
    for WeChat's check, which only applies to mini-program users."""
    check_jurisdiction(resources, form.get("jurisdiction_id"))
    await _limit(resources, client)
    code = (form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided")
    service_code(code)
    try:
        leaf = await filing.leaf_category(resources, code)
    except AppealError:
        raise Open311Error(404, f"service_code {code} not found") from None
    lat, lng = _coordinate(form.get("lat"), "lat"), _coordinate(form.get("long"), "long")
    if (lat is None) != (lng is None):
        raise Open311Error(400, "lat and long must be sent together")
    address = (form.get("address_string") or "").strip()
    if lat is None and not address and not form.get("address_id"):
        raise Open311Error(400, "a location is required: lat & long, address_string or address_id")
    try:
        filing.check_location(lat, lng)
        content = filing.check_content(resources, form.get("description"))
        where = clean_text(address, "address_string", limit=MAX_ADDRESS)
    except AppealError as error:
        raise Open311Error(
            400, f"{_FIELDS.get(error.field or '', error.field)}: {error.message}"
        ) from None
    kind = _kind(form.get("attribute[KIND]"))
    region = await _region(resources, form.get("attribute[REGION]"), lat, lng)
    contact = {
        key: value.strip()[:64]
        for key, value in (
            ("name", f"{form.get('last_name') or ''}{form.get('first_name') or ''}"),
            ("phone", form.get("phone") or ""),
            ("email", form.get("email") or ""),
        )
        if value.strip()
    }
    checked = filing.Filing(
        kind=kind,
        leaf=leaf,
        place=await dispatch.place_of(resources, region),
        channel=AppealChannel.OPEN311,
        content=content,
        latitude=lat,
        longitude=lng,
        address=where,
        photo_ids=[],
        contact=contact or None,
    )
    appeal = await filing.create(
        resources, checked, owner_id=None, verdict=moderation.CLEARED, open311_client_id=client.id
    )
    await repo.open311_touch(client.id, resources.clock())
    return {
        "service_request_id": appeal.number,
        "service_notice": notice_of(resources, leaf.category, leaf.group),
        "account_id": None,
    }


def discovery(resources: Resources) -> dict[str, Any]:
    """Open311's service discovery document: where the GeoReport v2 endpoint is and which
    formats it speaks, so that generic clients can find it from the jurisdiction alone."""
    settings = resources.settings
    url = f"{settings.public_base_url.rstrip('/')}/open311/v2/"
    return {
        "changeset": DISCOVERY_CHANGESET,
        "contact": "成都市12345热线 (12345)",
        "key_service": f"{url} (API keys are issued by the 12345 centre)",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": url,
                "changeset": DISCOVERY_CHANGESET,
                "type": "production" if settings.is_production else "test",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


# When the endpoint's behaviour last changed, as the discovery spec asks.
DISCOVERY_CHANGESET = "2026-12-05T00:00:00+08:00"

_FIELDS = {"content": "description", "location": "lat/long", "address_string": "address_string"}


async def _limit(resources: Resources, client: Open311Client) -> None:
    try:
        hit = await hit_rate_limit(
            resources.redis,
            Keys.rate("open311", str(client.id)),
            limit=resources.settings.open311_requests_per_hour,
            window=3600,
        )
    except RedisError:
        return
    if not hit.allowed:
        raise Open311Error(429, f"too many requests: try again in {hit.retry_after} seconds")


def _coordinate(value: str | None, name: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number (WGS84)") from None


def _kind(value: str | None) -> AppealKind:
    if not value:
        return AppealKind.COMPLAINT
    try:
        kind = AppealKind(value.strip().upper())
    except ValueError:
        raise Open311Error(
            400, "attribute[KIND] is not one of the service definition's values"
        ) from None
    if kind in HIDDEN_KINDS:
        raise Open311Error(400, "attribute[KIND] is not one of the service definition's values")
    return kind


async def _region(
    resources: Resources, code: str | None, lat: float | None, lng: float | None
) -> Any:
    if code:
        try:
            return await filing.region_of(resources, code)
        except AppealError:
            raise Open311Error(400, f"attribute[REGION] {code} is not a region code") from None
    if lat is not None and lng is not None:
        box = box_around(lat, lng, PLACE_RADIUS_METERS)
        centres = await repo.centres_in_box(box.south, box.west, box.north, box.east, limit=500)
        nearest = min(
            centres,
            key=lambda c: distance_meters(lat, lng, c.latitude, c.longitude),
            default=None,
        )
        if (
            nearest is not None
            and distance_meters(lat, lng, nearest.latitude, nearest.longitude)
            <= PLACE_RADIUS_METERS
        ):
            region = await repo.regions_by_ids([nearest.region_id])
            if region:
                return region[0]
    raise Open311Error(
        400, "attribute[REGION] is required: the location could not be placed in a region"
    )
