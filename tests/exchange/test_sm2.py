"""The whole exchange with SM2 signatures (SM3 digests): pushes signed with our key, receipts
and the reconciliation list signed with the province's, checked both ways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from integrations.provincial import HttpProvincialGateway
from province_sandbox.server import SM2_SM3, create_sandbox_app
from resolvers.calendar.workdays import china_date
from resolvers.exchange.reconcile import reconcile
from resolvers.exchange.signing import Sm2Sm3, generate_sm2_keypair
from resolvers.settings import Settings
from storage.models.outbox import OutboxStatus
from tests.applications.conftest import submit, verified_resident
from tests.conftest import EXCHANGE_SYSTEM_ID, RunningApp, ServerThread, loopback
from tests.exchange.conftest import Sandbox, deliver, pushes

OURS = generate_sm2_keypair()
PROVINCE = generate_sm2_keypair()


@pytest.fixture(scope="module")
def sm2_province() -> Iterator[ServerThread]:
    app = create_sandbox_app(
        system_id=EXCHANGE_SYSTEM_ID,
        algorithm=SM2_SM3,
        client_public_key=OURS[1],
        private_key=PROVINCE[0],
        public_key=PROVINCE[1],
    )
    with ServerThread(app) as server:
        yield server


@pytest.fixture
def settings(settings_factory: Any, sm2_province: ServerThread) -> Settings:
    loopback.post(f"{sm2_province.url}/__sandbox__/reset").raise_for_status()
    built: Settings = settings_factory(
        exchange_province_url=sm2_province.url,
        exchange_algorithm="SM2-SM3",
        exchange_sm2_private_key=OURS[0],
        exchange_sm2_public_key=OURS[1],
        exchange_province_public_key=PROVINCE[1],
    )
    return built


async def test_pushes_and_receipts_are_signed_with_sm2(
    seeded: RunningApp, wechat: httpx.AsyncClient, sm2_province: ServerThread
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)

    await deliver(seeded)
    report = await reconcile(seeded.resources, china_date(seeded.resources.clock()))

    (row,) = await pushes(submitted["id"])
    held = Sandbox(sm2_province).state()
    assert row.status is OutboxStatus.DELIVERED
    assert [m["messageId"] for m in held["messages"]] == [str(row.id)]
    assert held["refused"] == []
    assert report.province_held == 1
    assert report.findings == []


async def test_a_receipt_signed_with_another_key_is_not_a_receipt(
    seeded: RunningApp, wechat: httpx.AsyncClient, sm2_province: ServerThread
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    right = seeded.resources.province
    seeded.resources.province = HttpProvincialGateway(
        base_url=sm2_province.url,
        system_id=EXCHANGE_SYSTEM_ID,
        signer=Sm2Sm3(public_key=OURS[1], private_key=OURS[0]),
        province=Sm2Sm3(public_key=generate_sm2_keypair()[1]),  # not the province's key
        timeout=2,
    )
    try:
        await deliver(seeded)
    finally:
        await seeded.resources.province.close()
        seeded.resources.province = right

    (row,) = await pushes(submitted["id"])
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "province: bad answer signature")
