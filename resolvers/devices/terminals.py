"""A resident signs in at a self-service terminal: the terminal's own reader reads their ID
card and its camera checks their face against the card's holder, both signed by the device;
the session it gets ends after the terminal's idle time."""

from __future__ import annotations

from resolvers.accounts import service as accounts
from resolvers.accounts.errors import AccountError, AccountErrorCode
from resolvers.devices.errors import DeviceError
from resolvers.devices.errors import DeviceErrorCode as Code
from resolvers.devices.service import read_card, signed_by, spend
from resolvers.principal import ClientInfo, Principal
from resolvers.resources import Resources
from storage.models.devices import DeviceKind
from storage.repositories import accounts as account_repo
from storage.repositories import devices as repo

FACE_CHECK = "FACE_CHECK"


async def sign_in_at_terminal(
    resources: Resources,
    principal: Principal,
    *,
    card: tuple[str, str],
    face: tuple[str, str],
    client: ClientInfo,
) -> accounts.sessions.IssuedSession:
    assert principal.account_id is not None  # the policy let a terminal account through
    terminal = await repo.terminal_by_account(principal.account_id)
    card_signed, card_device = await signed_by(*card, "cardRead")
    face_signed, face_device = await signed_by(*face, "faceCheck")
    for device, field in ((card_device, "cardRead"), (face_device, "faceCheck")):
        if (
            terminal is None
            or device.kind is not DeviceKind.TERMINAL
            or device.terminal_id != terminal.id
        ):
            raise DeviceError(Code.NOT_A_TERMINAL_READER, field)
    holder = await read_card(resources, card_signed, card_device, field="cardRead")
    await spend(resources, face_signed, face_device, kind=FACE_CHECK, field="faceCheck")
    body = face_signed.body
    if body.get("idNumber") != holder.id_number or body.get("result") != "PASS":
        await account_repo.audit(
            "LOGIN_AT_TERMINAL",
            success=False,
            actor_id=principal.account_id,
            detail="face mismatch",
            request_id=client.request_id,
        )
        raise DeviceError(Code.FACE_MISMATCH, "faceCheck")
    try:
        resident = await accounts.resident_by_card(
            resources,
            holder.name,
            holder.id_number,
            now=resources.clock(),
            request_id=client.request_id,
        )
        issued = await accounts.sessions.start_terminal_session(
            resources, resident, terminal.id if terminal else None
        )
    except AccountError as error:
        if error.code is AccountErrorCode.ACCOUNT_DISABLED:
            raise DeviceError(Code.ACCOUNT_DISABLED) from None
        if error.code is AccountErrorCode.SERVICE_UNAVAILABLE:
            raise DeviceError(Code.SERVICE_UNAVAILABLE) from None
        raise DeviceError(Code.INVALID_CARD, "cardRead") from None
    await account_repo.audit(
        "LOGIN_AT_TERMINAL",
        success=True,
        actor_id=resident.id,
        detail=f"terminal={terminal.id.hex}" if terminal else "",
        request_id=client.request_id,
    )
    return issued
