"""Checks and masks for phones, names and resident ID numbers (GB 11643)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from resolvers.accounts.errors import AccountError, AccountErrorCode

_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-()]")
# Chinese names, including the middle dot of transliterated and minority names (阿依古丽·买买提).
_NAME = re.compile(
    r"[\u3400-\u9fff\uf900-\ufaff][\u3400-\u9fff\uf900-\ufaff·•]{0,28}[\u3400-\u9fff]"
)


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number in one canonical form: `+<country code><number>`."""

    e164: str
    masked: str


def mainland_mobile(raw: str, field: str = "phone") -> Phone:
    """Accepts 13800138000, +86 138 0013 8000, 0086-13800138000; refuses anything else."""
    if len(raw) > 32:
        raise AccountError(AccountErrorCode.INVALID_PHONE, field)
    number = _SEPARATORS.sub("", raw)
    for prefix in ("+86", "0086", "86"):
        if number.startswith(prefix) and len(number) == 11 + len(prefix):
            number = number[len(prefix) :]
            break
    if not _MAINLAND_MOBILE.fullmatch(number):
        raise AccountError(AccountErrorCode.INVALID_PHONE, field)
    return Phone(e164=f"+86{number}", masked=mask_digits(number))


def wechat_phone(pure_number: str, country_code: str) -> Phone:
    """A number WeChat vouched for; foreign numbers are kept with their country code."""
    digits = re.sub(r"\D", "", pure_number)
    code = re.sub(r"\D", "", country_code) or "86"
    if code == "86":
        return mainland_mobile(digits)
    if not 4 <= len(digits) <= 15:
        raise AccountError(AccountErrorCode.INVALID_PHONE, "code")
    return Phone(e164=f"+{code}{digits}", masked=mask_digits(digits))


def mask_digits(number: str) -> str:
    """138****0000: the first three and last four stay, as GB/T 35273 display practice."""
    if len(number) <= 7:
        return number[:1] + "*" * (len(number) - 1)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def person_name(raw: str) -> str:
    name = raw.strip()
    if not _NAME.fullmatch(name):
        raise AccountError(AccountErrorCode.INVALID_NAME, "name")
    return name


def mask_name(name: str) -> str:
    """张* / 欧阳** : the surname's first character, the rest hidden."""
    return name[0] + "*" * (len(name) - 1)


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str
    birth_date: date
    masked: str


def resident_id(raw: str, *, today: date) -> ResidentId:
    """Validates a GB 11643 number: length, digits, check character, birth date and region."""
    number = raw.strip().upper()
    if len(number) > 32:
        raise AccountError(AccountErrorCode.INVALID_ID_NUMBER, "idNumber")
    try:
        number = ric.validate(number)
        birth = ric.get_birth_date(number)
    except ValidationError:
        raise AccountError(AccountErrorCode.INVALID_ID_NUMBER, "idNumber") from None
    if birth > today or birth.year < 1900:
        raise AccountError(AccountErrorCode.INVALID_ID_NUMBER, "idNumber")
    return ResidentId(number=number, birth_date=birth, masked=mask_id_number(number))


def mask_id_number(number: str) -> str:
    """5101**********123X: region prefix and the last four only."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
