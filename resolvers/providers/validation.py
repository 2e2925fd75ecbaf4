"""Strict checks of what providers type in: names, credit codes, phones, links and URLs."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from integrations.providers import address_allowed
from resolvers import inputs
from resolvers.accounts.errors import AccountError
from resolvers.accounts.service import mask_digits, person_name
from resolvers.providers.errors import ProviderError
from resolvers.providers.errors import ProviderErrorCode as Code
from storage.models.providers import LinkKind

MAX_REASON = 200
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SERVICE_NUMBER = re.compile(r"[48]00\d{7}")  # 400 / 800 hotlines
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")  # area code and subscriber number
# Utilities' and banks' short customer lines (95598 国网, 95533 建行, 96xxx local ones).
_SHORT_LINE = re.compile(r"9[56]\d{3}(\d{1,3})?")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_APP_ID = re.compile(r"wx[0-9a-zA-Z]{16}")
_PAGE_PATH = re.compile(r"[A-Za-z0-9_\-./]{1,200}(\?[A-Za-z0-9_\-.=&%~]{0,300})?")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+")


def clean_text(raw: str, *, longest: int, shortest: int = 1, field: str, code: Code) -> str:
    """Whitespace collapsed; control characters and lengths outside the bounds refused."""
    return inputs.clean_text(
        raw,
        field,
        error=ProviderError,
        invalid=code,
        longest=longest,
        shortest=shortest,
        printable=True,
    )


def clean_reason(raw: str | None, field: str = "reason", *, required: bool) -> str:
    return inputs.clean_text(
        raw,
        field,
        error=ProviderError,
        invalid=Code.REASON_REQUIRED,
        longest=MAX_REASON,
        required=Code.REASON_REQUIRED if required else None,
        printable=True,
    )


def organisation_name(raw: str, field: str = "name") -> str:
    return clean_text(raw, shortest=2, longest=64, field=field, code=Code.INVALID_NAME)


def credit_code(raw: str, field: str = "creditCode") -> str:
    """GB 32100 unified social credit code: 18 characters with a valid check character."""
    code = raw.strip().upper()
    if len(code) > 32:
        raise ProviderError(Code.INVALID_CREDIT_CODE, field)
    try:
        return str(uscc.validate(code))
    except ValidationError:
        raise ProviderError(Code.INVALID_CREDIT_CODE, field) from None


def contact_name(raw: str, field: str = "contact.name") -> str:
    try:
        return person_name(raw)
    except AccountError:
        raise ProviderError(Code.INVALID_CONTACT_NAME, field) from None


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    digits: str
    masked: str


def phone_number(raw: str, field: str) -> PhoneNumber:
    """A mainland mobile, a 400/800 hotline, a landline with its area code (028-8888 8888) or
    a 95xxx/96xxx customer line; +86 and separators are tolerated."""
    if len(raw) > 32:
        raise ProviderError(Code.INVALID_PHONE, field)
    number = _PHONE_SEPARATORS.sub("", raw)
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
            break
    if not number.isascii() or not any(
        pattern.fullmatch(number) for pattern in (_MOBILE, _SERVICE_NUMBER, _LANDLINE, _SHORT_LINE)
    ):
        raise ProviderError(Code.INVALID_PHONE, field)
    return PhoneNumber(digits=number, masked=mask_digits(number))


def mobile_e164(raw: str, field: str) -> tuple[str, str]:
    """A mainland mobile in the accounts' canonical form (+86 and 11 digits) and masked: the
    form an account's bound phone is indexed by."""
    number = phone_number(raw, field)
    if not _MOBILE.fullmatch(number.digits):
        raise ProviderError(Code.INVALID_PHONE, field)
    return f"+86{number.digits}", number.masked


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    """`example.cn` allows that host only; `*.example.cn` allows its subdomains."""
    for entry in allowed:
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                return True
        elif host == entry:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Link:
    kind: LinkKind
    target: str
    app_id: str = ""


def link(kind: LinkKind, target: str, app_id: str | None, allowed_hosts: Sequence[str]) -> Link:
    """H5: an https URL on an allow-listed host; MINI_PROGRAM: an app id and a page path;
    PHONE: a hotline. Anything else is refused rather than guessed."""
    raw = target.strip()
    if not raw or len(raw) > 500 or not raw.isprintable():
        raise ProviderError(Code.INVALID_LINK, "link.target")
    if kind is not LinkKind.PHONE and " " in raw:
        raise ProviderError(Code.INVALID_LINK, "link.target")
    if kind is LinkKind.H5:
        if app_id:
            raise ProviderError(Code.INVALID_LINK, "link.appId")
        return Link(kind, _h5_url(raw, allowed_hosts))
    if kind is LinkKind.MINI_PROGRAM:
        if not app_id or not _APP_ID.fullmatch(app_id.strip()):
            raise ProviderError(Code.INVALID_APP_ID, "link.appId")
        path = raw.lstrip("/")
        if not _PAGE_PATH.fullmatch(path) or ".." in path:
            raise ProviderError(Code.INVALID_LINK, "link.target")
        return Link(kind, path, app_id.strip())
    if app_id:
        raise ProviderError(Code.INVALID_LINK, "link.appId")
    return Link(kind, phone_number(raw, "link.target").digits)


def _h5_url(raw: str, allowed_hosts: Sequence[str]) -> str:
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ProviderError(Code.INVALID_LINK, "link.target") from None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or parts.username or parts.password:
        raise ProviderError(Code.LINK_DOMAIN_NOT_ALLOWED, "link.target")
    if port not in (None, 443) or not raw.isascii() or not _HOST.fullmatch(host):
        raise ProviderError(Code.LINK_DOMAIN_NOT_ALLOWED, "link.target")
    if not host_allowed(host, allowed_hosts):
        raise ProviderError(Code.LINK_DOMAIN_NOT_ALLOWED, "link.target")
    return raw


def webhook_url(raw: str, *, allow_loopback: bool) -> str:
    """https to a public host name or address (IPv4 inside IPv6 included, by the sender's own
    rule); plain http only to loopback, and only where the dev setting allows it. Where a name
    leads is checked by the caller (resolvers.providers.webhooks) and again at send time."""
    url = raw.strip()
    if not url or len(url) > 500 or not url.isascii() or not url.isprintable() or " " in url:
        raise ProviderError(Code.INVALID_URL, "url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        raise ProviderError(Code.INVALID_URL, "url") from None
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password or parts.fragment:
        raise ProviderError(Code.INVALID_URL, "url")
    address = _ip(host)
    loopback = host == "localhost" or (address is not None and address.is_loopback)
    if loopback:
        if not allow_loopback:
            raise ProviderError(Code.URL_NOT_ALLOWED, "url")
        if parts.scheme not in ("http", "https"):
            raise ProviderError(Code.INVALID_URL, "url")
        return url
    if parts.scheme != "https":
        raise ProviderError(Code.INVALID_URL, "url")
    if address is not None:
        if not address_allowed(address):
            raise ProviderError(Code.URL_NOT_ALLOWED, "url")
    elif not _HOST.fullmatch(host) or host.endswith((".local", ".internal", ".localhost")):
        raise ProviderError(Code.URL_NOT_ALLOWED, "url")
    return url


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
