"""Devices as clients see them, their inputs, errors and results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from resolvers.devices.errors import DeviceErrorCode
from resolvers.ids import global_id
from schema.accounts.types import Session
from schema.errors import UserError
from storage.models import devices as models

strawberry.enum(models.DeviceKind, description="CARD_READER at a window, or a TERMINAL's reader.")
strawberry.enum(models.DeviceStatus, description="RETIRED: nothing it signs is trusted.")
strawberry.enum(DeviceErrorCode)


@strawberry.type(description="A card reader or terminal that signs what it reads (Ed25519).")
class Device:
    id: strawberry.ID
    kind: models.DeviceKind
    serial: str = strawberry.field(description="The maker's serial, as the device signs it.")
    name: str
    status: models.DeviceStatus
    registered_at: datetime
    retired_at: datetime | None

    @classmethod
    def of(cls, model: models.Device) -> Self:
        return cls(
            id=strawberry.ID(global_id("Device", model.id)),
            kind=model.kind,
            serial=model.serial,
            name=model.name,
            status=model.status,
            registered_at=model.registered_at,
            retired_at=model.retired_at,
        )


@strawberry.input
class RegisterDeviceInput:
    kind: models.DeviceKind
    serial: str = strawberry.field(description="At most 64 characters; unique.")
    name: str = strawberry.field(description="At most 64 characters, e.g. 3号窗口读卡器.")
    public_key: str = strawberry.field(
        description="The device's Ed25519 public key: 32 bytes, base64url."
    )
    centre_id: strawberry.ID | None = strawberry.field(
        default=None, description="CARD_READER: the ServiceCentre it stands in."
    )
    window_id: strawberry.ID | None = strawberry.field(
        default=None, description="CARD_READER: the HallWindow of that centre, if one."
    )
    terminal_code: str | None = strawberry.field(
        default=None, description="TERMINAL: the terminal's code."
    )


@strawberry.input
class RetireDeviceInput:
    device_id: strawberry.ID


@strawberry.input
class SignedPayloadInput:
    payload: str = strawberry.field(
        description=(
            "The JSON text the device signed, as it signed it (at most 4096 characters): "
            "kind, deviceSerial, timestamp (Unix seconds), nonce (16-64 characters) and the "
            "kind's own fields."
        )
    )
    signature: str = strawberry.field(description="Ed25519 over the payload's UTF-8, base64url.")


@strawberry.input
class SignInAtTerminalInput:
    card_read: SignedPayloadInput = strawberry.field(
        description="The resident's ID card as this terminal's reader read and signed it."
    )
    face_check: SignedPayloadInput = strawberry.field(
        description=(
            "FACE_CHECK payload of the same device: idNumber (the card's) and result "
            "(PASS or FAIL) of comparing the face before the camera with the card's photo."
        )
    )


@strawberry.type
class SignInAtTerminalError(UserError):
    code: DeviceErrorCode


@strawberry.type
class RegisterDeviceError(UserError):
    code: DeviceErrorCode


@strawberry.type
class RetireDeviceError(UserError):
    code: DeviceErrorCode


RegisterDeviceResult = Annotated[
    Device | RegisterDeviceError, strawberry.union("RegisterDeviceResult")
]
RetireDeviceResult = Annotated[Device | RetireDeviceError, strawberry.union("RetireDeviceResult")]
SignInAtTerminalResult = Annotated[
    Session | SignInAtTerminalError, strawberry.union("SignInAtTerminalResult")
]
