"""What the payments domain asks of WeChat Pay (API v3), whatever client library is behind it.

Amounts are integers in fen (分), as WeChat Pay counts them; times are aware datetimes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol


class PaymentUnavailable(Exception):
    """WeChat Pay could not be reached or answered 5xx: try again later."""


class PaymentRejected(Exception):
    """WeChat Pay refused the request (4xx): `code` is its error code (e.g. ORDERPAID,
    ORDER_CLOSED, NOT_ENOUGH)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class BillCorrupted(PaymentUnavailable):
    """A downloaded trade bill whose hash, format or totals do not check out: download it
    again later (a PaymentUnavailable, so callers that retry those retry this too)."""


class NotificationRejected(Exception):
    """A notification whose signature, timestamp, certificate serial or ciphertext does not
    verify: never applied."""


class Channel(StrEnum):
    JSAPI = "JSAPI"  # the mini-program (wx.requestPayment)
    APP = "APP"  # the city app


class TradeState(StrEnum):
    """WeChat Pay's trade_state values."""

    SUCCESS = "SUCCESS"
    REFUND = "REFUND"
    NOTPAY = "NOTPAY"
    CLOSED = "CLOSED"
    REVOKED = "REVOKED"
    USERPAYING = "USERPAYING"
    PAYERROR = "PAYERROR"


class RefundState(StrEnum):
    SUCCESS = "SUCCESS"
    CLOSED = "CLOSED"
    PROCESSING = "PROCESSING"
    ABNORMAL = "ABNORMAL"


@dataclass(frozen=True, slots=True)
class OrderRequest:
    out_trade_no: str
    description: str  # shown to the payer, at most 127 bytes
    amount_fen: int
    expires_at: datetime  # time_expire
    channel: Channel
    payer_openid: str | None = None  # required for JSAPI
    attach: str = ""


@dataclass(frozen=True, slots=True)
class ClientPayment:
    """What the client hands to wx.requestPayment (JSAPI) or the app SDK (APP), signed."""

    channel: Channel
    app_id: str
    time_stamp: str
    nonce_str: str
    package: str  # "prepay_id=…" for JSAPI, "Sign=WXPay" for APP
    sign_type: str  # "RSA"
    pay_sign: str
    prepay_id: str
    partner_id: str = ""  # APP only: the merchant id


@dataclass(frozen=True, slots=True)
class Order:
    out_trade_no: str
    state: TradeState
    amount_fen: int
    transaction_id: str | None = None
    success_time: datetime | None = None
    payer_openid: str | None = None


@dataclass(frozen=True, slots=True)
class RefundRequest:
    out_trade_no: str
    out_refund_no: str
    refund_fen: int
    total_fen: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Refund:
    out_refund_no: str
    out_trade_no: str
    state: RefundState
    refund_fen: int
    refund_id: str | None = None
    success_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class PaymentNotice:
    """A verified, decrypted TRANSACTION.SUCCESS (or other trade) notification."""

    notification_id: str
    event_type: str
    order: Order
    mchid: str
    appid: str


@dataclass(frozen=True, slots=True)
class RefundNotice:
    """A verified, decrypted REFUND.* notification."""

    notification_id: str
    event_type: str
    refund: Refund


@dataclass(frozen=True, slots=True)
class BillLine:
    """One line of the daily trade bill (交易账单, bill_type ALL)."""

    trade_time: datetime
    transaction_id: str
    out_trade_no: str
    trade_state: str  # SUCCESS, REFUND, …
    amount_fen: int
    refund_id: str = ""
    out_refund_no: str = ""
    refund_fen: int = 0


@dataclass(frozen=True, slots=True)
class TradeBill:
    day: date
    lines: list[BillLine] = field(default_factory=list)
    total_fen: int = 0
    refund_fen: int = 0


class PaymentGateway(Protocol):
    async def create_order(self, order: OrderRequest) -> ClientPayment:
        """Places a JSAPI or APP order and signs what the client needs to pay it."""
        ...

    async def query_order(self, out_trade_no: str) -> Order: ...

    async def close_order(self, out_trade_no: str) -> None: ...

    async def refund(self, request: RefundRequest) -> Refund: ...

    async def query_refund(self, out_refund_no: str) -> Refund: ...

    def parse_notification(
        self, headers: Mapping[str, str], body: bytes
    ) -> PaymentNotice | RefundNotice:
        """Verifies the Wechatpay-* signature headers against the platform key and decrypts
        the AEAD_AES_256_GCM resource; raises NotificationRejected when anything is off."""
        ...

    async def trade_bill(self, day: date) -> TradeBill:
        """Downloads the day's trade bill and checks its hash; PaymentUnavailable when it is
        not available yet."""
        ...

    async def close(self) -> None: ...
