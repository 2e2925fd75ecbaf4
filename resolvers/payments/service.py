"""Fees and payments: the domain's public service. The applications domain calls it at its
transitions; the schema, the notification endpoint, the worker and the CLI call the rest:

- ledger: an application's fee from the guide, payable at its charging step, a gate on the
  step after it, cancelled or refunded when the application ends;
- orders: WeChat Pay orders (one open per payment) and applying a paid one exactly once;
- notices: WeChat Pay's notifications, verified and applied once;
- refunds, exemptions, receipts (财政电子票据), reconcile (the daily trade bill), sweep (the
  worker's queries of orders and refunds nobody reported).
"""

from __future__ import annotations

from collections.abc import Sequence

from resolvers.outbox.service import Handler
from resolvers.payments import receipts, refunds, sweep
from resolvers.payments.exemptions import exempt_item
from resolvers.payments.fees import Exemption, FeeLine, lines_of
from resolvers.payments.ledger import Step, ended, holds, open_for, reached
from resolvers.payments.notices import Outcome, receive
from resolvers.payments.orders import create_payment
from resolvers.payments.reconcile import BillUnavailable, Report, daily, reconcile
from storage.models.payments import ChargeStage, PaymentAnomaly
from storage.repositories import payments as repo
from storage.repositories.pagination import Page, Scalar

__all__ = [
    "HANDLERS",
    "BillUnavailable",
    "ChargeStage",
    "Exemption",
    "FeeLine",
    "Outcome",
    "Report",
    "Step",
    "anomalies",
    "create_payment",
    "daily",
    "ended",
    "exempt_item",
    "holds",
    "lines_of",
    "open_for",
    "reached",
    "receive",
    "reconcile",
    "sweep_orders",
]

HANDLERS: dict[str, Handler] = {**refunds.HANDLERS, **receipts.HANDLERS, **sweep.HANDLERS}

sweep_orders = sweep.run


async def anomalies(*, first: int, after: Sequence[Scalar] | None) -> Page[PaymentAnomaly]:
    """What WeChat Pay reported that did not match ours, newest first, for finance (the
    field declares its policy action). Raises ValueError for a cursor of another list."""
    return await repo.anomaly_page(first=first, after=after)
