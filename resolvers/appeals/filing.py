"""Filing an appeal: input, wallet photos, the rate limit, the content check, then one
transaction that holds it, dispatches it through the dispatch table or queues it (its
mini-program photos held for WeChat's image check)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import anyio
import orjson

from resolvers import inputs, policy
from resolvers.appeals import deadlines, dispatch, keywords, moderation, photo_checks
from resolvers.appeals.errors import AppealError
from resolvers.appeals.errors import AppealErrorCode as Code
from resolvers.appeals.transitions import (
    HOLD_NOTES,
    MAX_ADDRESS,
    SELF_SERVICE_CHANNELS,
    acting,
    changing,
    clean_text,
    dispatch_in,
    notify_owner,
    seal,
    write_event,
)
from resolvers.calendar.service import china_date
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.cache import Keys, RedisError, hit_rate_limit
from storage.models.accounts import Account
from storage.models.appeals import (
    Appeal,
    AppealCategory,
    AppealChannel,
    AppealEventType,
    AppealKind,
    AppealStatus,
)
from storage.models.catalogue import Channel, Region
from storage.models.documents import DocumentKind, DocumentStatus
from storage.repositories import appeals as repo

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Filing:
    """A filing, checked and ready to be written."""

    kind: AppealKind
    leaf: Leaf
    place: dispatch.Place
    channel: AppealChannel
    content: str
    latitude: float | None
    longitude: float | None
    address: str
    photo_ids: list[UUID]
    contact: dict[str, str] | None = None
    reply_wanted: bool = True
    # Photos go through WeChat's image check where the text goes through its text check.
    check_photos: bool = False


@dataclass(frozen=True, slots=True)
class Leaf:
    """A category appeals are filed under, with its group (whose 时限 it may inherit)."""

    category: AppealCategory
    group: AppealCategory | None


async def leaf_category(resources: Resources, code: str, field: str = "categoryCode") -> Leaf:
    """The category by code from the dispatch catalogue held in memory."""
    reference = resources.reference
    found = await reference.appeal_category(code.strip()) if code and len(code) <= 16 else None
    if found is None or not found[1]:
        raise AppealError(Code.CATEGORY_NOT_FOUND, field)
    category = found[0]
    groups = await reference.appeal_categories([category.parent_id]) if category.parent_id else []
    if not category.active or any(not g.active for g in groups):
        raise AppealError(Code.CATEGORY_RETIRED, field)  # a retired leaf, or in a retired group
    return Leaf(category, groups[0] if groups else None)


async def region_of(resources: Resources, code: str | None, field: str = "regionCode") -> Region:
    region = None
    if code and len(code) <= 12:
        # From the regions held in memory; one added since they were loaded is read.
        region = await resources.reference.region_by_code(code.strip())
        region = region or await repo.region_by_code(code.strip())
    if region is None or region.retired:
        raise AppealError(Code.REGION_NOT_FOUND, field)
    return region


def check_location(lat: float | None, lng: float | None, field: str = "location") -> None:
    if lat is None and lng is None:
        return
    if (
        lat is None
        or lng is None
        or not (math.isfinite(lat) and math.isfinite(lng))
        or not -90 <= lat <= 90
        or not -180 <= lng <= 180
    ):
        raise AppealError(Code.LOCATION_INVALID, field)


def check_content(resources: Resources, content: str | None, field: str = "content") -> str:
    text = (content or "").strip()
    if not text:
        raise AppealError(Code.CONTENT_REQUIRED, field)
    if len(text) > resources.settings.appeal_content_max_chars:
        raise AppealError(Code.CONTENT_TOO_LONG, field)
    return text


PHOTO_CODES = inputs.DocumentCodes(
    too_many=Code.TOO_MANY_PHOTOS,
    not_found=Code.PHOTO_NOT_FOUND,
    duplicate=Code.DUPLICATE_PHOTO,
    not_available=Code.PHOTO_NOT_AVAILABLE,
    wrong_kind=Code.NOT_A_PHOTO,
)


async def photos_of(
    resources: Resources, owner_id: UUID, document_ids: Sequence[str]
) -> list[UUID]:
    """The resident's own available photos they named, in order."""
    photos = await inputs.owned_documents(
        owner_id,
        document_ids,
        limit=resources.settings.appeal_max_photos,
        load=repo.documents_by_ids,
        available=DocumentStatus.AVAILABLE,
        kind=DocumentKind.PHOTO,
        error=AppealError,
        codes=PHOTO_CODES,
    )
    return [photo.id for photo in photos]


# Kinds that may be filed without a way to call back: they ask for nothing to be done.
NO_REPLY_KINDS = frozenset({AppealKind.SUGGESTION, AppealKind.PRAISE})


def check_reply_choice(kind: AppealKind, no_reply_wanted: bool) -> None:
    """Only a 建议 or 表扬 may say no reply is wanted; everything else asks for an answer."""
    if no_reply_wanted and kind not in NO_REPLY_KINDS:
        raise AppealError(Code.INVALID_INPUT, "noReplyWanted")


def check_reachable(owner: Account, kind: AppealKind, no_reply_wanted: bool) -> None:
    """Handlers call residents back: a filing needs a bound phone unless no reply is wanted.
    The field points at the way out where the kind has one (建议, 表扬)."""
    if not owner.phone_sealed and not no_reply_wanted:
        raise AppealError(Code.PHONE_REQUIRED, "noReplyWanted" if kind in NO_REPLY_KINDS else None)


async def rate_limit(resources: Resources, owner_id: UUID) -> None:
    try:
        hit = await hit_rate_limit(
            resources.redis,
            Keys.rate("fileAppeal", str(owner_id)),
            limit=resources.settings.appeals_per_hour,
            window=3600,
        )
    except RedisError:
        log.warning("rate limit unavailable: the filing is allowed")
        return
    if not hit.allowed:
        raise AppealError(Code.RATE_LIMITED, retry_after=hit.retry_after)


async def file_appeal(
    resources: Resources,
    principal: Principal,
    *,
    kind: AppealKind,
    category_code: str,
    content: str,
    latitude: float | None,
    longitude: float | None,
    region_code: str,
    address: str | None,
    document_ids: Sequence[str],
    channel: Channel,
    no_reply_wanted: bool = False,
) -> Appeal:
    """A resident files an appeal. Checked in this order, so that nothing is written for a
    bad filing: input, a way to call back, photos, the rate limit, the content check
    (mini-program), then one transaction."""
    await policy.authorize(resources, principal, policy.Action.APPEAL_FILE)
    owner_id = acting(principal)
    if channel not in SELF_SERVICE_CHANNELS:
        raise AppealError(Code.CHANNEL_NOT_ALLOWED, "channel")
    check_reply_choice(kind, no_reply_wanted)
    text = check_content(resources, content)
    leaf = await leaf_category(resources, category_code)
    region = await region_of(resources, region_code)
    check_location(latitude, longitude)
    where = clean_text(address, "address", limit=MAX_ADDRESS)
    owner = await repo.account(owner_id)
    assert owner is not None  # the policy let a signed-in resident file
    check_reachable(owner, kind, no_reply_wanted)
    photos = await photos_of(resources, owner_id, document_ids)
    await rate_limit(resources, owner_id)
    filing = Filing(
        kind=kind,
        leaf=leaf,
        place=await dispatch.place_of(resources, region),
        channel=AppealChannel(channel.value),
        content=text,
        latitude=latitude,
        longitude=longitude,
        address=where,
        photo_ids=photos,
        reply_wanted=not no_reply_wanted,
        check_photos=moderation.needs_check(AppealChannel(channel.value)),
    )
    verdict = await moderation.screen(resources, text, filing.channel, owner.wechat_openid)
    return await create(resources, filing, owner_id=owner_id, verdict=verdict)


async def create(
    resources: Resources,
    filing: Filing,
    *,
    owner_id: UUID | None,
    verdict: moderation.Verdict,
    open311_client_id: UUID | None = None,
) -> Appeal:
    """Writes a checked filing: held, or dispatched at once through the dispatch table, or
    in the 12345 centre's queue when the table names nobody."""
    now = resources.clock()
    words = await anyio.to_thread.run_sync(keywords.extract, filing.content)
    category = filing.leaf.category
    department_id = (
        None if verdict.hold else await dispatch.route(resources, category, filing.place)
    )
    found = None
    if department_id is not None:
        found = await deadlines.round_from(
            resources.settings,
            deadlines.limits(resources.settings, category, filing.leaf.group),
            china_date(now),
        )
    # Taken before the transaction: the day's counter is held for one statement, not for
    # the whole filing (a filing that then fails leaves a gap in the day's numbers).
    number = f"SQ{china_date(now):%Y%m%d}{await repo.reserve_number(china_date(now)):06d}"
    async with changing(resources):
        status = AppealStatus.HELD if verdict.hold else AppealStatus.SUBMITTED
        appeal = await repo.create(
            number=number,
            owner_id=owner_id,
            open311_client_id=open311_client_id,
            kind=filing.kind,
            category_id=category.id,
            region_id=filing.place.region.id,
            district_id=filing.place.district.id,
            channel=filing.channel,
            content_sealed=seal(resources, "content", filing.content),
            keywords_sealed=seal(resources, "keywords", orjson.dumps(words).decode()),
            keyword_digests=keywords.digests(resources.keyring, words),
            address_sealed=seal(resources, "address", filing.address) if filing.address else None,
            contact_sealed=(
                seal(resources, "contact", orjson.dumps(filing.contact).decode())
                if filing.contact
                else None
            ),
            latitude=filing.latitude,
            longitude=filing.longitude,
            reply_wanted=filing.reply_wanted,
            status=status,
            hold_reason=verdict.hold,
            check_trace_id=verdict.trace_id,
            submitted_at=now,
        )
        # The words behind the digests, sealed, for the hot topics to open (new words only).
        await repo.remember_terms(
            {keywords.digest(resources.keyring, w): seal(resources, "term", w) for w in words}
        )
        if filing.photo_ids and filing.check_photos:
            await photo_checks.hold(appeal, filing.photo_ids, now=now)
        elif filing.photo_ids:
            await repo.add_photos(appeal.id, filing.photo_ids)
        # Filed straight into its first status (HELD or SUBMITTED): no move yet.
        await write_event(appeal, AppealEventType.FILED, status, at=now, actor_id=owner_id)
        if verdict.hold:
            await write_event(
                appeal,
                AppealEventType.HELD,
                status,
                at=now,
                actor_id=None,
                note=HOLD_NOTES[verdict.hold],
            )
            await notify_owner(
                appeal, status, at=now, extra="内容审核通过后将转交承办部门。", category=category
            )
        elif department_id is not None and found is not None:
            await dispatch_in(
                appeal,
                department_id,
                found,
                at=now,
                by=None,
                actor_id=None,
                note="按派单目录自动派单",
                category=category,
            )
        else:
            await notify_owner(
                appeal, status, at=now, extra="将由12345热线派至承办部门。", category=category
            )
    fresh = await repo.by_id(appeal.id)
    assert fresh is not None
    return fresh
