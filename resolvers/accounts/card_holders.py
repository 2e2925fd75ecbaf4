"""The resident behind an ID card a registered device read: found by the number's blind
index, or created with the card's name and number sealed as a real-name verification would."""

from __future__ import annotations

from datetime import datetime

from resolvers.accounts.errors import AccountError, AccountErrorCode
from resolvers.accounts.identity import mask_name, person_name, resident_id
from resolvers.calendar.service import china_date
from resolvers.resources import Resources
from storage.models.accounts import Account
from storage.repositories import accounts as repo
from storage.transactions import IntegrityError


async def resident_by_card(
    resources: Resources, raw_name: str, raw_number: str, *, now: datetime, request_id: str
) -> Account:
    """The card's holder. The card was read from its chip by a registered device, with the
    holder present before staff (or a face check): that is a real-name check of its own, so a
    new account starts verified. INVALID_NAME / INVALID_ID_NUMBER for a card that is not one."""
    name = person_name(raw_name)
    number = resident_id(raw_number, today=china_date(now))
    keyring = resources.keyring
    index = keyring.blind_index(number.number, purpose="id_number")
    found = await repo.by_id_number_index(index)
    if found is not None:
        if found.disabled:
            raise AccountError(AccountErrorCode.ACCOUNT_DISABLED)
        return found
    try:
        created = await repo.create_resident(
            name_sealed=keyring.seal(name, context="account.name"),
            name_masked=mask_name(name),
            id_number_sealed=keyring.seal(number.number, context="account.id_number"),
            id_number_index=index,
            id_number_masked=number.masked,
            identity_verified_at=now,
        )
    except IntegrityError:
        # Someone else's read of the same card created it meanwhile.
        again = await repo.by_id_number_index(index)
        if again is None:
            raise AccountError(AccountErrorCode.SERVICE_UNAVAILABLE) from None
        return again
    await repo.audit(
        "RESIDENT_CREATED_FROM_CARD", success=True, actor_id=created.id, request_id=request_id
    )
    return created
