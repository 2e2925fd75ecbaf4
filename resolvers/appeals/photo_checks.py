"""WeChat's image check (media_check_async v2) of mini-program appeal photos: sent after the
filing commits, held until WeChat pushes its verdict, then released, removed, or left to a
moderator. Like the text, no photo reaches a department unchecked."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from integrations.wechat import MediaType, WeChatError, WeChatUnavailable
from resolvers.appeals.moderation import SCENE
from resolvers.appeals.transitions import category_of, write_event
from resolvers.notifications.service import enqueue_inbox
from resolvers.outbox.service import Handler, Retry
from resolvers.resources import Resources
from storage.models.appeals import Appeal, AppealEventType, AppealPhoto, PhotoCheck
from storage.models.documents import DocumentStatus
from storage.models.outbox import OutboxMessage
from storage.objects import StorageUnavailable
from storage.repositories import appeals as repo
from storage.repositories import documents as documents_repo
from storage.repositories import outbox as outbox_repo
from storage.transactions import atomic

log = logging.getLogger(__name__)

SEND = "appeal.photo_check"
REMOVED_NOTE = "一张照片未通过内容安全检查，已移除"
# WeChat's suggestions; anything else it might say is treated as "review" (fail closed).
_OUTCOMES = {"pass": PhotoCheck.PASSED, "review": PhotoCheck.REVIEW, "risky": PhotoCheck.RISKY}
SWEEP_BATCH = 200


async def hold(appeal: Appeal, photo_ids: Sequence[UUID], *, now: datetime) -> list[AppealPhoto]:
    """Inside the filing transaction: the photos join the appeal held, each with an outbox
    row that sends it to WeChat once the filing has committed."""
    photos = await repo.add_photos(appeal.id, photo_ids, check=PhotoCheck.PENDING, at=now)
    for photo in photos:
        await outbox_repo.enqueue(
            SEND, f"appeal-photo:{photo.id}", {"photo_id": str(photo.id)}, now=now
        )
    return photos


async def send(resources: Resources, message: OutboxMessage) -> None:
    """The outbox handler: a short-lived download URL of the (metadata-free) stored photo,
    and the resident's openid, go to media_check_async. WeChat down: retried with the
    outbox's backoff. WeChat refusing the call (the resident's visit expired, 61010): a
    moderator decides, since asking again will not help."""
    photo = await repo.photo_by_id(UUID(message.payload["photo_id"]))
    if photo is None or photo.check_status is not PhotoCheck.PENDING or photo.check_trace_id:
        return  # sent already, decided, or gone with its appeal
    appeal = await repo.by_id(photo.appeal_id)
    document = await documents_repo.by_id(photo.document_id)
    owner = await repo.account(appeal.owner_id) if appeal and appeal.owner_id else None
    if (
        appeal is None
        or document is None
        or document.status is not DocumentStatus.AVAILABLE
        or owner is None
        or not owner.wechat_openid
    ):
        await _hold_for_moderator(photo.id, "no user or file to check")
        return
    expires_at = resources.clock() + timedelta(
        seconds=resources.settings.appeal_photo_check_url_seconds
    )
    try:
        url = await resources.objects.presign_download(
            document.object_key,
            file_name=document.file_name,
            content_type=document.detected_content_type or document.declared_content_type,
            expires_at=expires_at,
        )
    except StorageUnavailable:
        raise Retry("storage unavailable") from None
    try:
        trace_id = await resources.wechat.check_media_async(
            url, media_type=MediaType.IMAGE, openid=owner.wechat_openid, scene=SCENE
        )
    except WeChatUnavailable:
        raise Retry("wechat media check unavailable") from None
    except WeChatError as error:
        log.warning("media_check_async refused the call (errcode %s): held", error.errcode)
        await _hold_for_moderator(photo.id, f"errcode {error.errcode}")
        return
    await repo.set_photo_trace(photo.id, trace_id)


async def _hold_for_moderator(photo_id: UUID, why: str) -> None:
    if await repo.decide_photo(
        photo_id, expected=PhotoCheck.PENDING, check_status=PhotoCheck.REVIEW
    ):
        log.info("appeal photo held for a moderator: %s", why)


async def apply_verdict(
    resources: Resources, trace_id: str, suggest: str, label: int | None
) -> bool:
    """WeChat's pushed verdict on one photo, applied once (a second push of the same trace
    finds the photo decided). Pass releases it to the handlers, review leaves it held for a
    moderator, risky takes it off the appeal with a note on the timeline and in the
    resident's inbox (the file stays in their own wallet). False: nothing to apply."""
    photo = await repo.photo_by_trace(trace_id)
    if photo is None:
        return False  # not ours, or a request whose trace id we never recorded
    outcome = _OUTCOMES.get(suggest, PhotoCheck.REVIEW)
    now = resources.clock()
    async with atomic():
        # The appeal first, as every transition locks it: its timeline may get an event.
        appeal = await repo.lock(photo.appeal_id) if outcome is PhotoCheck.RISKY else None
        if not await repo.decide_photo(
            photo.id,
            expected=PhotoCheck.PENDING,
            check_status=outcome,
            check_label=label,
            checked_at=now,
        ):
            return False
        if appeal is not None:
            await _note_removal(appeal, now=now)
    return True


async def _note_removal(appeal: Appeal, *, now: datetime) -> None:
    await write_event(
        appeal,
        AppealEventType.PHOTO_REMOVED,
        appeal.status,
        at=now,
        actor_id=None,
        note=REMOVED_NOTE,
    )
    if appeal.owner_id is None:
        return
    category = await category_of(appeal)
    await enqueue_inbox(
        key=str(appeal.id),
        now=now,
        topic="APPEAL_STATUS",
        title="诉求照片已移除",
        body=f"您反映的“{category.name}”诉求（{appeal.number}）中，{REMOVED_NOTE}。",
        subject_id=appeal.id,
        account_ids=[appeal.owner_id],
    )


async def hold_silent(resources: Resources) -> int:
    """The worker: photos whose verdict never came (WeChat pushes within 30 minutes, or
    the push was lost) are held for a moderator after the configured time, as held text
    is after its re-checks. Returns how many."""
    before = resources.clock() - timedelta(
        seconds=resources.settings.appeal_photo_check_timeout_seconds
    )
    held = 0
    for photo in await repo.photos_pending_since(before, SWEEP_BATCH):
        if await repo.decide_photo(
            photo.id, expected=PhotoCheck.PENDING, check_status=PhotoCheck.REVIEW
        ):
            held += 1
    return held


HANDLERS: dict[str, Handler] = {SEND: send}
