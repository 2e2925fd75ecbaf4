"""The signed-in resident's own profile from their verified ID number: birth date and the
region code it was issued under. Opened in memory for that resident only; never logged,
cached or stored anywhere else."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.crypto import SealError
from storage.models.accounts import Role
from storage.repositories import accounts as account_repo

log = logging.getLogger(__name__)

CITY_PREFIX = "5101"  # Chengdu's GB/T 2260 codes


@dataclass(frozen=True, slots=True)
class Profile:
    birth_date: date
    region_code: str  # the ID number's first six digits (GB/T 2260, at the time of issue)

    def age_on(self, day: date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)

    @property
    def from_chengdu(self) -> bool:
        return self.region_code.startswith(CITY_PREFIX)


async def own_profile(resources: Resources, principal: Principal) -> Profile | None:
    """The caller's profile when the caller is a real-name verified resident; else None.

    There is deliberately no way to ask for anyone else's.
    """
    if principal.account_id is None or Role.RESIDENT not in principal.roles:
        return None
    account = await account_repo.by_id(principal.account_id)
    if account is None or account.identity_verified_at is None or not account.id_number_sealed:
        return None
    try:
        number = resources.keyring.open(account.id_number_sealed, context="account.id_number")
        birth = ric.get_birth_date(number)
    except (SealError, ValidationError):
        log.warning("a verified account's ID number could not be read")  # no data in the line
        return None
    return Profile(birth_date=birth, region_code=number[:6])
