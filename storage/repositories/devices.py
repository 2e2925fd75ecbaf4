"""Queries on devices, the centres and windows they stand at, and the centres' staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from storage.models.catalogue import ServiceCentre, Terminal
from storage.models.devices import Device, DeviceStatus
from storage.models.hall import HallWindow


async def create(**fields: Any) -> Device:
    return await Device.create(**fields)


async def by_id(device_id: UUID) -> Device | None:
    return await Device.get_or_none(id=device_id)


async def by_serial(serial: str) -> Device | None:
    return await Device.get_or_none(serial=serial)


async def retire(device_id: UUID, at: datetime) -> bool:
    """False when it was already retired (a concurrent retirement won)."""
    changed = await Device.filter(id=device_id, status=DeviceStatus.ACTIVE).update(
        status=DeviceStatus.RETIRED, retired_at=at
    )
    return changed == 1


async def centre(centre_id: UUID) -> ServiceCentre | None:
    return await ServiceCentre.get_or_none(id=centre_id)


async def window(window_id: UUID) -> HallWindow | None:
    return await HallWindow.get_or_none(id=window_id)


async def terminal_by_code(code: str) -> Terminal | None:
    return await Terminal.get_or_none(code=code)


async def terminal_by_account(account_id: UUID) -> Terminal | None:
    return await Terminal.get_or_none(account_id=account_id)


async def terminal(terminal_id: UUID) -> Terminal | None:
    return await Terminal.get_or_none(id=terminal_id)


async def of_centre(centre_id: UUID, *, limit: int) -> list[Device]:
    return await Device.filter(centre_id=centre_id).order_by("registered_at", "id").limit(limit)
