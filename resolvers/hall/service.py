"""What other domains use of the hall: who works at which centre."""

from __future__ import annotations

from uuid import UUID

from storage.repositories import hall as repo


async def staff_role(centre_id: UUID, account_id: UUID) -> str | None:
    """MANAGER or WINDOW for staff working at the centre; None for anyone else."""
    return await repo.staff_role(centre_id, account_id)
