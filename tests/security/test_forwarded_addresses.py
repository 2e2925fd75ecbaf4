"""Per-address limits hold against a forged X-Forwarded-For: forwarded headers are believed
only from RONGBAN_TRUSTED_PROXIES (none by default). Driven through `rongban serve`, since the
forged header was believed by the real server, not by the app alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import loopback
from tests.security.conftest import served

REQUEST = "mutation($p: String!) { requestSmsCode(input: {phone: $p}) { __typename ... on RequestSmsCodeError { code } } }"


def _ask(base: str, phone: str, forwarded: str) -> str:
    response = loopback.post(
        f"{base}/graphql",
        json={"query": REQUEST, "variables": {"p": phone}},
        headers={"x-forwarded-for": forwarded, "accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["requestSmsCode"]
    return result.get("code") or result["__typename"]


def _rotate(base: str, count: int) -> list[str]:
    return [_ask(base, f"1391234{n:04d}", f"203.0.113.{n + 1}") for n in range(count)]


@pytest.mark.slow
async def test_a_rotating_forwarded_header_does_not_reset_the_per_address_limit(
    settings_factory: Any, tmp_path: Path, running: Any
) -> None:
    settings = settings_factory(sms_per_client_hourly=3)
    with served(settings, tmp_path / "serve.log") as base:
        answers = _rotate(base, 5)

    assert answers[:3] == ["SmsCodeSent"] * 3
    assert answers[3:] == ["RATE_LIMITED"] * 2


@pytest.mark.slow
async def test_a_trusted_proxy_passes_the_clients_address(
    settings_factory: Any, tmp_path: Path, running: Any
) -> None:
    settings = settings_factory(sms_per_client_hourly=3, trusted_proxies=("127.0.0.1/32",))
    with served(settings, tmp_path / "serve.log") as base:
        answers = _rotate(base, 5)
        # The proxy appends what it saw: the rightmost untrusted address is the client.
        chained = [_ask(base, f"1381234{n:04d}", "10.9.9.9, 198.51.100.1") for n in range(4)]

    assert answers == ["SmsCodeSent"] * 5
    assert chained[:3] == ["SmsCodeSent"] * 3
    assert chained[3] == "RATE_LIMITED"


def test_forwarded_headers_from_untrusted_peers_are_ignored_in_the_app(
    settings_factory: Any,
) -> None:
    # The app's own resolution, for servers other than uvicorn: without trusted proxies the
    # peer is the client whatever the headers say.
    from api.middleware import client_address

    settings = settings_factory()
    scope = {"client": ("127.0.0.1", 1), "headers": [(b"x-forwarded-for", b"203.0.113.9")]}
    assert client_address(scope, settings.trusted_proxy_networks) == "127.0.0.1"
    trusted = settings_factory(trusted_proxies=("127.0.0.0/8",))
    assert client_address(scope, trusted.trusted_proxy_networks) == "203.0.113.9"
