"""Appeal photos the public may see: none by default; staff of the department the appeal is
with, or of the 12345 centre, publish a photo that passed WeChat's image check (or a
moderator's release), and Open311 readers get a short-lived link to the first one.

Never a photo of a 举报: its reporter stays anonymous, and a photo can tell who took it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from uuid import UUID

from resolvers import policy
from resolvers.appeals.errors import AppealError
from resolvers.appeals.errors import AppealErrorCode as Code
from resolvers.appeals.transitions import acting, authorize
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.appeals import Appeal, AppealKind, PhotoCheck
from storage.objects import StorageUnavailable
from storage.repositories import appeals as repo
from storage.transactions import atomic

# Kinds kept from the public whole (Open311 leaves them out) and whose photos are never shown.
CONFIDENTIAL_KINDS = (AppealKind.REPORT,)


async def publish_photo(
    resources: Resources,
    principal: Principal,
    appeal_id: UUID,
    document_id: UUID,
    public: bool,
    *,
    request_id: str,
) -> Appeal:
    """Shows the photo to the public (`public`) or stops showing it. Only a photo that passed
    the image check (PASSED: WeChat found nothing, or a moderator released it) may be shown;
    a photo never sent to the check (NOT_REQUIRED) has had no one's look for the public and
    is refused like a held one. Setting what is already set changes nothing and writes no
    audit row."""
    appeal = await repo.by_id(appeal_id)
    await authorize(resources, principal, policy.Action.APPEAL_PHOTO_PUBLISH, appeal)
    assert appeal is not None
    actor_id = acting(principal)
    if public and appeal.kind in CONFIDENTIAL_KINDS:
        raise AppealError(Code.PHOTO_CONFIDENTIAL, "appealId")
    now = resources.clock()
    async with atomic():
        photo = await repo.lock_photo(appeal.id, document_id)
        if photo is None:
            raise AppealError(Code.PHOTO_NOT_FOUND, "documentId")
        if public and photo.check_status is not PhotoCheck.PASSED:
            raise AppealError(Code.PHOTO_NOT_CHECKED, "documentId")
        if (photo.published_at is not None) == public:
            return appeal
        await repo.set_photo_publication(
            photo.id,
            published_at=now if public else None,
            actor_id=actor_id,
            detail=f"{appeal.number} photo {photo.position + 1}",
            request_id=request_id,
        )
    return appeal


@dataclass(frozen=True, slots=True)
class PublicPhoto:
    url: str
    expires_at: datetime


async def first_public_photos(
    resources: Resources, appeals: Sequence[Appeal]
) -> dict[UUID, PublicPhoto]:
    """For each appeal that has one, a short-lived link to its first public photo (by
    position). One query for all the appeals; the links are signed locally. The file name
    in the link is the appeal's number, never the name the resident's file had."""
    shown = [a for a in appeals if a.kind not in CONFIDENTIAL_KINDS]
    numbers = {a.id: a.number for a in shown}
    rows = await repo.published_photos(list(numbers))
    expires_at = (
        resources.clock() + timedelta(seconds=resources.settings.document_download_ttl)
    ).replace(microsecond=0)
    out: dict[UUID, PublicPhoto] = {}
    for row in rows:
        if row.appeal_id in out:
            continue
        document = row.document
        suffix = PurePosixPath(document.file_name).suffix.lower()[:8]
        try:
            url = await resources.objects.presign_download(
                document.object_key,
                file_name=f"{numbers[row.appeal_id]}-{row.position + 1}{suffix}",
                content_type=document.detected_content_type or document.declared_content_type,
                expires_at=expires_at,
            )
        except StorageUnavailable:
            continue  # no link rather than no answer: media_url stays null
        out[row.appeal_id] = PublicPhoto(url, expires_at)
    return out
