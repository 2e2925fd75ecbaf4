"""Helpers of the provider tests: members of registered (and approved) providers, staff
tokens, themes, published services, API keys, and a webhook receiver on loopback."""

from __future__ import annotations

import itertools
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from stdnum.cn import uscc

from mock_wechat.client import MiniProgram
from storage.models.scenarios import Theme
from tests.conftest import RunningApp, ServerThread, start_app
from tests.documents.conftest import signed_in
from tests.identity import id_number

_serial = itertools.count(1)


def credit_code() -> str:
    """A valid GB 32100 code of a company (91...), nobody's real one."""
    body = f"91510100MA6{next(_serial):06d}"
    return body + uscc.calc_check_digit(body)


PROVIDER_FIELDS = """
  __typename
  ... on Provider { id name creditCode status reviewReason contactNameMasked contactPhoneMasked
                    members { nameMasked phoneMasked owner } }
"""
REGISTER = (
    "mutation($input: RegisterProviderInput!) { registerProvider(input: $input) { "
    + PROVIDER_FIELDS
    + " ... on RegisterProviderError { code message field } } }"
)
REVIEW_PROVIDER = (
    "mutation($input: ReviewProviderInput!) { reviewProvider(input: $input) { "
    + PROVIDER_FIELDS
    + " ... on ReviewProviderError { code message field } } }"
)
SERVICE_FIELDS = """
  __typename
  ... on ProviderService { id name description category status reviewReason contentCheck
      themeCodes audiences openingHours socialService disclaimer
      regions { code } link { kind target appId } provider { name } }
"""


def service_mutation(name: str) -> str:
    input_type = name[0].upper() + name[1:] + "Input"
    error = name[0].upper() + name[1:] + "Error"
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {SERVICE_FIELDS} "
        f"... on {error} {{ code message field }} }} }}"
    )


CREATE = service_mutation("createProviderService")
UPDATE = service_mutation("updateProviderService")
SUBMIT = service_mutation("submitProviderService")
REVIEW = service_mutation("reviewProviderService")
SUSPEND = service_mutation("suspendProviderService")
LIST = """
query($filter: ProviderServiceFilter, $first: Int, $after: String) {
  providerServices(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id name status category socialService themeCodes } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
CREATE_KEY = """
mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  __typename
  ... on CreatedApiKey { secret apiKey { id name prefix scopes ratePerMinute dailyQuota } }
  ... on CreateApiKeyError { code message field }
} }
"""
REGISTER_WEBHOOK = """
mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) {
  __typename
  ... on WebhookSecret { secret webhook { id url events } }
  ... on RegisterWebhookError { code message field }
} }
"""


async def ensure_themes(*codes: str) -> None:
    """Themes are the scenarios domain's reference data; these tests need a few of them."""
    names = {"LIVING": "生活", "HOUSING": "置业", "MEDICAL": "就医", "ELDERLY": "养老"}
    for position, code in enumerate(codes):
        await Theme.get_or_create(
            code=code,
            defaults={"name": names.get(code, code), "audience": "PERSON", "position": position},
        )


async def staff_login(running: RunningApp, username: str = "demo-admin") -> str:
    result = await running.gql.data(
        "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p}) "
        "{ ... on Session { token } } }",
        {"u": username, "p": "demo-password-for-tests"},
    )
    return str(result["loginStaff"]["token"])


@dataclass
class Member:
    program: MiniProgram
    provider_id: str
    credit_code: str

    @property
    def token(self) -> str:
        assert self.program.token is not None
        return self.program.token


async def resident(
    running: RunningApp, wechat: httpx.AsyncClient, user: str, *, phone: str | None = None
) -> MiniProgram:
    """A signed-in resident with a verified identity and a bound phone."""
    program = await signed_in(running, wechat, user)
    verified = await program.verify_identity("李四", id_number())
    assert verified["__typename"] == "Account", verified
    bound = await program.bind_phone(phone or f"139{next(_serial):08d}")
    assert bound["__typename"] == "Account", bound
    return program


async def register(
    running: RunningApp, program: MiniProgram, *, name: str = "成都示例家政服务有限公司"
) -> dict[str, Any]:
    code = credit_code()
    result = await running.gql.data(
        REGISTER,
        {
            "input": {
                "name": name,
                "creditCode": code,
                "contact": {"name": "王五", "phone": "028-86668888"},
            }
        },
        token=program.token,
    )
    return dict(result["registerProvider"])


async def member_of_approved_provider(
    running: RunningApp, wechat: httpx.AsyncClient, user: str = "provider", **kw: Any
) -> Member:
    program = await resident(running, wechat, user)
    registered = await register(running, program, **kw)
    assert registered["__typename"] == "Provider", registered
    admin = await staff_login(running)
    reviewed = await running.gql.data(
        REVIEW_PROVIDER,
        {"input": {"providerId": registered["id"], "decision": "APPROVE"}},
        token=admin,
    )
    assert reviewed["reviewProvider"]["status"] == "APPROVED", reviewed
    return Member(program, registered["id"], registered["creditCode"])


def service_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "水电气过户一站办",
        "description": "二手房交易后，在线办理自来水、电力和燃气的户名变更。",
        "category": "UTILITIES",
        "themeCodes": ["HOUSING"],
        "regionCodes": ["510100"],
        "openingHours": "周一至周日 9:00-18:00",
        "link": {"kind": "H5", "target": "https://h5.rongban-demo.example/transfer"},
    }
    values.update(overrides)
    return values


async def published_service(
    running: RunningApp, member: Member, admin: str | None = None, **overrides: Any
) -> dict[str, Any]:
    await ensure_themes("HOUSING", "LIVING")
    created = await running.gql.data(
        CREATE, {"input": service_input(**overrides)}, token=member.token
    )
    service = created["createProviderService"]
    assert service["__typename"] == "ProviderService", service
    submitted = await running.gql.data(
        SUBMIT, {"input": {"serviceId": service["id"]}}, token=member.token
    )
    assert submitted["submitProviderService"]["status"] == "SUBMITTED", submitted
    reviewed = await running.gql.data(
        REVIEW,
        {"input": {"serviceId": service["id"], "decision": "APPROVE"}},
        token=admin or await staff_login(running),
    )
    assert reviewed["reviewProviderService"]["status"] == "PUBLISHED", reviewed
    return dict(reviewed["reviewProviderService"])


async def api_key(running: RunningApp, member: Member, *scopes: str, **kw: Any) -> str:
    result = await running.gql.data(
        CREATE_KEY,
        {"input": {"name": "订单系统", "scopes": list(scopes), **kw}},
        token=member.token,
    )
    created = result["createApiKey"]
    assert created["__typename"] == "CreatedApiKey", created
    return str(created["secret"])


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


# -- a provider's webhook receiver, on loopback


@dataclass
class Receiver:
    """Records what arrives; answers each request with the next scripted status (then 200)."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.received.append((dict(request.headers), body))
                status = self.script.pop(0) if self.script else 200
            return Response(status_code=status)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.fixture
def receiver() -> Any:
    found = Receiver()
    with ServerThread(found.app()) as server:
        found.url = f"{server.url}/hook"
        yield found


@pytest.fixture
async def loopback_app(settings_factory: Any, mock_state: Any) -> AsyncIterator[RunningApp]:
    """The app with demo data, allowed (as in dev) to call webhooks on 127.0.0.1 over http."""
    from api.seed import seed_demo

    settings = settings_factory(webhook_allow_loopback=True, outbox_max_attempts=4)
    async for running_app in start_app(settings):
        await seed_demo(running_app.settings.model_copy(update={"demo_data": True}))
        yield running_app
