"""POSTs signed webhook bodies to providers' endpoints, refusing anything that would reach
inside our network (SSRF): the host name is resolved once, every address it resolves to must
be public, and the request goes to that very address (TLS still checks the host's name)."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import anyio
import httpx

from integrations.tls import client_context

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookFailure(Exception):
    """Nothing was answered: timeout, refused connection, DNS, TLS, or a forbidden address.
    The message is a short reason for the delivery log, never a payload."""


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    status_code: int
    duration_ms: int


class WebhookSender(Protocol):
    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        """Sends one attempt; any HTTP answer is returned, no answer raises WebhookFailure."""
        ...

    async def close(self) -> None: ...


class HttpWebhookSender:
    def __init__(self, *, timeout: float, allow_loopback: bool, https_only: bool) -> None:
        self._allow_loopback = allow_loopback
        self._https_only = https_only
        # No redirects (a 302 to an internal address would undo the checks) and no pooled
        # connections (a TLS session made for one name is never reused for another).
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            trust_env=False,
            verify=client_context(),
        )

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not host:
            raise WebhookFailure("invalid url")
        if parts.scheme == "http" and self._https_only:
            raise WebhookFailure("http is not allowed")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = await self._address(host, port)
        if parts.scheme == "http" and not address.is_loopback:
            raise WebhookFailure("http is only allowed to loopback")
        literal = f"[{address}]" if address.version == 6 else str(address)
        pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
        request_headers = {**headers, "host": parts.netloc.rpartition("@")[2]}
        started = time.perf_counter()
        try:
            async with self._client.stream(
                "POST",
                pinned,
                content=body,
                headers=request_headers,
                extensions={"sni_hostname": host} if parts.scheme == "https" else {},
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
                found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError:
                raise WebhookFailure("dns lookup failed") from None
            candidates = [ipaddress.ip_address(info[4][0]) for info in found]
        if not candidates:
            raise WebhookFailure("dns lookup failed")
        # Every address must be allowed: a name that resolves to one public and one private
        # address is refused, whichever the connection would have picked.
        for address in candidates:
            if not self._allowed(address):
                raise WebhookFailure("address not allowed")
        return candidates[0]

    def _allowed(self, address: _Address) -> bool:
        if address.is_loopback:
            return self._allow_loopback
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is not None:
            return self._allowed(mapped)
        return address.is_global and not address.is_multicast

    async def close(self) -> None:
        await self._client.aclose()
