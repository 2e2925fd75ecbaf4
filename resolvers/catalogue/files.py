"""The files a guide's materials carry: a blank form (空白表格) and a filled-in sample (示例样表).

Staff upload a file the way every file is uploaded (requestDocumentUpload, then
confirmDocumentUpload: type checks, the malware scan, image metadata stripped), then attach
it to a material of their draft. The catalogue keeps its own copy under `catalogue/`, so the
officer may delete the upload from their wallet; versions that carry a material forward
share the copy. Anyone reading the guide gets a short-lived download URL.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.catalogue.errors import CatalogueError, CatalogueErrorCode
from resolvers.documents import service as documents
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.catalogue import Implementation, Material
from storage.models.documents import DocumentStatus
from storage.objects import StorageUnavailable
from storage.repositories import catalogue as repo
from storage.response_cache import REDIS_TTL_SECONDS
from storage.transactions import atomic

log = logging.getLogger(__name__)


class MaterialFileRole(StrEnum):
    BLANK_FORM = "BLANK_FORM"
    SAMPLE = "SAMPLE"


_COLUMN = {MaterialFileRole.BLANK_FORM: "blank_form", MaterialFileRole.SAMPLE: "sample"}


def catalogue_key(implementation_id: UUID, file_id: UUID) -> str:
    return f"catalogue/{implementation_id}/{file_id}"


@dataclass(frozen=True, slots=True)
class Attached:
    implementation: Implementation
    material: Material


async def attach_material_file(
    resources: Resources,
    principal: Principal,
    *,
    code: str,
    position: int,
    role: MaterialFileRole,
    document_id: UUID | None,
) -> Attached:
    """Attaches one of the caller's own checked uploads to material `position` of the draft
    of `code` as its blank form or sample; `document_id` None takes the file off."""
    if not 0 < len(code) <= 96:
        raise CatalogueError(CatalogueErrorCode.NOT_FOUND, "code")
    draft = await repo.draft_of(code)
    if draft is None:
        raise CatalogueError(CatalogueErrorCode.NOTHING_TO_PUBLISH, "code")
    await policy.authorize(
        resources,
        principal,
        policy.Action.IMPLEMENTATION_UPSERT,
        policy.Subject(department_id=draft.department_id, region_id=draft.region_id),
        field="code",
    )
    materials = await repo.materials_of([draft.id])
    if not 0 <= position < len(materials):
        raise CatalogueError(CatalogueErrorCode.NOT_FOUND, "material")
    material = materials[position]
    file: dict[str, Any] | None = None
    if document_id is not None:
        file = await _copy(resources, principal, draft.id, document_id)
    try:
        async with atomic():
            # The draft may have been published or rewritten since it was read: attach only
            # to the row that is still this draft's material.
            locked = await repo.draft_for_update(code)
            if locked is None or locked.id != draft.id:
                raise CatalogueError(CatalogueErrorCode.CONFLICT, "code")
            if not await repo.set_material_file(material.id, _COLUMN[role], file):
                raise CatalogueError(CatalogueErrorCode.CONFLICT, "material")
    except CatalogueError:
        if file is not None:  # nothing refers to the copy: do not leave it behind
            await _remove_quietly(resources, file["key"])
        raise
    setattr(material, _COLUMN[role], file)
    return Attached(draft, material)


async def _copy(
    resources: Resources, principal: Principal, implementation_id: UUID, document_id: UUID
) -> dict[str, Any]:
    found = [
        d
        for d in await documents.readable(principal, [document_id])
        if d.owner_id == principal.account_id and d.status is DocumentStatus.AVAILABLE
    ]
    if not found:
        raise CatalogueError(CatalogueErrorCode.NOT_FOUND, "documentId")
    document = found[0]
    content_type = document.detected_content_type or document.declared_content_type
    key = catalogue_key(implementation_id, uuid.uuid4())
    try:
        # Uploads are a few megabytes at most (the per-kind limit): one read, one write.
        data = b"".join([chunk async for chunk in resources.objects.read(document.object_key)])
        await resources.objects.put(key, data, content_type=content_type)
    except StorageUnavailable:
        raise CatalogueError(CatalogueErrorCode.STORAGE_UNAVAILABLE) from None
    return {
        "key": key,
        "fileName": document.file_name,
        "contentType": content_type,
        "size": len(data),
    }


async def _remove_quietly(resources: Resources, key: str) -> None:
    try:
        await resources.objects.remove(key)
    except StorageUnavailable:
        log.warning("an unused copy of a guide file was left in storage")


@dataclass(frozen=True, slots=True)
class FileLink:
    url: str
    expires_at: datetime
    file_name: str
    content_type: str
    size: int


async def file_link(resources: Resources, file: dict[str, Any] | None) -> FileLink | None:
    """A download link for an attached file. Anonymous guides are cached whole for up to
    REDIS_TTL_SECONDS, so the link lives that much longer than a wallet download: a cached
    answer still hands out a link with the usual time left."""
    if not file:
        return None
    seconds = resources.settings.document_download_ttl + REDIS_TTL_SECONDS
    expires_at = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    try:
        url = await resources.objects.presign_download(
            file["key"],
            file_name=file["fileName"],
            content_type=file["contentType"],
            expires_at=expires_at,
        )
    except StorageUnavailable:
        return None
    return FileLink(url, expires_at, file["fileName"], file["contentType"], int(file["size"]))
