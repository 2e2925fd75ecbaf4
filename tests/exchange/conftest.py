"""Helpers of the exchange tests: applications taken through the workflow as clients do, the
provincial sandbox's control side, the outbox driven by hand, and signed callbacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from api.outbox import dispatcher
from mock_wechat.client import MiniProgram
from resolvers.callbacks.service import SECRET_CONTEXT
from resolvers.settings import Settings
from storage.models.catalogue import Department
from storage.models.exchange import ExchangeSystem, SigningAlgorithm
from storage.models.outbox import OutboxMessage
from storage.repositories.exchange import PUSH
from tests.applications.conftest import (
    ACCEPT,
    COMPLETE,
    HYGIENE,
    ISSUE,
    RATE,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp, ServerThread, loopback

ADMIN = "demo-admin"
PASSWORD = "demo-password-for-tests"

MESSAGES = """
query($filter: ExchangeMessageFilter, $first: Int, $after: String) {
  exchangeMessages(filter: $filter, first: $first, after: $after) {
    edges { cursor node {
      id messageId kind status attempts lastError sequence applicationId applicationNumber
      eventAt nextAttemptAt deliveredAt receipt { ackId duplicate acknowledgedAt }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def staff_token(running: RunningApp, username: str) -> str:
    result = await running.gql.data(
        "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p}) "
        "{ ... on Session { token } } }",
        {"u": username, "p": PASSWORD},
    )
    return str(result["loginStaff"]["token"])


async def admin_token(running: RunningApp) -> str:
    return await staff_token(running, ADMIN)


class Sandbox:
    """The province's side as tests drive it: faults, and what it received."""

    def __init__(self, server: ServerThread) -> None:
        self.url = server.url

    def fault(self, kind: str, **values: Any) -> None:
        loopback.post(f"{self.url}/__sandbox__/fault/{kind}", json=values).raise_for_status()

    def release(self) -> None:
        loopback.post(f"{self.url}/__sandbox__/release").raise_for_status()

    def state(self) -> dict[str, Any]:
        response = loopback.get(f"{self.url}/__sandbox__/messages")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def received(self) -> list[dict[str, Any]]:
        return list(self.state()["messages"])

    def inject(self, **values: Any) -> str:
        response = loopback.post(f"{self.url}/__sandbox__/inject", json=values)
        response.raise_for_status()
        return str(response.json()["messageId"])

    def forget(self, message_id: str) -> None:
        loopback.post(f"{self.url}/__sandbox__/forget", json={"messageId": message_id})


@pytest.fixture
def sandbox(province: Any, province_server: ServerThread) -> Sandbox:
    return Sandbox(province_server)


async def deliver(running: RunningApp) -> int:
    """One worker pass over everything due (as `rongban worker` does every second)."""
    return await dispatcher(running.resources).drain()


def later(running: RunningApp, **delta: float) -> datetime:
    """Moves the app's clock forward (backoff waits pass at once) and returns the new now."""
    moment = running.resources.clock() + timedelta(**delta)
    running.resources.clock = lambda: moment
    return moment


async def pushes(application_id: str | None = None) -> list[OutboxMessage]:
    query = OutboxMessage.filter(kind=PUSH)
    if application_id is not None:
        from schema.ids import node_uuid

        query = query.filter(key=f"province:{node_uuid(application_id, 'Application')}")
    return await query.order_by("seq")


async def completed_application(
    seeded: RunningApp, wechat: httpx.AsyncClient, user: str, *, rate: bool = True
) -> tuple[dict[str, Any], MiniProgram, dict[str, str]]:
    """Submitted, accepted, both tasks approved, result issued (and rated): 7 steps."""
    program = await verified_resident(seeded, wechat, user)
    tokens = await officers(seeded, await implementation(HYGIENE))
    submitted = await submit(seeded, program)
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    for task, token in zip(accepted["acceptApplication"]["tasks"], tokens.values(), strict=True):
        done = await seeded.gql.data(
            COMPLETE, {"input": {"taskId": task["id"], "outcome": "APPROVED"}}, token=token
        )
        assert done["completeTask"]["status"] == "APPROVED", done
    issued = await seeded.gql.data(
        ISSUE, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    assert issued["issueResult"]["status"] == "COMPLETED", issued
    if rate:
        rated = await seeded.gql.data(
            RATE,
            {"input": {"applicationId": submitted["id"], "level": "SATISFIED"}},
            token=program.token,
        )
        assert rated["rateApplication"]["__typename"] == "Application", rated
    return submitted, program, tokens


async def lead_department(code: tuple[str, str] = HYGIENE) -> Department:
    item = await implementation(code)
    return await Department.get(id=item.department_id)


# -- department systems' callbacks


def sign_callback(
    key_id: str,
    secret: str,
    body: bytes,
    *,
    message_id: str | None = None,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """Headers as a department system builds them from docs/exchange.md (not our code)."""
    message_id = message_id or str(uuid.uuid4())
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = nonce or secrets.token_hex(16)
    canonical = "\n".join(
        [message_id, str(timestamp), nonce, hashlib.sha256(body).hexdigest()]
    ).encode()
    return {
        "X-Exchange-System": key_id,
        "X-Exchange-Message-Id": message_id,
        "X-Exchange-Timestamp": str(timestamp),
        "X-Exchange-Nonce": nonce,
        "X-Exchange-Algorithm": "HMAC-SHA256",
        "X-Exchange-Signature": hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest(),
        "Content-Type": "application/json",
    }


def callback_body(number: str, kind: str, **values: Any) -> bytes:
    return orjson.dumps({"applicationNumber": number, "kind": kind, **values})


def result_document(data: bytes, name: str = "卫生许可证.pdf") -> dict[str, str]:
    return {
        "fileName": name,
        "contentType": "application/pdf",
        "content": base64.b64encode(data).decode(),
    }


ROOT = Path(__file__).resolve().parent.parent.parent


def rongban(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """The `rongban` command in its own process, on the test's database and sandbox."""
    values = {
        "RONGBAN_DATABASE_URL": settings.database_url,
        "RONGBAN_REDIS_URL": settings.redis_url,
        "RONGBAN_STORAGE_URL": settings.storage_url,
        "RONGBAN_SECRET_KEY": settings.secret_key.get_secret_value(),
        "RONGBAN_EXCHANGE_PROVINCE_URL": settings.exchange_province_url,
        "RONGBAN_EXCHANGE_SYSTEM_ID": settings.exchange_system_id,
        "RONGBAN_EXCHANGE_SECRET": settings.exchange_secret.get_secret_value(),
        "RONGBAN_LOG_LEVEL": "WARNING",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("RONGBAN_")} | values
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


SYSTEM_SECRET = "a-department-system-secret-0123456789"


async def register_system(
    running: RunningApp, department_id: Any, key_id: str, secret: str = SYSTEM_SECRET
) -> ExchangeSystem:
    """What `rongban exchange system add` stores: the secret sealed, never in the clear."""
    return await ExchangeSystem.create(
        key_id=key_id,
        department_id=department_id,
        name="测试业务系统",
        algorithm=SigningAlgorithm.HMAC_SHA256,
        secret_sealed=running.resources.keyring.seal(secret, context=SECRET_CONTEXT),
    )


async def post_callback(
    running: RunningApp, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    return await running.client.post("/exchange/callbacks", content=body, headers=headers)


async def accepted_application(
    seeded: RunningApp, wechat: httpx.AsyncClient, user: str = "a"
) -> tuple[dict[str, Any], dict[str, Any], MiniProgram]:
    """Submitted and accepted (a task for the lead and one for the cooperating department)."""
    program = await verified_resident(seeded, wechat, user)
    tokens = await officers(seeded, await implementation(HYGIENE))
    submitted = await submit(seeded, program)
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    return submitted, accepted["acceptApplication"], program
