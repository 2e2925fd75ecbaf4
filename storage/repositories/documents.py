"""Queries on documents and their access log (the only place they are written)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import Q
from tortoise.functions import Coalesce, Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from storage.models.accounts import Account
from storage.models.documents import (
    AccessAction,
    Document,
    DocumentAccess,
    DocumentKind,
    DocumentStatus,
    TrustLevel,
)
from storage.repositories import appeals, applications
from storage.repositories.pagination import Page, Scalar, keyset_page
from storage.repositories.readers import Reader

ORDER = ("-created_at",)


# -- scoping: who may read which documents


def handled_by(reader: Reader) -> Q | None:
    """Documents used by an application that this staff member's department handles (the
    single window, or a department with a task on it), or attached to an appeal it has."""
    if reader.department_id is None:
        return None
    return Q(
        Q(id__in=applications.documents_handled_by(reader.department_id)),
        Q(id__in=appeals.documents_handled_by(reader.department_id)),
        join_type="OR",
    )


def readable_by(reader: Reader) -> QuerySet[Document]:
    """Every document this principal may read: their own, and those their cases use."""
    if reader.account_id is None:
        return Document.filter(id__in=[])
    scope = Q(owner_id=reader.account_id)
    if reader.is_staff:
        handled = handled_by(reader)
        if handled is not None:
            scope = Q(scope, handled, join_type="OR")
    return Document.filter(scope)


async def handling_reason(reader: Reader, document_id: UUID) -> str | None:
    """Why a staff member may read someone else's document ("application CD2026..."), or
    None when no application their department handles uses it."""
    if not reader.is_staff or reader.department_id is None:
        return None
    number = await applications.application_number_using(document_id, reader.department_id)
    if number:
        return f"application {number}"
    number = await appeals.appeal_number_using(document_id, reader.department_id)
    return f"appeal {number}" if number else None


async def in_use_by_open_application(document_id: UUID) -> bool:
    """True while an application that is not finished, or an open appeal, uses the document."""
    return await applications.document_in_open_application(
        document_id
    ) or await appeals.document_in_open_appeal(document_id)


# -- reads


async def readable_by_ids(reader: Reader, ids: Sequence[UUID]) -> list[Document]:
    return await readable_by(reader).filter(id__in=list(ids))


async def by_id(document_id: UUID) -> Document | None:
    return await Document.get_or_none(id=document_id)


async def owned(document_id: UUID, owner_id: UUID) -> Document | None:
    return await Document.get_or_none(id=document_id, owner_id=owner_id)


async def page_of_owner(
    owner_id: UUID,
    *,
    kind: DocumentKind | None,
    status: DocumentStatus | None,
    first: int,
    after: Sequence[Scalar] | None,
) -> Page[Document]:
    query = Document.filter(owner_id=owner_id)
    if kind is not None:
        query = query.filter(kind=kind)
    if status is not None:
        query = query.filter(status=status)
    return await keyset_page(query, order=ORDER, first=first, after=_typed_cursor(after))


def _typed_cursor(after: Sequence[Scalar] | None) -> list[Any] | None:
    """Cursor values back to their column types: compared as text, an ISO timestamp does not
    order like the database's own datetime format. Raises ValueError for a foreign cursor."""
    if after is None:
        return None
    if len(after) != 2 or not isinstance(after[0], str) or not isinstance(after[1], str):
        raise ValueError("cursor does not fit this list")
    return [datetime.fromisoformat(after[0]), UUID(after[1])]


async def wallet_usage(owner_id: UUID, *, excluding: UUID | None = None) -> int:
    """Bytes the resident's wallet holds or has reserved; issued documents do not count."""
    query = Document.filter(
        owner_id=owner_id, status__in=[DocumentStatus.PENDING, DocumentStatus.AVAILABLE]
    ).exclude(trust_level=TrustLevel.A)
    if excluding is not None:
        query = query.exclude(id=excluding)
    rows = await query.annotate(total=Coalesce(Sum("size"), 0)).values_list("total", flat=True)
    total: Any = rows[0] if rows else 0
    return int(total or 0)


# -- writes


async def create(**fields: Any) -> Document:
    return await Document.create(**fields)


async def _lock_wallet(owner_id: UUID) -> None:
    """Serialises the quota decisions of one wallet until commit: the owner's account row is
    locked, so each decision sees the ones before it (under READ COMMITTED every statement
    reads what committed before it). FOR NO KEY UPDATE lets other rows keep pointing at the
    account meanwhile. SQLite has no row locks but a single writer, which serialises too."""
    await Account.filter(id=owner_id).select_for_update(no_key=True).first()


async def reserve(owner_id: UUID, *, quota: int, size: int, **fields: Any) -> Document | None:
    """Creates the owner's pending document if their wallet has room for `size` more bytes,
    else None, atomically."""
    async with in_transaction():
        await _lock_wallet(owner_id)
        if await wallet_usage(owner_id) + size > quota:
            return None
        return await Document.create(owner_id=owner_id, size=size, **fields)


async def grow_reservation(document_id: UUID, owner_id: UUID, *, quota: int, size: int) -> bool:
    """Raises a pending document's reservation to `size` bytes if the wallet has room for
    it, atomically; False when it has not (or the document is no longer pending). A refused
    document gives its reservation up in the same step: it is about to be rejected, and the
    confirmations queued behind it must see the room it leaves."""
    async with in_transaction():
        await _lock_wallet(owner_id)
        others = await wallet_usage(owner_id, excluding=document_id)
        fits = others + size <= quota
        updated = await Document.filter(id=document_id, status=DocumentStatus.PENDING).update(
            size=size if fits else 0
        )
        return fits and updated == 1


async def claim_for_confirmation(document_id: UUID, *, now: datetime, until: datetime) -> bool:
    """Takes the pending document for one confirmation; False if another one holds it."""
    updated = await Document.filter(
        Q(confirming_until__isnull=True) | Q(confirming_until__lt=now),
        id=document_id,
        status=DocumentStatus.PENDING,
    ).update(confirming_until=until)
    return updated == 1


async def release_claim(document_id: UUID) -> None:
    await Document.filter(id=document_id, status=DocumentStatus.PENDING).update(
        confirming_until=None
    )


async def finish_pending(document_id: UUID, **fields: Any) -> bool:
    """Ends a pending document's checks (AVAILABLE or REJECTED) exactly once."""
    updated = await Document.filter(id=document_id, status=DocumentStatus.PENDING).update(
        confirming_until=None, **fields
    )
    return updated == 1


async def raise_trust(
    document_id: UUID, *, to: TrustLevel, below: Sequence[TrustLevel], **fields: Any
) -> bool:
    updated = await Document.filter(
        id=document_id, status=DocumentStatus.AVAILABLE, trust_level__in=list(below)
    ).update(trust_level=to, **fields)
    return updated == 1


async def delete(document_id: UUID) -> int:
    return await Document.filter(id=document_id).delete()


async def expired_tickets(before: datetime, limit: int) -> list[Document]:
    """Documents whose upload ticket expired before `before` and that nobody is confirming.

    Pending ones were never uploaded or never confirmed; finished ones may have had their
    S3 form used again after confirmation (a POST policy works until it expires).
    """
    return (
        await Document.filter(
            Q(confirming_until__isnull=True) | Q(confirming_until__lt=before),
            upload_expires_at__lt=before,
        )
        .order_by("upload_expires_at")
        .limit(limit)
    )


async def close_ticket(document_id: UUID) -> None:
    """Marks a finished document's quarantine as swept: its ticket can do no more."""
    await (
        Document.filter(id=document_id)
        .exclude(status=DocumentStatus.PENDING)
        .update(upload_expires_at=None)
    )


async def delete_if_pending(document_id: UUID) -> bool:
    return await Document.filter(id=document_id, status=DocumentStatus.PENDING).delete() == 1


async def log_access(
    document_id: UUID, *, actor_id: UUID, action: AccessAction, reason: str, request_id: str
) -> None:
    await DocumentAccess.create(
        document_id=document_id,
        actor_id=actor_id,
        action=action,
        reason=reason,
        request_id=request_id[:36],
    )


async def object_keys() -> list[str]:
    """Every stored object a document row points at (the backup's manifest)."""
    keys = await Document.all().order_by("object_key").values_list("object_key", flat=True)
    return [str(key) for key in keys]
