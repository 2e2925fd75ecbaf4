"""Who holds each mock user's phone: a name, an ID number and a phone, the same on every run."""

from __future__ import annotations

import hashlib

# A structurally valid test identity from GB 11643's own example, not a real person's.
DEMO_USER = "demo-resident"
DEMO_NAME = "张三"
DEMO_ID_NUMBER = "11010519491231002X"
DEMO_PHONE = "13800138000"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"


def gb11643_number(body: str) -> str:
    """Appends the ISO 7064 MOD 11-2 check digit to the 17 digits of a GB 11643 number."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(body))
    return body + "10X98765432"[total % 11]


def _digest(user: str) -> int:
    return int(hashlib.sha256(user.encode()).hexdigest(), 16)


def person_of(user: str) -> tuple[str, str]:
    """The name and ID number of whoever holds `user`'s phone (and face), unless a test set
    another with `POST /__mock__/person`: the demo person for the demo user, else derived
    from the user name (the service binds each ID number to one account only)."""
    if user == DEMO_USER:
        return DEMO_NAME, DEMO_ID_NUMBER
    n = _digest(user)
    name = _SURNAMES[n % len(_SURNAMES)] + _GIVEN[n // 20 % len(_GIVEN)]
    if n // 400 % 2:
        name += _GIVEN[n // 800 % len(_GIVEN)]
    born = f"1990{n // 1000 % 12 + 1:02d}{n // 12000 % 28 + 1:02d}"
    return name, gb11643_number(f"110105{born}{n % 1000:03d}")


def phone_of(user: str) -> str:
    """The mobile number on `user`'s phone."""
    if user == DEMO_USER:
        return DEMO_PHONE
    return f"139{_digest(user) % 10**8:08d}"
