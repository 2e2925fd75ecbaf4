"""Webhooks never reach inside our network through IPv6 that carries IPv4: NAT64 (well-known
and local-use), 6to4, Teredo (server and client), IPv4-mapped, -compatible and -translated
addresses embedding private IPv4 are refused at registration (literal or resolved) and at
send time, where the connection goes to the very address that was checked."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from api.outbox import dispatcher
from integrations import providers
from integrations.providers import HttpWebhookSender, WebhookFailure
from tests.conftest import RunningApp
from tests.providers.conftest import REGISTER_WEBHOOK, Member, member_of_approved_provider

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address
INTERNAL = [
    "10.0.0.1",
    "127.0.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "172.16.0.1",
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
]
PUBLIC = "8.8.8.8"
TEREDO_SERVER = "65.54.227.120"  # a public Teredo server


def nat64(v4: str) -> str:
    return str(V6(int(V6("64:ff9b::")) | int(V4(v4))))


def nat64_local(v4: str) -> str:
    return str(V6(int(V6("64:ff9b:1::")) | int(V4(v4))))


def six_to_four(v4: str) -> str:
    return str(V6((0x2002 << 112) | (int(V4(v4)) << 80) | 1))


def teredo(client: str, server: str = TEREDO_SERVER) -> str:
    """RFC 4380: 2001:0::/32, the server's IPv4, flags, port and client IPv4 inverted."""
    port = 40000
    return str(
        V6(
            (0x20010000 << 96)
            | (int(V4(server)) << 64)
            | (0x8000 << 48)
            | ((port ^ 0xFFFF) << 32)
            | (int(V4(client)) ^ 0xFFFFFFFF)
        )
    )


def teredo_server(server: str) -> str:
    return teredo(PUBLIC, server)


def mapped(v4: str) -> str:
    return f"::ffff:{v4}"


def compatible(v4: str) -> str:
    return str(V6(int(V4(v4))))


def translated(v4: str) -> str:
    return str(V6(int(V6("::ffff:0:0:0")) | int(V4(v4))))


EMBEDDINGS: dict[str, Callable[[str], str]] = {
    "NAT64": nat64,
    "NAT64 local-use": nat64_local,
    "6to4": six_to_four,
    "Teredo client": teredo,
    "Teredo server": teredo_server,
    "IPv4-mapped": mapped,
    "IPv4-compatible": compatible,
    "IPv4-translated": translated,
}
CARRYING_INTERNAL = {
    f"{kind} {v4}": make(v4) for kind, make in EMBEDDINGS.items() for v4 in INTERNAL
}
CARRYING_PUBLIC = {kind: make(PUBLIC) for kind, make in EMBEDDINGS.items()}


def test_the_embedding_helpers_put_the_ipv4_where_python_finds_it() -> None:
    assert V6(six_to_four("10.0.0.1")).sixtofour == V4("10.0.0.1")
    assert V6(teredo("192.168.1.1")).teredo == (V4(TEREDO_SERVER), V4("192.168.1.1"))
    assert V6(mapped("127.0.0.1")).ipv4_mapped == V4("127.0.0.1")
    assert nat64("169.254.169.254") == "64:ff9b::a9fe:a9fe"
    assert translated("10.0.0.1") == "::ffff:0:a00:1"


@pytest.mark.parametrize("address", CARRYING_INTERNAL.values(), ids=CARRYING_INTERNAL.keys())
def test_addresses_carrying_internal_ipv4_are_not_allowed(address: str) -> None:
    assert not providers.address_allowed(ipaddress.ip_address(address))


def test_loopback_allowed_in_dev_is_never_reached_through_a_translator() -> None:
    for make in (nat64, nat64_local, six_to_four, teredo, compatible, translated):
        assert not providers.address_allowed(
            ipaddress.ip_address(make("127.0.0.1")), allow_loopback=True
        )
    assert providers.address_allowed(ipaddress.ip_address("::1"), allow_loopback=True)
    assert providers.address_allowed(ipaddress.ip_address(mapped("127.0.0.1")), allow_loopback=True)


@pytest.mark.parametrize("address", CARRYING_PUBLIC.values(), ids=CARRYING_PUBLIC.keys())
def test_addresses_carrying_a_public_ipv4_are_allowed(address: str) -> None:
    assert providers.address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b:1:a00:1::",  # local-use NAT64 with a /64 layout: nobody can tell where it goes
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "2001:db8::1",
        "100::1",
    ],
)
def test_other_internal_ipv6_is_not_allowed(address: str) -> None:
    assert not providers.address_allowed(ipaddress.ip_address(address))


def test_public_addresses_are_allowed() -> None:
    for address in ("8.8.8.8", "2400:3200::1", "2606:4700:4700::1111"):
        assert providers.address_allowed(ipaddress.ip_address(address)), address


# -- registration


async def _register(running: RunningApp, member: Member, url: str) -> dict[str, Any]:
    result = await running.gql.data(
        REGISTER_WEBHOOK,
        {"input": {"url": url, "events": ["SERVICE_REVIEWED"]}},
        token=member.token,
    )
    return dict(result["registerWebhook"])


async def test_registration_refuses_literal_addresses_carrying_internal_ipv4(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)

    refused = {
        name: await _register(seeded, member, f"https://[{address}]/hook")
        for name, address in CARRYING_INTERNAL.items()
    }
    allowed = {
        name: await _register(seeded, member, f"https://[{address}]:8443/hook")
        for name, address in CARRYING_PUBLIC.items()
    }

    for name, result in refused.items():
        assert result["__typename"] == "RegisterWebhookError", name
        assert (result["code"], result["field"]) == ("URL_NOT_ALLOWED", "url"), name
    for name, result in allowed.items():
        assert result["__typename"] == "WebhookSecret", (name, result)


class Resolver:
    """getaddrinfo as a table; counts the look-ups and can change its answers (rebinding)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.table:
            raise OSError("name not known")
        return self.table[host]


class Recorder:
    """The network, as far as the sender gets: what it connects to, answered 200."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def transport(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(200)

        return httpx.MockTransport(answer)


def _sender(resolver: Resolver, recorder: Recorder) -> HttpWebhookSender:
    return HttpWebhookSender(
        timeout=2,
        allow_loopback=False,
        https_only=True,
        resolver=resolver,
        transport=recorder.transport(),
    )


async def test_registration_refuses_names_that_resolve_to_internal_ipv4(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    table = {
        f"h{i}.hooks.example": [address] for i, address in enumerate(CARRYING_INTERNAL.values())
    }
    table["mixed.hooks.example"] = [nat64(PUBLIC), six_to_four("10.0.0.1")]
    table["public.hooks.example"] = [nat64(PUBLIC), PUBLIC]
    resolver = Resolver(table)
    original, sender = seeded.resources.webhooks, _sender(resolver, Recorder())
    seeded.resources.webhooks = sender
    try:
        refused = {
            host: await _register(seeded, member, f"https://{host}/hook")
            for host in table
            if host != "public.hooks.example"
        }
        allowed = await _register(seeded, member, "https://public.hooks.example/hook")
        unknown = await _register(seeded, member, "https://not-yet.hooks.example/hook")
    finally:
        await sender.close()
        seeded.resources.webhooks = original

    for host, result in refused.items():
        assert result.get("code") == "URL_NOT_ALLOWED", (host, result)
    assert allowed["__typename"] == "WebhookSecret"
    # A name that does not resolve yet is accepted: sending checks it when it does.
    assert unknown["__typename"] == "WebhookSecret"
    assert "not-yet.hooks.example" in resolver.lookups


# -- sending


@pytest.mark.parametrize("address", CARRYING_INTERNAL.values(), ids=CARRYING_INTERNAL.keys())
async def test_the_sender_refuses_literal_addresses_carrying_internal_ipv4(address: str) -> None:
    # The sender as the service builds it: were the address let through, it would connect.
    sender = HttpWebhookSender(timeout=2, allow_loopback=False, https_only=True)
    try:
        with pytest.raises(WebhookFailure, match="address not allowed"):
            await sender.post(f"https://[{address}]/hook", b"{}", {})
    finally:
        await sender.close()


@pytest.mark.parametrize("address", CARRYING_INTERNAL.values(), ids=CARRYING_INTERNAL.keys())
async def test_the_sender_refuses_names_resolving_to_internal_ipv4(address: str) -> None:
    recorder = Recorder()
    sender = _sender(Resolver({"hooks.example.com": [address]}), recorder)
    try:
        with pytest.raises(WebhookFailure, match="address not allowed"):
            await sender.post("https://hooks.example.com/hook", b"{}", {})
    finally:
        await sender.close()
    assert recorder.requests == []


@pytest.mark.parametrize("address", CARRYING_PUBLIC.values(), ids=CARRYING_PUBLIC.keys())
async def test_the_sender_connects_to_the_checked_public_address(address: str) -> None:
    recorder = Recorder()
    resolver = Resolver({"hooks.example.com": [address]})
    sender = _sender(resolver, recorder)
    try:
        answered = await sender.post("https://hooks.example.com/hook?x=1", b"{}", {"a": "b"})
    finally:
        await sender.close()

    assert answered.status_code == 200
    (request,) = recorder.requests
    assert ipaddress.ip_address(request.url.host) == ipaddress.ip_address(address)
    assert request.url.path == "/hook"
    assert request.url.query == b"x=1"
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert resolver.lookups == ["hooks.example.com"]  # one look-up: nothing to rebind


async def test_a_name_rebound_after_registration_is_refused_when_sending(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    resolver = Resolver({"rebind.hooks.example": [nat64(PUBLIC)]})
    recorder = Recorder()
    original, sender = seeded.resources.webhooks, _sender(resolver, recorder)
    seeded.resources.webhooks = sender
    test = """
    mutation($input: TestWebhookDeliveryInput!) { testWebhookDelivery(input: $input) {
      __typename ... on WebhookTestQueued { webhookMessageId } } }
    """
    deliveries = """
    query($id: ID!) { node(id: $id) { ... on Provider { webhooks { deliveries {
      nodes { attempt succeeded willRetry error } } } } } }
    """
    try:
        registered = await _register(seeded, member, "https://rebind.hooks.example/hook")
        webhook_id = registered["webhook"]["id"]
        await seeded.gql.data(test, {"input": {"webhookId": webhook_id}}, token=member.token)
        await dispatcher(seeded.resources).drain()
        resolver.table["rebind.hooks.example"] = [nat64("169.254.169.254")]
        await seeded.gql.data(test, {"input": {"webhookId": webhook_id}}, token=member.token)
        await dispatcher(seeded.resources).drain()
        log = await seeded.gql.data(deliveries, {"id": member.provider_id}, token=member.token)
    finally:
        await sender.close()
        seeded.resources.webhooks = original

    (request,) = recorder.requests  # only the first delivery went out, to the checked address
    assert request.url.host == nat64(PUBLIC)
    nodes = log["node"]["webhooks"][0]["deliveries"]["nodes"]
    assert sorted((n["succeeded"], n["willRetry"], n["error"]) for n in nodes) == [
        (False, False, "address not allowed"),
        (True, False, ""),
    ]
