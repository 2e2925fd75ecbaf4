"""Test identities: structurally valid, never anybody's real number, unique within a run."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from mock_wechat.people import gb11643_number
from resolvers.accounts.identity import resident_id

_serial = itertools.count(101)


def id_number(region: str = "510104", born: str = "19900101") -> str:
    """A GB 11643 number (ISO 7064 MOD 11-2 check digit) for a region and birth date."""
    number = gb11643_number(f"{region}{born}{next(_serial) % 1000:03d}")
    resident_id(
        number, today=datetime.now(UTC).date()
    )  # raises on a number the service would refuse
    return number


_phones = itertools.count(1)


def phone_number() -> str:
    """A mainland mobile number in the 138 range (what the demo's masks expect)."""
    return f"1380000{next(_phones) % 10000:04d}"
