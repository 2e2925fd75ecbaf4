"""Subjects of the hall's window actions for the authorisation matrix: the 锦江 centre, whose
MANAGER is the handling officer, its card readers, signed reads and pending consents."""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from resolvers.ids import global_id
from storage.models.accounts import Account, Role
from storage.models.applications import ApplicationStatus
from storage.models.catalogue import (
    Department,
    Implementation,
    Region,
    ServiceCentre,
    Terminal,
    TerminalPlacement,
)
from storage.models.delivery import Delivery, DeliveryMethod, DeliveryStatus
from storage.models.devices import Device, DeviceKind
from storage.models.hall import CentreStaff, CentreStaffRole, HallTerminal
from storage.models.window import (
    CitywideAcceptance,
    MaterialTransfer,
    OnBehalfSubmission,
    TransferStatus,
)
from tests.identity import id_number
from tests.security.subjects import JINJIANG_APPROVALS, World, application

CENTRE_NAME = "锦江区政务服务中心"
HYGIENE = ("51000100020000", "510104")
CODE = "424242"
_serials = itertools.count(1)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def _centre(world: World) -> ServiceCentre:
    found = await ServiceCentre.get(name=CENTRE_NAME)
    manager = await world.officer(await Department.get(code=JINJIANG_APPROVALS))
    await CentreStaff.get_or_create(
        centre_id=found.id, account_id=manager.id, defaults={"role": CentreStaffRole.MANAGER}
    )
    return found


async def _device(world: World) -> tuple[Device, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    found = await _centre(world)
    device = await Device.create(
        kind=DeviceKind.CARD_READER,
        serial=f"matrix-{next(_serials)}",
        name="读卡器",
        public_key=_b64(raw),
        centre_id=found.id,
        registered_by_id=(await world.officer(await Department.get(code=JINJIANG_APPROVALS))).id,
    )
    return device, key


async def device_input(world: World, actor: str) -> dict[str, Any]:
    found = await _centre(world)
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {
        "kind": "CARD_READER",
        "serial": f"matrix-new-{next(_serials)}",
        "name": "读卡器",
        "publicKey": _b64(raw),
        "centreId": global_id("ServiceCentre", found.id),
    }


async def registered_device(world: World, actor: str) -> dict[str, Any]:
    device, _ = await _device(world)
    return {"deviceId": global_id("Device", device.id)}


async def _card_read(world: World, number: str) -> dict[str, str]:
    """The ID card with `number`, read and signed by a new reader of the 锦江 centre."""
    device, key = await _device(world)
    payload = json.dumps(
        {
            "kind": "ID_CARD",
            "deviceSerial": device.serial,
            "timestamp": int(time.time()),
            "nonce": secrets.token_urlsafe(18),
            "name": "王五",
            "idNumber": number,
            "validFrom": "2020-01-01",
            "validUntil": "2040-01-01",
            "photoSha256": "0" * 64,
        },
        ensure_ascii=False,
    )
    return {"payload": payload, "signature": _b64(key.sign(payload.encode()))}


async def on_behalf_input(world: World, actor: str) -> dict[str, Any]:
    return {
        "cardRead": await _card_read(world, id_number()),
        "serviceCode": HYGIENE[0],
        "regionCode": HYGIENE[1],
        "consent": "DEVICE_SIGNATURE",
    }


async def pending_consent(world: World, actor: str) -> dict[str, Any]:
    device, _ = await _device(world)
    implementation = await Implementation.filter(
        base__basic_code=HYGIENE[0], region__code=HYGIENE[1], status="PUBLISHED"
    ).first()
    assert implementation is not None
    keyring = world.keyring()
    row = await OnBehalfSubmission.create(
        resident_id=world.accounts["owner"].id,
        officer_id=device.registered_by_id,
        centre_id=device.centre_id,
        device_id=device.id,
        implementation_id=implementation.id,
        form_sealed=keyring.seal("null", context="application.form"),
        document_ids=[],
        code_hash=keyring.token_hash(f"onbehalf:{CODE}"),
        challenge=secrets.token_urlsafe(24),
        expires_at=datetime.now(UTC) + timedelta(minutes=10),
    )
    return {"submissionId": global_id("OnBehalfSubmission", row.id), "code": CODE}


async def citywide_application(world: World, actor: str) -> dict[str, Any]:
    """An application of 锦江 accepted at the 锦江 centre as if it were another district's."""
    found = await _centre(world)
    made = await application(world, ApplicationStatus.SUBMITTED)
    assert made.department_id is not None
    await CitywideAcceptance.create(
        application_id=made.id,
        receiving_centre_id=found.id,
        handling_department_id=made.department_id,
        accepted_on=datetime.now(UTC).date(),
    )
    return {"applicationId": global_id("Application", made.id), "description": "原件"}


async def handed_over(world: World, actor: str) -> dict[str, Any]:
    made = await application(world, ApplicationStatus.ACCEPTED)
    officer = await world.officer(await Department.get(code=JINJIANG_APPROVALS))
    row = await MaterialTransfer.create(
        application_id=made.id,
        status=TransferStatus.HANDED_OVER,
        description="原件",
        handed_over_by_id=officer.id,
        handed_over_at=datetime.now(UTC),
    )
    return {"transferId": global_id("MaterialTransfer", row.id)}


async def terminal_sign_in(world: World, actor: str) -> dict[str, Any]:
    read = await on_behalf_input(world, actor)
    return {"cardRead": read["cardRead"], "faceCheck": read["cardRead"]}


async def window_result(world: World, actor: str) -> dict[str, Any]:
    """The owner's finished application, its result waiting at a window, and the owner's ID
    card just read at the 锦江 centre."""
    made = await application(world, ApplicationStatus.COMPLETED)
    now = datetime.now(UTC)
    await Delivery.create(
        application_id=made.id,
        method=DeliveryMethod.WINDOW,
        status=DeliveryStatus.READY,
        created_at=now,
        updated_at=now,
    )
    number = id_number()
    owner = world.accounts["owner"]
    owner.id_number_index = world.keyring().blind_index(number, purpose="id_number")
    await owner.save(update_fields=["id_number_index"])
    return {
        "applicationId": global_id("Application", made.id),
        "cardRead": await _card_read(world, number),
    }


async def _new_terminal(world: World) -> Terminal:
    n = next(_serials)
    account = await Account.create(roles=[Role.TERMINAL.value], display_name=f"终端{n}")
    community = await Region.filter(level="COMMUNITY", code__startswith="510104").first()
    assert community is not None
    return await Terminal.create(
        code=f"T-MATRIX-{n}",
        name="大厅取号机",
        community_id=community.id,
        placement=TerminalPlacement.PUBLIC_SPACE,
        address="政务服务中心一楼",
        latitude=30.6574,
        longitude=104.0817,
        account_id=account.id,
        credential_hash=secrets.token_hex(32),
    )


async def terminal_to_place(world: World, actor: str) -> dict[str, Any]:
    """A registered terminal standing in no hall yet, for the 锦江 centre's hall."""
    found = await _centre(world)
    terminal = await _new_terminal(world)
    return {
        "centreId": global_id("ServiceCentre", found.id),
        "terminalId": global_id("Terminal", terminal.id),
    }


async def placed_terminal(world: World, actor: str) -> dict[str, Any]:
    """A terminal standing in the 锦江 centre's hall."""
    found = await _centre(world)
    terminal = await _new_terminal(world)
    await HallTerminal.create(centre_id=found.id, terminal_id=terminal.id)
    return {
        "centreId": global_id("ServiceCentre", found.id),
        "terminalId": global_id("Terminal", terminal.id),
    }
