"""Queries on acceptances at a window: pending on-behalf submissions, citywide acceptances and
the paper materials on their way, and the scans that move into a resident's wallet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import F

from storage.models.catalogue import CentreService, ServiceCentre
from storage.models.documents import Document, DocumentStatus, TrustLevel
from storage.models.window import (
    CitywideAcceptance,
    ConsentMethod,
    MaterialTransfer,
    OnBehalfStatus,
    OnBehalfSubmission,
    TransferStatus,
)


async def centre(centre_id: UUID) -> ServiceCentre | None:
    return await ServiceCentre.get_or_none(id=centre_id)


async def centre_lists(centre_id: UUID, implementation_code: str) -> bool:
    return await CentreService.exists(centre_id=centre_id, implementation_code=implementation_code)


async def create_pending(**fields: Any) -> OnBehalfSubmission:
    return await OnBehalfSubmission.create(**fields)


async def pending(submission_id: UUID) -> OnBehalfSubmission | None:
    return await OnBehalfSubmission.get_or_none(id=submission_id)


async def count_attempt(submission_id: UUID) -> int:
    """One more wrong code; the count after it (atomic: racing attempts all count)."""
    await OnBehalfSubmission.filter(id=submission_id).update(attempts=F("attempts") + 1)
    row = await OnBehalfSubmission.get(id=submission_id)
    return int(row.attempts)


async def expire(submission_id: UUID) -> None:
    await OnBehalfSubmission.filter(id=submission_id, status=OnBehalfStatus.PENDING).update(
        status=OnBehalfStatus.EXPIRED
    )


async def claim(submission_id: UUID, now: datetime) -> bool:
    """Inside the confirming transaction: the row locked while PENDING and unexpired; False
    when another confirmation took it (or it expired) first."""
    row = (
        await OnBehalfSubmission.filter(
            id=submission_id, status=OnBehalfStatus.PENDING, expires_at__gt=now
        )
        .select_for_update()
        .first()
    )
    return row is not None


async def confirmed(
    submission_id: UUID, *, application_id: UUID, consent: ConsentMethod, at: datetime
) -> None:
    await OnBehalfSubmission.filter(id=submission_id).update(
        status=OnBehalfStatus.CONFIRMED,
        application_id=application_id,
        consent=consent,
        confirmed_at=at,
    )


async def move_scans(
    ids: Sequence[UUID], *, from_owner: UUID, to_owner: UUID, verified_by: UUID, at: datetime
) -> list[Document]:
    """The officer's scans become the resident's documents, checked against the originals
    (trust level B). Only the officer's available scans move; the caller compares counts."""
    await Document.filter(
        id__in=list(ids), owner_id=from_owner, status=DocumentStatus.AVAILABLE
    ).update(
        owner_id=to_owner, trust_level=TrustLevel.B, verified_at=at, verified_by_id=verified_by
    )
    return await Document.filter(id__in=list(ids), owner_id=to_owner)


async def record_citywide(**fields: Any) -> CitywideAcceptance:
    return await CitywideAcceptance.create(**fields)


async def citywide_of(application_id: UUID) -> CitywideAcceptance | None:
    return await CitywideAcceptance.get_or_none(application_id=application_id)


async def citywide_of_many(application_ids: Sequence[UUID]) -> list[CitywideAcceptance]:
    return await CitywideAcceptance.filter(application_id__in=list(application_ids))


async def hand_over(**fields: Any) -> MaterialTransfer:
    return await MaterialTransfer.create(status=TransferStatus.HANDED_OVER, **fields)


async def locked_transfer(transfer_id: UUID) -> MaterialTransfer | None:
    return await MaterialTransfer.filter(id=transfer_id).select_for_update().first()


async def transfer(transfer_id: UUID) -> MaterialTransfer | None:
    return await MaterialTransfer.get_or_none(id=transfer_id)


async def receive(transfer_id: UUID, *, by: UUID, at: datetime) -> bool:
    changed = await MaterialTransfer.filter(
        id=transfer_id, status=TransferStatus.HANDED_OVER
    ).update(status=TransferStatus.RECEIVED, received_by_id=by, received_at=at)
    return changed == 1


async def transfers_of(application_ids: Sequence[UUID]) -> list[MaterialTransfer]:
    return (
        await MaterialTransfer.filter(application_id__in=list(application_ids))
        .order_by("handed_over_at", "id")
        .limit(50 * max(len(application_ids), 1))
    )
