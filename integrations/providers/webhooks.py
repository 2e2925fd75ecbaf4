"""POSTs signed webhook bodies to providers' endpoints, refusing anything that would reach
inside our network (SSRF): the host name is resolved once, every address it resolves to must
be public (IPv4 embedded in IPv6 included), and the request goes to that very address (TLS
still checks the host's name)."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import anyio
import httpx

from integrations.tls import client_context

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# Resolves a host name to its addresses (as text), like getaddrinfo; tests pass a stub.
Resolver = Callable[[str, int], Awaitable[list[str]]]

# IPv6 ranges that carry an IPv4 address, and where it sits. NAT64 (RFC 6052) well-known and
# local-use prefixes, IPv4-mapped, IPv4-compatible and SIIT (RFC 2765) put it in the last 32
# bits; 6to4 (RFC 3056) in bits 16-47; Teredo (RFC 4380) carries the server's in bits 32-63
# and the client's, inverted, in the last 32. A translator or relay turns a packet to such an
# address into one to the IPv4 inside, so that address is what has to be public.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_NAT64_LOCAL_96 = ipaddress.IPv6Network("64:ff9b:1::/96")
_SIIT = ipaddress.IPv6Network("::ffff:0:0:0/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")
_TEREDO = ipaddress.IPv6Network("2001::/32")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address carries, or None when it carries none. An empty list
    means it belongs to a translation range whose layout is unknown (local-use NAT64 with a
    prefix other than /96), so nobody can tell where it leads."""
    last32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address in _NAT64 or address in _SIIT:
        return [last32]
    if address in _NAT64_LOCAL:
        return [last32] if address in _NAT64_LOCAL_96 else []
    if address in _COMPATIBLE:
        return [last32]
    if address in _TEREDO:
        assert address.teredo is not None
        server, client = address.teredo
        return [server, client]
    if address in _SIX_TO_FOUR:
        assert address.sixtofour is not None
        return [address.sixtofour]
    return None


def _public_ipv4(address: ipaddress.IPv4Address) -> bool:
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in _SHARED
    )


def address_allowed(address: _Address, *, allow_loopback: bool = False) -> bool:
    """Whether a webhook may go to this address: the one rule, at registration and at send
    time. Public IPv4; public IPv6 in global unicast space (2000::/3); an IPv6 address that
    carries IPv4 only when every IPv4 inside is public. Loopback only where the dev setting
    allows it (and never through a translator)."""
    if address.is_loopback:
        return allow_loopback
    if isinstance(address, ipaddress.IPv4Address):
        return _public_ipv4(address)
    if address.ipv4_mapped is not None:  # the socket connects to the IPv4 itself
        return address_allowed(address.ipv4_mapped, allow_loopback=allow_loopback)
    carried = embedded_ipv4(address)
    if carried is not None:
        return bool(carried) and all(_public_ipv4(inner) for inner in carried)
    return (
        address in _GLOBAL_UNICAST
        and address.is_global
        and not (address.is_multicast or address.is_link_local or address.is_site_local)
    )


async def system_resolver(host: str, port: int) -> list[str]:
    found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in found]


class WebhookFailure(Exception):
    """Nothing was answered: timeout, refused connection, DNS, TLS, or a forbidden address.
    The message is a short reason for the delivery log, never a payload."""


class WebhookRefused(WebhookFailure):
    """The URL leads to an address webhooks may not reach (or is not a URL we send to)."""

    def __init__(self, reason: str = "address not allowed") -> None:
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    status_code: int
    duration_ms: int


class WebhookSender(Protocol):
    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        """Sends one attempt; any HTTP answer is returned, no answer raises WebhookFailure."""
        ...

    async def check(self, url: str) -> None:
        """Resolves the URL's host now: WebhookRefused when an address it leads to is not
        allowed, WebhookFailure when it cannot be told (DNS), None when it is fine."""
        ...

    async def close(self) -> None: ...


class HttpWebhookSender:
    def __init__(
        self,
        *,
        timeout: float,
        allow_loopback: bool,
        https_only: bool,
        resolver: Resolver = system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._timeout = timeout
        self._allow_loopback = allow_loopback
        self._https_only = https_only
        self._resolve = resolver
        # No redirects (a 302 to an internal address would undo the checks) and no pooled
        # connections (a TLS session made for one name is never reused for another).
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            trust_env=False,
            verify=client_context(),
            transport=transport,
        )

    async def check(self, url: str) -> None:
        await self._target(url)

    async def _target(self, url: str) -> tuple[str, _Address]:
        """The checked address and the URL that goes to it (the host replaced by it)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not host:
            raise WebhookRefused("invalid url")
        if parts.scheme == "http" and self._https_only:
            raise WebhookRefused("http is not allowed")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise WebhookRefused("invalid url") from None
        address = await self._address(host, port)
        if parts.scheme == "http" and not address.is_loopback:
            raise WebhookRefused("http is only allowed to loopback")
        literal = f"[{address}]" if address.version == 6 else str(address)
        pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
        return pinned, address

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        pinned, _ = await self._target(url)
        parts = urlsplit(url)
        request_headers = {**headers, "host": parts.netloc.rpartition("@")[2]}
        started = time.perf_counter()
        try:
            async with self._client.stream(
                "POST",
                pinned,
                content=body,
                headers=request_headers,
                extensions={"sni_hostname": parts.hostname} if parts.scheme == "https" else {},
            ) as response:
                status = response.status_code  # the body is not read: it is not ours to keep
        except httpx.TimeoutException:
            raise WebhookFailure("timeout") from None
        except httpx.HTTPError as exc:
            raise WebhookFailure(f"connection failed ({type(exc).__name__})") from None
        return WebhookResponse(status, int((time.perf_counter() - started) * 1000))

    async def _address(self, host: str, port: int) -> _Address:
        try:
            literal: _Address | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            candidates = [literal]
        else:
            try:
                with anyio.fail_after(self._timeout):
                    found = await self._resolve(host, port)
                candidates = [ipaddress.ip_address(text) for text in found]
            except (OSError, TimeoutError):
                raise WebhookFailure("dns lookup failed") from None
            except ValueError:  # not an address at all: nothing to connect to safely
                raise WebhookRefused() from None
        if not candidates:
            raise WebhookFailure("dns lookup failed")
        # Every address must be allowed: a name that resolves to one public and one private
        # address is refused, whichever the connection would have picked.
        for address in candidates:
            if not address_allowed(address, allow_loopback=self._allow_loopback):
                raise WebhookRefused()
        return candidates[0]

    async def close(self) -> None:
        await self._client.aclose()
