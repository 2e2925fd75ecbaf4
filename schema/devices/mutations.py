"""Device mutations: registering a card reader or a terminal's reader, retiring one."""

from __future__ import annotations

import strawberry

from resolvers.devices import service, terminals
from resolvers.devices.errors import DeviceError, DeviceErrorCode
from resolvers.policy import Action
from schema.accounts.types import Session
from schema.authorised import authorised
from schema.context import Info, client_of
from schema.devices.types import (
    Device,
    RegisterDeviceInput,
    RegisterDeviceResult,
    RetireDeviceInput,
    RetireDeviceResult,
    SignInAtTerminalInput,
    SignInAtTerminalResult,
)
from schema.ids import node_uuid, uuid_of


@strawberry.type
class DeviceMutation:
    @strawberry.mutation(
        extensions=authorised(Action.DEVICE_REGISTER),
        description=(
            "Registers a card reader of a centre (its MANAGERs, or ADMIN) or a terminal's reader "
            "(staff of the terminal's region, or ADMIN) with the public key its reads are "
            "verified with."
        ),
    )
    async def register_device(self, info: Info, input: RegisterDeviceInput) -> RegisterDeviceResult:
        centre_id = window_id = None
        if input.centre_id is not None:
            centre_id = node_uuid(input.centre_id, "ServiceCentre")
            if centre_id is None:
                raise DeviceError(DeviceErrorCode.CENTRE_NOT_FOUND, "centreId")
        if input.window_id is not None:
            window_id = node_uuid(input.window_id, "HallWindow")
            if window_id is None:
                raise DeviceError(DeviceErrorCode.WINDOW_NOT_FOUND, "windowId")
        device = await service.register_device(
            info.context.resources,
            info.context.principal,
            service.DeviceData(
                kind=input.kind,
                serial=input.serial,
                name=input.name,
                public_key=input.public_key,
                centre_id=centre_id,
                window_id=window_id,
                terminal_code=input.terminal_code,
            ),
        )
        return Device.of(device)

    @strawberry.mutation(
        extensions=authorised(Action.DEVICE_RETIRE),
        description="Retires a device: nothing it signed or signs is trusted any more.",
    )
    async def retire_device(self, info: Info, input: RetireDeviceInput) -> RetireDeviceResult:
        device_id = uuid_of(
            input.device_id, "Device", "deviceId", DeviceError, DeviceErrorCode.NOT_FOUND
        )
        device = await service.retire_device(
            info.context.resources, info.context.principal, device_id
        )
        return Device.of(device)

    @strawberry.mutation(
        extensions=authorised(Action.TERMINAL_SIGN_IN_RESIDENT),
        description=(
            "A terminal (signed in as its device) signs in the resident standing at it: its "
            "own reader's card read and its camera's face check of the card's holder. The "
            "resident's session ends after the terminal's idle time (RONGBAN_TERMINAL_IDLE_"
            "SECONDS, 180 by default; each request renews it) and cannot be refreshed."
        ),
    )
    async def sign_in_at_terminal(
        self, info: Info, input: SignInAtTerminalInput
    ) -> SignInAtTerminalResult:
        issued = await terminals.sign_in_at_terminal(
            info.context.resources,
            info.context.principal,
            card=(input.card_read.payload, input.card_read.signature),
            face=(input.face_check.payload, input.face_check.signature),
            client=client_of(info),
        )
        return Session.of(issued)
