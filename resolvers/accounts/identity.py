"""Checks and masks for phones, names and resident ID numbers (GB 11643)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from resolvers.accounts.errors import AccountError, AccountErrorCode

_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-()]")
_ID_SEPARATORS = re.compile(r"[\s\-]")
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
    """Checks a GB 11643 number: 17 digits and the check character, a real birth date between
    1900 and today, and a region code that GB/T 2260 has used at some time.

    The region is not compared with the birth date: first-generation numbers (from 1985)
    carry the code of the place of registration at issue, not at birth, and a number never
    changes when its district is renamed or recoded (锦江 510104 was made in 1990 and keeps
    residents born in 1950; 双流 510116 and 新津 510118 keep their county-era holders).
    """
    if len(raw) > 32:
        raise AccountError(AccountErrorCode.INVALID_ID_NUMBER, "idNumber")
    number = _ID_SEPARATORS.sub("", raw).upper()
    body = number[:17]
    if len(number) != 18 or not (body.isascii() and body.isdigit()):
        raise AccountError(AccountErrorCode.INVALID_ID_NUMBER, "idNumber")
    try:
        valid = number[17] == ric.calc_check_digit(number)
        birth = ric.get_birth_date(number)
    except ValidationError:
        raise AccountError(AccountErrorCode.INVALID_ID_NUMBER, "idNumber") from None
    if not valid or birth > today or birth.year < 1900 or not region_has_existed(number[:6]):
        raise AccountError(AccountErrorCode.INVALID_ID_NUMBER, "idNumber")
    return ResidentId(number=number, birth_date=birth, masked=mask_id_number(number))


@cache
def _regions() -> numdb.NumDB:
    return numdb.get("cn/loc")


def region_has_existed(code: str) -> bool:
    """Whether GB/T 2260 has ever listed `code`: python-stdnum's table keeps every code with
    the years it was in use; any of them counts, whatever the years."""
    parts = _regions().info(code)
    return "".join(part for part, _ in parts) == code and "county" in parts[-1][1]


def mask_id_number(number: str) -> str:
    """5101**********123X: region prefix and the last four only."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
