"""Registering and retiring devices, and trusting what they sign: a registered, active
device's signature over a fresh payload whose nonce it never used before."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from resolvers import policy
from resolvers.calendar.service import china_date
from resolvers.devices import cards
from resolvers.devices.cards import CardHolder, Signed
from resolvers.devices.errors import DeviceError
from resolvers.devices.errors import DeviceErrorCode as Code
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.cache import Keys, RedisError
from storage.models.devices import Device, DeviceKind, DeviceStatus
from storage.repositories import devices as repo
from storage.transactions import IntegrityError

CARD = cards.CARD
CONSENT = cards.CONSENT

__all__ = [
    "CARD",
    "CONSENT",
    "CardHolder",
    "DeviceData",
    "DeviceError",
    "Signed",
    "centre_subject",
    "device_subject",
    "read_card",
    "register_device",
    "retire_device",
    "signed_by",
    "spend",
]

MAX_NAME = 64
MAX_SERIAL = 64


@dataclass(frozen=True, slots=True)
class DeviceData:
    kind: DeviceKind
    serial: str
    name: str
    public_key: str
    centre_id: UUID | None
    window_id: UUID | None
    terminal_code: str | None


async def centre_subject(centre_id: UUID, region_id: UUID | None = None) -> policy.Subject:
    """A centre as the policy sees it (its staff and managers are looked up by the policy's
    centre relations)."""
    return policy.Subject(region_id=region_id, centre_id=centre_id)


async def device_subject(device: Device) -> policy.Subject:
    if device.centre_id is not None:
        # A centre's readers are its managers' alone, not every officer of the region's.
        return await centre_subject(device.centre_id)
    terminal = await repo.terminal(device.terminal_id) if device.terminal_id else None
    return policy.Subject(region_id=terminal.community_id if terminal else None)


def _text(value: str, field: str, longest: int) -> str:
    text = value.strip()
    if not 0 < len(text) <= longest or not text.isprintable():
        raise DeviceError(Code.INVALID_INPUT, field)
    return text


async def register_device(resources: Resources, principal: Principal, data: DeviceData) -> Device:
    """A card reader at a centre (and one of its windows), or a terminal's reader."""
    serial = _text(data.serial, "serial", MAX_SERIAL)
    name = _text(data.name, "name", MAX_NAME)
    cards.decode_key(data.public_key)
    terminal_id = None
    if data.kind is DeviceKind.CARD_READER:
        if data.centre_id is None or data.terminal_code is not None:
            raise DeviceError(Code.INVALID_INPUT, "centreId")
        centre = await repo.centre(data.centre_id)
        if centre is None:
            raise DeviceError(Code.CENTRE_NOT_FOUND, "centreId")
        subject = await centre_subject(centre.id)
    else:
        if data.terminal_code is None or data.centre_id is not None:
            raise DeviceError(Code.INVALID_INPUT, "terminalCode")
        terminal = await repo.terminal_by_code(data.terminal_code[:32])
        if terminal is None:
            raise DeviceError(Code.TERMINAL_NOT_FOUND, "terminalCode")
        terminal_id = terminal.id
        subject = policy.Subject(region_id=terminal.community_id)
    await policy.authorize(resources, principal, policy.Action.DEVICE_REGISTER, subject)
    if data.window_id is not None:
        window = await repo.window(data.window_id)
        if window is None or window.centre_id != data.centre_id:
            raise DeviceError(Code.WINDOW_NOT_FOUND, "windowId")
    assert principal.account_id is not None
    try:
        return await repo.create(
            kind=data.kind,
            serial=serial,
            name=name,
            public_key=data.public_key.strip().rstrip("="),
            centre_id=data.centre_id,
            window_id=data.window_id,
            terminal_id=terminal_id,
            registered_by_id=principal.account_id,
        )
    except IntegrityError:
        raise DeviceError(Code.SERIAL_TAKEN, "serial") from None


async def retire_device(resources: Resources, principal: Principal, device_id: UUID) -> Device:
    """Nothing the device signs is trusted after this (a lost or replaced reader)."""
    device = await repo.by_id(device_id)
    subject = await device_subject(device) if device is not None else None
    await policy.authorize_seen(
        resources,
        principal,
        policy.Action.DEVICE_RETIRE,
        subject,
        seen_by=policy.Action.DEVICE_RETIRE,
        hidden=DeviceError(Code.NOT_FOUND, "deviceId"),
        field="deviceId",
    )
    assert device is not None
    if not await repo.retire(device.id, resources.clock()):
        raise DeviceError(Code.ALREADY_RETIRED, "deviceId")
    retired = await repo.by_id(device.id)
    assert retired is not None
    return retired


async def signed_by(payload: str, signature: str, field: str) -> tuple[Signed, Device]:
    """The payload and the registered device it names; nothing is trusted or spent yet
    (a caller the policy refuses must not burn a device's nonces)."""
    signed = cards.parse(payload, signature, field)
    device = await repo.by_serial(signed.device_serial)
    if device is None:
        raise DeviceError(Code.UNKNOWN_DEVICE, field)
    return signed, device


async def spend(
    resources: Resources, signed: Signed, device: Device, *, kind: str, field: str
) -> None:
    """Trusts the payload or refuses it: the device active, the signature its own, the
    timestamp inside the window, the nonce never used (then remembered)."""
    if device.status is DeviceStatus.RETIRED:
        raise DeviceError(Code.DEVICE_RETIRED, field)
    if signed.kind != kind or not cards.verified(device.public_key, signed):
        raise DeviceError(Code.BAD_SIGNATURE, field)
    window = resources.settings.card_read_window_seconds
    # The device signs with real time (Resources: outside timestamps meet the wall clock).
    if not cards.fresh(signed, resources.wall_clock(), window):
        raise DeviceError(Code.STALE_READ, field)
    try:
        # Kept twice the window: a timestamp still fresh never finds its nonce forgotten.
        unused = await resources.redis.set(
            Keys.device_nonce(str(device.id), signed.nonce), "1", nx=True, ex=2 * window
        )
    except RedisError:
        raise DeviceError(Code.SERVICE_UNAVAILABLE, field) from None
    if not unused:
        raise DeviceError(Code.REPLAYED_READ, field)


async def read_card(
    resources: Resources, signed: Signed, device: Device, *, field: str
) -> CardHolder:
    """The person on the card, once the read is trusted (`spend`)."""
    await spend(resources, signed, device, kind=cards.CARD, field=field)
    return cards.card_holder(signed, china_date(resources.clock()), field)
