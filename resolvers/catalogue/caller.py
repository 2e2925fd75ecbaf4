"""Where the caller is, as far as the catalogue can tell: the region a staff or device account
belongs to, else the district a verified resident's ID number was issued in. Used to pick the
implementation a resident would actually use when they did not name a region."""

from __future__ import annotations

import logging
from uuid import UUID

from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.crypto import SealError
from storage.models.accounts import Role
from storage.repositories import accounts as account_repo
from storage.repositories import catalogue as repo

log = logging.getLogger(__name__)

CITY_PREFIX = "5101"  # Chengdu's GB/T 2260 codes


async def caller_region_chain(resources: Resources, principal: Principal) -> list[UUID]:
    """The caller's region and every region above it, nearest first; [] when unknown.

    The ID number is opened in memory for the caller's own answer only and never kept."""
    if principal.region_id is not None:
        return await resources.reference.region_chain(principal.region_id)
    if principal.account_id is None or Role.RESIDENT not in principal.roles:
        return []
    account = await account_repo.by_id(principal.account_id)
    if account is None or account.identity_verified_at is None or not account.id_number_sealed:
        return []
    try:
        number = resources.keyring.open(account.id_number_sealed, context="account.id_number")
    except SealError:
        log.warning("a verified account's ID number could not be read")  # no data in the line
        return []
    code = number[:6]
    if not (code.isdigit() and code.startswith(CITY_PREFIX)):
        return []
    found = await repo.regions_by_codes([code])
    if not found or found[0].retired:  # 双流县 and the like: no implementation lives there
        return []
    return await resources.reference.region_chain(found[0].id)
