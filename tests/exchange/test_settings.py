"""Exchange settings: production refuses the sandbox, plain HTTP and the default secret; SM2
needs its keys in any mode."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from province_sandbox.server import DEV_SECRET, DEV_SYSTEM_ID
from resolvers.exchange.signing import generate_sm2_keypair
from resolvers.settings import Settings
from tests.api.test_settings import PRODUCTION_READY


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"exchange_province_url": "http://127.0.0.1:8002"}, "provincial sandbox"),
        ({"exchange_province_url": "http://exchange.example/gw"}, "without TLS"),
        ({"exchange_system_id": "rongban-510100-dev"}, "sandbox's exchange system id"),
        (
            {"exchange_secret": "rongban-dev-exchange-secret-not-for-production"},
            "default exchange secret",
        ),
    ],
)
def test_production_refuses_the_sandbox_and_its_defaults(
    override: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{**PRODUCTION_READY, **override})

    assert complaint in str(refused.value)


def test_the_sandbox_and_the_platform_share_their_development_defaults() -> None:
    settings = Settings()

    assert settings.exchange_system_id == DEV_SYSTEM_ID
    assert settings.exchange_secret.get_secret_value() == DEV_SECRET


def test_sm2_needs_both_key_pairs_and_hides_the_private_key() -> None:
    private, public = generate_sm2_keypair()
    _, province = generate_sm2_keypair()

    with pytest.raises(ValidationError, match="EXCHANGE_SM2_PRIVATE_KEY"):
        Settings(exchange_algorithm="SM2-SM3")
    with pytest.raises(ValidationError, match="EXCHANGE_PROVINCE_PUBLIC_KEY"):
        Settings(
            exchange_algorithm="SM2-SM3",
            exchange_sm2_private_key=private,
            exchange_sm2_public_key=public,
        )
    settings = Settings(
        exchange_algorithm="SM2-SM3",
        exchange_sm2_private_key=private,
        exchange_sm2_public_key=public,
        exchange_province_public_key=province,
    )
    assert private not in repr(settings)
    assert private not in str(settings.model_dump())


def test_a_short_shared_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="exchange_secret"):
        Settings(exchange_secret="short")
