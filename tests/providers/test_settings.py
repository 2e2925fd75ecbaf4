"""The providers' settings: the H5 allow-list holds host names, production refuses loopback
webhooks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from resolvers.settings import Settings


def test_the_h5_allow_list_takes_host_names_only() -> None:
    settings = Settings(provider_h5_domains="H5.Water.cn, *.gas.example.cn")

    assert settings.provider_h5_domains == ("h5.water.cn", "*.gas.example.cn")
    for bad in ("https://water.cn", "water", "*.", "water.cn/path", "a b.cn"):
        with pytest.raises(ValidationError):
            Settings(provider_h5_domains=bad)


def test_production_refuses_webhooks_to_loopback() -> None:
    problems = Settings(webhook_allow_loopback=True).production_problems()

    assert any("RONGBAN_WEBHOOK_ALLOW_LOOPBACK" in p for p in problems)
    assert not any("LOOPBACK" in p for p in Settings().production_problems())
