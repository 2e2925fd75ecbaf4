"""Appeals (网络理政, 12345): the dispatch catalogue and table, appeals with their timeline,
replies, ratings, photos, supervision (督办) and revisits (回访), and Open311 client keys."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from storage.models.outbox import next_seq

if TYPE_CHECKING:
    from storage.models.accounts import Account
    from storage.models.catalogue import Department, Region
    from storage.models.documents import Document


class AppealKind(StrEnum):
    CONSULTATION = "CONSULTATION"  # 咨询
    HELP = "HELP"  # 求助
    COMPLAINT = "COMPLAINT"  # 投诉
    REPORT = "REPORT"  # 举报: the reporter's identity is protected from handlers
    SUGGESTION = "SUGGESTION"  # 建议
    PRAISE = "PRAISE"  # 表扬


class AppealStatus(StrEnum):
    SUBMITTED = "SUBMITTED"  # checked, waiting in the 12345 centre's queue for dispatch
    HELD = "HELD"  # content not cleared yet (WeChat unreachable, or held for a moderator)
    DISPATCHED = "DISPATCHED"  # with a department, to be signed for (签收)
    SIGNED = "SIGNED"  # the department took it on
    REPLIED = "REPLIED"  # answered; the resident may rate or reopen within the window
    CLOSED = "CLOSED"
    RETURNED = "RETURNED"  # 退单: the department sent it back to the centre for 改派
    MERGED = "MERGED"  # 并单: answered through the appeal it was merged into
    REJECTED = "REJECTED"  # content refused by the check or a moderator (不予受理)


# Statuses in which a department is working on the appeal (deadlines run).
HANDLING_STATUSES = (AppealStatus.DISPATCHED, AppealStatus.SIGNED)
# Statuses that can no longer change except by a reopen.
FINAL_STATUSES = (AppealStatus.CLOSED, AppealStatus.MERGED, AppealStatus.REJECTED)


class HoldReason(StrEnum):
    CHECK_PENDING = "CHECK_PENDING"  # WeChat's content check did not answer: retried later
    REVIEW = "REVIEW"  # WeChat said "review": a moderator of the 12345 centre decides


class AppealChannel(StrEnum):
    """Where an appeal came from: the five channels of the plan, and Open311 clients."""

    WEB_HALL = "WEB_HALL"
    SERVICE_HALL = "SERVICE_HALL"
    TERMINAL = "TERMINAL"
    MOBILE_APP = "MOBILE_APP"
    MINI_PROGRAM = "MINI_PROGRAM"
    TV_HALL = "TV_HALL"
    OPEN311 = "OPEN311"


class AppealEventType(StrEnum):
    FILED = "FILED"
    HELD = "HELD"
    RELEASED = "RELEASED"  # the content check or a moderator cleared it
    REJECTED = "REJECTED"
    DISPATCHED = "DISPATCHED"
    REDISPATCHED = "REDISPATCHED"  # 改派
    SIGNED = "SIGNED"
    RETURNED = "RETURNED"  # 退单
    EXTENSION_REQUESTED = "EXTENSION_REQUESTED"
    EXTENSION_APPROVED = "EXTENSION_APPROVED"
    EXTENSION_DENIED = "EXTENSION_DENIED"
    REPLIED = "REPLIED"
    RATED = "RATED"
    REOPENED = "REOPENED"
    MERGED = "MERGED"  # this appeal was merged into another
    ABSORBED = "ABSORBED"  # another appeal was merged into this one
    SUPERVISED = "SUPERVISED"  # 督办: a deadline was missed
    CLOSED = "CLOSED"
    REVISITED = "REVISITED"
    PHOTO_REMOVED = "PHOTO_REMOVED"  # a photo failed the image check and left the appeal


class Satisfaction(StrEnum):
    SATISFIED = "SATISFIED"  # 满意
    BASICALLY_SATISFIED = "BASICALLY_SATISFIED"  # 基本满意
    DISSATISFIED = "DISSATISFIED"  # 不满意


class ExtensionStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DENIED = "DENIED"


class SupervisionKind(StrEnum):
    SIGN_OVERDUE = "SIGN_OVERDUE"  # not signed for within the sign-for deadline
    REPLY_OVERDUE = "REPLY_OVERDUE"  # not replied within the reply deadline (with extension)


class RevisitStatus(StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"


class RevisitMethod(StrEnum):
    RATING = "RATING"  # the resident's own rating answered it
    CALL = "CALL"  # the 12345 centre called back and recorded the answer
    UNREACHABLE = "UNREACHABLE"


class AppealCategory(Model):
    """One node of the dispatch catalogue (派单目录). Leaves are what residents choose.
    sign_days, reply_days and max_extension_days override the settings when set."""

    id = fields.UUIDField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=32)
    description = fields.CharField(max_length=200, default="")
    keywords = fields.CharField(max_length=200, default="", description="synonyms, comma separated")
    parent: fields.ForeignKeyNullableRelation[AppealCategory] = fields.ForeignKeyField(
        "models.AppealCategory", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: UUID | None
    position = fields.IntField(default=0)
    # Retired categories stay (appeals reference them) but are neither shown nor chosen.
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=0, description="catalogue version of its last change")
    sign_days = fields.IntField(null=True, description="working days to sign for it")
    reply_days = fields.IntField(null=True, description="working days to reply")
    max_extension_days = fields.IntField(null=True, description="working days at most")

    class Meta:
        table = "appeal_category"
        ordering = ["position", "code"]


class AppealRoute(Model):
    """The dispatch table: a category in a region goes to a department. The most specific
    region wins (a county's own row before the city's), then the most specific category."""

    id = fields.UUIDField(primary_key=True)
    category: fields.ForeignKeyRelation[AppealCategory] = fields.ForeignKeyField(
        "models.AppealCategory", related_name="routes", on_delete=fields.CASCADE
    )
    category_id: UUID
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="appeal_routes", on_delete=fields.CASCADE
    )
    region_id: UUID
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="appeal_routes", on_delete=fields.CASCADE
    )
    department_id: UUID
    version = fields.IntField(default=0, description="catalogue version of its last change")

    class Meta:
        table = "appeal_route"
        unique_together = (("category_id", "region_id"),)


class AppealCatalogueAction(StrEnum):
    CATEGORY_UPSERTED = "CATEGORY_UPSERTED"
    CATEGORY_RETIRED = "CATEGORY_RETIRED"
    ROUTE_SET = "ROUTE_SET"
    ROUTE_REMOVED = "ROUTE_REMOVED"


class AppealCatalogueVersion(Model):
    """The one row counting edits of the dispatch catalogue and table: locked by each edit
    until it commits, so that edits happen one at a time and every one gets the next
    version."""

    name = fields.CharField(primary_key=True, max_length=16)  # "dispatch": the one row
    version = fields.IntField(default=0)

    class Meta:
        table = "appeal_catalogue_version"


class AppealCatalogueChange(Model):
    """One edit of the dispatch catalogue or table by the 12345 centre or ADMIN: the
    version it made, who, when, and the row before and after (codes, never personal data)."""

    id = fields.UUIDField(primary_key=True)
    version = fields.IntField(unique=True)
    at = fields.DatetimeField()
    actor_id = fields.UUIDField(null=True)
    action = fields.CharEnumField(AppealCatalogueAction, max_length=24)
    subject = fields.CharField(max_length=40, description="a category code, or code@region")
    before: dict[str, Any] | None = fields.JSONField(null=True)
    after: dict[str, Any] | None = fields.JSONField(null=True)

    class Meta:
        table = "appeal_catalogue_change"


class Open311Client(Model):
    """A civic app allowed to file appeals through Open311 GeoReport v2 with its API key.
    Only a keyed hash of the key is stored, and a revoked key stays revoked."""

    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "open311_client"


class Appeal(Model):
    """A resident's appeal (诉求). Content, address and any reporter contact are sealed.
    Coordinates stay in the clear for duplicates and insights, and are only shown rounded."""

    id = fields.UUIDField(primary_key=True)
    number = fields.CharField(max_length=24, unique=True, description="SQ + date + sequence")
    owner: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="appeals", null=True, on_delete=fields.RESTRICT
    )
    owner_id: UUID | None
    open311_client: fields.ForeignKeyNullableRelation[Open311Client] = fields.ForeignKeyField(
        "models.Open311Client", related_name="appeals", null=True, on_delete=fields.RESTRICT
    )
    open311_client_id: UUID | None
    kind = fields.CharEnumField(AppealKind, max_length=16)
    category: fields.ForeignKeyRelation[AppealCategory] = fields.ForeignKeyField(
        "models.AppealCategory", related_name="appeals", on_delete=fields.RESTRICT
    )
    category_id: UUID
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="appeals", on_delete=fields.RESTRICT
    )
    region_id: UUID
    # The county-level region (or functional zone) above `region`, for statistics.
    district: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="district_appeals", on_delete=fields.RESTRICT
    )
    district_id: UUID
    channel = fields.CharEnumField(AppealChannel, max_length=16)
    content_sealed = fields.TextField(description="SM4-GCM, context appeal.content")
    # The content's top keywords (jieba TF-IDF), sealed: insights open them in memory only.
    keywords_sealed = fields.TextField(description="SM4-GCM, context appeal.keywords")
    # Keyed digests of the same keywords: duplicates are compared without any plaintext.
    keyword_digests: list[str] = fields.JSONField(default=list)
    address_sealed = fields.TextField(null=True, description="SM4-GCM, context appeal.address")
    contact_sealed = fields.TextField(
        null=True, description="Open311 reporter contact, SM4-GCM, context appeal.contact"
    )
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    # False only for a 建议 or 表扬 whose resident said no reply is wanted: handlers need
    # not call back (everyone else filed with a bound phone).
    reply_wanted = fields.BooleanField(default=True)
    status = fields.CharEnumField(AppealStatus, max_length=12)
    hold_reason = fields.CharEnumField(HoldReason, max_length=16, null=True)
    check_attempts = fields.IntField(default=0)
    check_trace_id = fields.CharField(max_length=64, default="")
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="appeals", null=True, on_delete=fields.RESTRICT
    )
    department_id: UUID | None
    # Each dispatch or reopen starts a round: deadlines and supervision belong to a round.
    round = fields.IntField(default=0)
    dispatched_at = fields.DatetimeField(null=True)
    received_on = fields.DateField(null=True, description="the department received it (China)")
    sign_due = fields.DateField(null=True)
    reply_due = fields.DateField(null=True)
    return_until = fields.DateField(null=True, description="退单 is allowed until then")
    due_beyond_calendar = fields.BooleanField(default=False)
    extension_days = fields.IntField(default=0, description="approved working days")
    extension_status = fields.CharEnumField(ExtensionStatus, max_length=12, null=True)
    extension_requested_days = fields.IntField(null=True)
    extension_reason = fields.CharField(max_length=500, default="")
    signed_at = fields.DatetimeField(null=True)
    replied_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    reopen_count = fields.IntField(default=0)
    merged_into: fields.ForeignKeyNullableRelation[Appeal] = fields.ForeignKeyField(
        "models.Appeal", related_name="merged", null=True, on_delete=fields.RESTRICT
    )
    merged_into_id: UUID | None
    submitted_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "appeal"
        indexes = (
            ("owner_id", "submitted_at"),
            ("department_id", "status"),
            ("status", "reply_due"),
            ("category_id", "submitted_at"),
            ("latitude", "longitude"),
            ("submitted_at",),
            ("merged_into_id",),
        )


class AppealCounter(Model):
    """The last appeal number given out on one day (China time)."""

    day = fields.DateField(primary_key=True)
    issued = fields.IntField(default=0)

    class Meta:
        table = "appeal_counter"


class PhotoCheck(StrEnum):
    """WeChat's image check (media_check_async) of a photo attached to an appeal. Only
    NOT_REQUIRED and PASSED photos reach anyone but the resident who attached them."""

    NOT_REQUIRED = "NOT_REQUIRED"  # not a mini-program filing: not sent, as with its text
    PENDING = "PENDING"  # held: being sent to WeChat, or waiting for its pushed verdict
    PASSED = "PASSED"  # WeChat found nothing (or a moderator released it)
    REVIEW = "REVIEW"  # held for a moderator: WeChat unsure, refused the call, or silent
    RISKY = "RISKY"  # removed from the appeal (WeChat said risky, or a moderator removed it)


# The photos that the handling staff, and everyone but their owner, may see.
RELEASED_PHOTOS = (PhotoCheck.NOT_REQUIRED, PhotoCheck.PASSED)

# Photos one appeal may carry: what wx.chooseImage picks at most, and the ceiling of the
# appeal_max_photos setting.
MAX_PHOTOS = 9


class AppealPhoto(Model):
    """A wallet photo attached to an appeal, with the state of its image check."""

    id = fields.UUIDField(primary_key=True)
    appeal: fields.ForeignKeyRelation[Appeal] = fields.ForeignKeyField(
        "models.Appeal", related_name="photos", on_delete=fields.CASCADE
    )
    appeal_id: UUID
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name="appeal_uses", on_delete=fields.CASCADE
    )
    document_id: UUID
    position = fields.IntField()
    check_status = fields.CharEnumField(PhotoCheck, max_length=12, default=PhotoCheck.NOT_REQUIRED)
    # What WeChat's push names the verdict by; unique, so that a push applies to one photo.
    check_trace_id = fields.CharField(max_length=64, null=True, unique=True)
    check_label = fields.IntField(null=True, description="WeChat's label (100: normal)")
    check_requested_at = fields.DatetimeField(null=True)
    checked_at = fields.DatetimeField(null=True)
    # Shown to the public (Open311's media_url) since then, by that officer; null: not public,
    # as every photo is until staff of the handling department or the 12345 centre say so.
    published_at = fields.DatetimeField(null=True)
    published_by_id = fields.UUIDField(null=True)

    class Meta:
        table = "appeal_photo"
        unique_together = (("appeal_id", "document_id"),)
        indexes = (("document_id",), ("check_status", "check_requested_at"))


class AppealEvent(Model):
    """The timeline and audit trail. `note` is what staff or the system wrote, the
    resident's own words (a reopen reason) are sealed in `note_sealed`."""

    id = fields.UUIDField(primary_key=True)
    seq = fields.BigIntField(default=next_seq)
    appeal: fields.ForeignKeyRelation[Appeal] = fields.ForeignKeyField(
        "models.Appeal", related_name="events", on_delete=fields.CASCADE
    )
    appeal_id: UUID
    type = fields.CharEnumField(AppealEventType, max_length=24)
    at = fields.DatetimeField()
    actor_id = fields.UUIDField(null=True, description="null: the system")
    department_id = fields.UUIDField(null=True, description="the department it went to")
    status = fields.CharEnumField(AppealStatus, max_length=12, description="status after")
    note = fields.CharField(max_length=500, default="")
    note_sealed = fields.TextField(null=True, description="SM4-GCM, context appeal.note")

    class Meta:
        table = "appeal_event"
        indexes = (("appeal_id", "seq"),)


class AppealReply(Model):
    """A department's reply (答复). One reply to an appeal answers those merged into it."""

    id = fields.UUIDField(primary_key=True)
    appeal: fields.ForeignKeyRelation[Appeal] = fields.ForeignKeyField(
        "models.Appeal", related_name="replies", on_delete=fields.CASCADE
    )
    appeal_id: UUID
    round = fields.IntField()
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="appeal_replies", on_delete=fields.RESTRICT
    )
    department_id: UUID
    author_id = fields.UUIDField()
    body_sealed = fields.TextField(description="SM4-GCM, context appeal.reply")
    on_time = fields.BooleanField(description="replied by the reply deadline of its round")
    working_days = fields.IntField(description="working days from receipt to this reply")
    created_at = fields.DatetimeField()

    class Meta:
        table = "appeal_reply"
        indexes = (("appeal_id", "created_at"),)


class AppealRating(Model):
    """The resident's rating of one round's reply (满意, 基本满意, 不满意)."""

    id = fields.UUIDField(primary_key=True)
    appeal: fields.ForeignKeyRelation[Appeal] = fields.ForeignKeyField(
        "models.Appeal", related_name="ratings", on_delete=fields.CASCADE
    )
    appeal_id: UUID
    round = fields.IntField()
    level = fields.CharEnumField(Satisfaction, max_length=20)
    comment_sealed = fields.TextField(null=True, description="SM4-GCM, context appeal.comment")
    department_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "appeal_rating"
        unique_together = (("appeal_id", "round"),)


class AppealSupervision(Model):
    """督办: one row per missed deadline of a round, never two (the unique key)."""

    id = fields.UUIDField(primary_key=True)
    appeal: fields.ForeignKeyRelation[Appeal] = fields.ForeignKeyField(
        "models.Appeal", related_name="supervisions", on_delete=fields.CASCADE
    )
    appeal_id: UUID
    kind = fields.CharEnumField(SupervisionKind, max_length=16)
    round = fields.IntField()
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="appeal_supervisions", on_delete=fields.RESTRICT
    )
    department_id: UUID
    due_date = fields.DateField()
    raised_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "appeal_supervision"
        unique_together = (("appeal_id", "kind", "round"),)
        indexes = (("resolved_at", "raised_at"),)


class AppealRevisit(Model):
    """回访 of a closed appeal: answered by the resident's rating, or by the centre's call."""

    id = fields.UUIDField(primary_key=True)
    appeal: fields.ForeignKeyRelation[Appeal] = fields.ForeignKeyField(
        "models.Appeal", related_name="revisits", on_delete=fields.CASCADE
    )
    appeal_id: UUID
    round = fields.IntField()
    status = fields.CharEnumField(RevisitStatus, max_length=8)
    due_date = fields.DateField(null=True)
    method = fields.CharEnumField(RevisitMethod, max_length=12, null=True)
    satisfaction = fields.CharEnumField(Satisfaction, max_length=20, null=True)
    note_sealed = fields.TextField(null=True, description="SM4-GCM, context appeal.revisit")
    done_by_id = fields.UUIDField(null=True)
    done_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "appeal_revisit"
        unique_together = (("appeal_id", "round"),)
        indexes = (("status", "due_date"),)


class AppealStat(Model):
    """Insight figures of the appeals filed on one China day in one district and leaf
    category, kept up to date by every write that changes them (storage.repositories.
    appeal_stats), so insights add up a few rows per day instead of reading every appeal.
    `appeals` counts those that reached the platform (not HELD or REJECTED); `open`,
    `replied` and `merged` split them by current status; replies and ratings are counted
    when written, with the appeal they belong to. Each cell is split into `shard`s (by the
    appeal's id): filings of one place and kind at the same moment add to different rows
    instead of queueing on one; only the sum over shards has a meaning."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    district_id = fields.UUIDField()
    category_id = fields.UUIDField()
    shard = fields.SmallIntField(default=0)
    appeals = fields.IntField(default=0)
    open = fields.IntField(default=0)
    replied = fields.IntField(default=0)
    merged = fields.IntField(default=0)
    replies = fields.IntField(default=0)
    replies_on_time = fields.IntField(default=0)
    reply_days = fields.IntField(default=0, description="working days to reply, summed")
    rated_satisfied = fields.IntField(default=0)
    rated_basically_satisfied = fields.IntField(default=0)
    rated_dissatisfied = fields.IntField(default=0)

    class Meta:
        table = "appeal_stat"
        unique_together = (("day", "district_id", "category_id", "shard"),)
        indexes = (("district_id", "day"),)


class AppealTermStat(Model):
    """How many appeals of one day, district and leaf category (those that reached the
    platform) have a keyword: by its keyed digest, never the word itself. Sharded as
    AppealStat is."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField()
    district_id = fields.UUIDField()
    category_id = fields.UUIDField()
    shard = fields.SmallIntField(default=0)
    digest = fields.CharField(max_length=64)
    appeals = fields.IntField(default=0)

    class Meta:
        table = "appeal_term_stat"
        unique_together = (("day", "district_id", "category_id", "shard", "digest"),)
        indexes = (("district_id", "day"),)


class AppealTerm(Model):
    """A keyword's digest and the word, sealed: opened only for the hot topics shown."""

    digest = fields.CharField(max_length=64, primary_key=True)
    word_sealed = fields.TextField(description="SM4-GCM, context appeal.term")

    class Meta:
        table = "appeal_term"
