"""Installed versions stay at or above the releases that fixed known advisories.

pip-audit cannot reach a vulnerability database from this machine, so the floors from
../shared/research/security-anchors.md §1.5 are checked here instead.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest
from packaging.version import Version

FLOORS = {
    "strawberry-graphql": "0.327.2",  # graphql-ws auth bypass, depth/alias limiter bypasses
    "starlette": "1.3.1",  # BadHost, form limits
    "python-multipart": "0.0.30",  # header and filename smuggling
    "tortoise-orm": "0.16.6",  # filter SQL injection (CVE-2020-11010)
    "xmltodict": "0.11",  # XXE in WeChat XML callbacks
}


@pytest.mark.parametrize(("package", "floor"), sorted(FLOORS.items()))
def test_installed_version_is_at_or_above_the_fix(package: str, floor: str) -> None:
    assert Version(version(package)) >= Version(floor)


def test_aioredis_is_not_installed() -> None:
    # It cannot even be imported on Python 3.11; redis.asyncio is its successor.
    with pytest.raises(ModuleNotFoundError):
        version("aioredis")
