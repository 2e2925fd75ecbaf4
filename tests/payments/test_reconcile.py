"""`rongban payments reconcile --date D`: the day's trade bill against our records; exit 0 on
a clean day, 1 with a crafted mismatch (each kind listed), and the worker's daily run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from api.payments_cli import reconcile
from api.worker import reconcile_payments
from storage.models.payments import OrderStatus, PaymentOrder, Reconciliation
from tests.conftest import RunningApp
from tests.payments.conftest import (
    REPLACEMENT,
    accept,
    lead_officer,
    pay,
    resident_with_application,
)

CHINA = timezone(timedelta(hours=8))


async def _two_paid_fees(running: RunningApp, wechat: httpx.AsyncClient) -> None:
    for user in ("bill-one", "bill-two"):
        program, application_id = await resident_with_application(running, wechat, user)
        await accept(running, await lead_officer(running, application_id), application_id)
        await pay(running, wechat, program, application_id)


async def _next_morning(wechat: httpx.AsyncClient) -> None:
    """WeChat publishes a day's bill the next morning: the mock's clock moves on to then."""
    moved = await wechat.post("/__mock__/clock", json={"advance": 36 * 3600})
    assert moved.status_code == 200, moved.text


def _today() -> datetime:
    return datetime.now(UTC).astimezone(CHINA)


async def test_a_clean_day_exits_0(
    seeded: RunningApp, wechat: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await _two_paid_fees(seeded, wechat)
    await _next_morning(wechat)
    status = await reconcile(seeded.resources, _today().date())
    out = capsys.readouterr().out
    assert status == 0, out
    assert "2 bill lines, 2 matched" in out
    saved = await Reconciliation.get()
    assert saved.clean is True
    assert (saved.lines, saved.matched) == (2, 2)


async def test_a_day_with_mismatches_exits_1_and_lists_them(
    seeded: RunningApp, wechat: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await _two_paid_fees(seeded, wechat)
    program, application_id = await resident_with_application(
        seeded, wechat, "bill-three", REPLACEMENT
    )
    await pay(seeded, wechat, program, application_id)
    orders = await PaymentOrder.all().order_by("created_at")
    # Crafted: we recorded another amount for one order, and never learnt of another's payment.
    await PaymentOrder.filter(id=orders[0].id).update(amount_fen=1990)
    await PaymentOrder.filter(id=orders[1].id).update(status=OrderStatus.CLOSED)
    # And one we think paid today that WeChat's bill does not have.
    await PaymentOrder.filter(id=orders[2].id).update(out_trade_no="RB" + "1" * 30)
    await _next_morning(wechat)
    status = await reconcile(seeded.resources, _today().date())
    out = capsys.readouterr().out
    assert status == 1, out
    assert f"outTradeNo={orders[0].out_trade_no} oursFen=1990 billFen=2000" in out
    assert f"paid but unknown: 2\n  outTradeNo={orders[1].out_trade_no}" in out
    assert "known but unpaid: 1\n  outTradeNo=RB111" in out
    saved = await Reconciliation.get()
    assert saved.clean is False
    assert len(saved.amount_mismatches) == 1


async def test_the_worker_reconciles_yesterday_once_the_bill_is_out(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    real = seeded.resources.clock
    tomorrow = _today().date() + timedelta(days=1)
    early = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0, tzinfo=CHINA)
    late = early + timedelta(hours=2)
    await _two_paid_fees(seeded, wechat)
    await _next_morning(wechat)
    try:
        seeded.resources.clock = lambda: early
        assert await reconcile_payments(seeded.resources) == 0
        assert await Reconciliation.all().count() == 0  # before 10:00: not published yet
        seeded.resources.clock = lambda: late
        assert await reconcile_payments(seeded.resources) == 0
        assert await reconcile_payments(seeded.resources) == 0
    finally:
        seeded.resources.clock = real
    saved = await Reconciliation.all()
    assert [(r.day, r.clean, r.matched) for r in saved] == [(_today().date(), True, 2)]
