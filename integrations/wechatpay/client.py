"""PaymentGateway over the `wechatpayv3` package (WeChat Pay API v3), in 微信支付公钥 mode.

The package signs every request, verifies every answer's Wechatpay-Signature, signs what
wx.requestPayment needs, verifies and decrypts notifications and downloads bills; this adapter
only maps its (status, text) answers to the Protocol's dataclasses and errors. It is
synchronous (requests), so each call runs in a worker thread under a deadline. It never gets a
logger: at debug level the package would log Authorization headers and decrypted notifications.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import hashlib
import io
import json
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import requests
from pydantic import SecretStr
from wechatpayv3 import WeChatPay, WeChatPayType

from integrations.wechatpay.protocol import (
    BillCorrupted,
    BillLine,
    Channel,
    ClientPayment,
    NotificationRejected,
    Order,
    OrderRequest,
    PaymentGateway,
    PaymentNotice,
    PaymentRejected,
    PaymentUnavailable,
    Refund,
    RefundNotice,
    RefundRequest,
    RefundState,
    TradeBill,
    TradeState,
)

CST = timezone(timedelta(hours=8))  # WeChat Pay's times and bill days are Beijing time
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
_T = TypeVar("_T")
_SUMMARY_HEADER = "总交易单数"


class WeChatPaySettings(Protocol):
    """What the adapter reads from resolvers.settings.Settings (named here structurally, since
    integrations sit below the resolvers)."""

    @property
    def wechatpay_mchid(self) -> str: ...
    @property
    def wechatpay_app_id(self) -> str: ...
    @property
    def wechatpay_mobile_app_id(self) -> str: ...
    @property
    def wechatpay_private_key(self) -> SecretStr: ...
    @property
    def wechatpay_cert_serial_no(self) -> str: ...
    @property
    def wechatpay_apiv3_key(self) -> SecretStr: ...
    @property
    def wechatpay_public_key(self) -> str: ...
    @property
    def wechatpay_public_key_id(self) -> str: ...
    @property
    def wechatpay_base_url(self) -> str: ...
    @property
    def wechatpay_notify_url(self) -> str: ...
    @property
    def wechatpay_timeout_seconds(self) -> float: ...
    @property
    def wechatpay_notification_window_seconds(self) -> int: ...


class WeChatPayClient:
    """One merchant (直连商户), JSAPI orders for the mini-program and APP orders for the city
    app. Secrets stay inside the wechatpayv3 object; this class's repr shows none."""

    def __init__(
        self,
        *,
        mchid: str,
        app_id: str,
        mobile_app_id: str,
        private_key: str,
        cert_serial_no: str,
        apiv3_key: str,
        public_key: str,
        public_key_id: str,
        notify_url: str,
        base_url: str = "https://api.mch.weixin.qq.com",
        timeout_seconds: float = 10.0,
        notification_window_seconds: int = 300,
    ) -> None:
        if not private_key.strip() or not public_key.strip():
            raise ValueError(
                "WeChat Pay needs the merchant private key and WeChat Pay's public key"
            )
        self.mchid = mchid
        self.app_id = app_id
        self.mobile_app_id = mobile_app_id or app_id
        self.public_key_id = public_key_id
        self.notify_url = notify_url
        self.timeout_seconds = timeout_seconds
        self.notification_window_seconds = notification_window_seconds
        # Given the public key and its id, the package never downloads platform certificates:
        # answers whose Wechatpay-Serial is that id are verified with that key.
        self._pay = WeChatPay(
            wechatpay_type=WeChatPayType.JSAPI,
            mchid=mchid,
            private_key=private_key,
            cert_serial_no=cert_serial_no,
            appid=app_id,
            apiv3_key=apiv3_key,
            notify_url=notify_url,
            logger=None,
            # requests' own deadline (connect, read), so that a thread given up on by
            # asyncio.wait_for below does not hang on forever.
            timeout=(min(3.0, timeout_seconds), timeout_seconds),
            public_key=public_key,
            public_key_id=public_key_id,
        )
        # The package has no argument for its gateway: it is this attribute, read on every
        # request (pinned version; tests run the package against the mock through it).
        self._pay._core._gate_way = base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"WeChatPayClient(mchid={self.mchid!r}, base_url={self._pay._core._gate_way!r})"

    # -- calls

    async def _call(self, function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(function, *args, **kwargs), self.timeout_seconds + 1
            )
        except (TimeoutError, requests.RequestException) as exc:
            raise PaymentUnavailable(f"WeChat Pay unreachable: {type(exc).__name__}") from exc
        except Exception as exc:
            # The package raises bare Exceptions, e.g. "failed to verify the signature" for an
            # answer not signed by WeChat Pay's key: nothing in it can be trusted.
            raise PaymentUnavailable(f"WeChat Pay answer refused: {exc}") from exc

    async def _request(self, function: Callable[..., tuple[int, Any]], **kwargs: Any) -> Any:
        status, text = await self._call(function, **kwargs)
        if 200 <= status < 300:
            if status == 204 or not text:
                return None
            return json.loads(text) if isinstance(text, str) else text
        code, message = _error_of(text)
        if status >= 500 or status == 429:
            raise PaymentUnavailable(f"WeChat Pay {status} {code}: {message}")
        raise PaymentRejected(code, message)

    async def create_order(self, order: OrderRequest) -> ClientPayment:
        if order.amount_fen <= 0:
            raise PaymentRejected("PARAM_ERROR", "amount must be positive")
        if order.expires_at.tzinfo is None:
            raise ValueError("expires_at must be an aware datetime")
        jsapi = order.channel is Channel.JSAPI
        if jsapi and not order.payer_openid:
            raise PaymentRejected("PARAM_ERROR", "a JSAPI order needs the payer's openid")
        app_id = self.app_id if jsapi else self.mobile_app_id
        answer = await self._request(
            self._pay.pay,
            description=order.description,
            out_trade_no=order.out_trade_no,
            amount={"total": order.amount_fen, "currency": "CNY"},
            payer={"openid": order.payer_openid} if jsapi else None,
            time_expire=order.expires_at.astimezone(CST).isoformat(timespec="seconds"),
            attach=order.attach or None,
            appid=app_id,
            pay_type=WeChatPayType.JSAPI if jsapi else WeChatPayType.APP,
        )
        prepay_id = str(answer["prepay_id"])
        time_stamp = str(int(time.time()))
        nonce_str = secrets.token_hex(16)
        # What the client's SDK checks: appId, timeStamp, nonceStr and the package (JSAPI) or
        # the prepay id (APP), one per line, signed with the merchant key by the package.
        package = f"prepay_id={prepay_id}" if jsapi else "Sign=WXPay"
        signed = [app_id, time_stamp, nonce_str, package if jsapi else prepay_id]
        return ClientPayment(
            channel=order.channel,
            app_id=app_id,
            time_stamp=time_stamp,
            nonce_str=nonce_str,
            package=package,
            sign_type="RSA",
            pay_sign=self._pay.sign(signed),
            prepay_id=prepay_id,
            partner_id="" if jsapi else self.mchid,
        )

    async def query_order(self, out_trade_no: str) -> Order:
        answer = await self._request(self._pay.query, out_trade_no=out_trade_no)
        return _order_of(answer)

    async def close_order(self, out_trade_no: str) -> None:
        await self._request(self._pay.close, out_trade_no=out_trade_no)

    async def refund(self, request: RefundRequest) -> Refund:
        if request.refund_fen <= 0 or request.refund_fen > request.total_fen:
            raise PaymentRejected("PARAM_ERROR", "refund must be positive and at most the total")
        answer = await self._request(
            self._pay.refund,
            out_refund_no=request.out_refund_no,
            amount={"refund": request.refund_fen, "total": request.total_fen, "currency": "CNY"},
            out_trade_no=request.out_trade_no,
            reason=request.reason or None,
            notify_url=self.notify_url,
        )
        return _refund_of(answer, answer.get("status"))

    async def query_refund(self, out_refund_no: str) -> Refund:
        answer = await self._request(self._pay.query_refund, out_refund_no=out_refund_no)
        return _refund_of(answer, answer.get("status"))

    # -- notifications

    def parse_notification(
        self, headers: Mapping[str, str], body: bytes
    ) -> PaymentNotice | RefundNotice:
        lowered = {key.lower(): value for key, value in headers.items()}
        # Checked before the package sees them: for a serial that is not our public key's id
        # it would go and download platform certificates, inside this request.
        if lowered.get("wechatpay-serial") != self.public_key_id:
            raise NotificationRejected("signed with a key that is not WeChat Pay's public key")
        if lowered.get("wechatpay-signature-type", SIGNATURE_TYPE) != SIGNATURE_TYPE:
            raise NotificationRejected("unknown signature type")
        lowered.setdefault("wechatpay-signature-type", SIGNATURE_TYPE)
        try:
            stamp = int(lowered.get("wechatpay-timestamp", ""))
        except ValueError:
            raise NotificationRejected("no timestamp") from None
        # Replays of an old notification are refused here; within the window, the payments
        # domain applies each one once.
        if abs(time.time() - stamp) > self.notification_window_seconds:
            raise NotificationRejected("timestamp outside the accepted window")
        try:
            text = body.decode("utf-8")
            data = self._pay.callback(lowered, text)
        except Exception as exc:
            raise NotificationRejected(f"unreadable notification: {type(exc).__name__}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("resource"), dict):
            # The package answers None for a bad signature and for a resource that does not
            # decrypt under our APIv3 key (tampered ciphertext, nonce or associated data).
            raise NotificationRejected("signature or ciphertext does not verify")
        resource: dict[str, Any] = data["resource"]
        event_type = str(data.get("event_type", ""))
        notification_id = str(data.get("id", ""))
        try:
            if event_type.startswith("REFUND."):
                return RefundNotice(
                    notification_id=notification_id,
                    event_type=event_type,
                    refund=_refund_of(resource, resource.get("refund_status")),
                )
            return PaymentNotice(
                notification_id=notification_id,
                event_type=event_type,
                order=_order_of(resource),
                mchid=str(resource.get("mchid", "")),
                appid=str(resource.get("appid", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NotificationRejected(f"resource not understood: {exc}") from exc

    # -- bills

    async def trade_bill(self, day: date) -> TradeBill:
        try:
            answer = await self._request(
                self._pay.trade_bill, bill_date=day.isoformat(), bill_type="ALL"
            )
        except PaymentRejected as refused:
            if refused.code == "NO_STATEMENT_EXIST":
                return TradeBill(day=day)  # WeChat Pay's answer for a day without trades
            if refused.code == "STATEMENT_CREATING":
                raise PaymentUnavailable("the trade bill is not ready yet") from refused
            raise
        download_url = str(answer["download_url"])
        status, content = await self._call(self._pay.download_bill, download_url)
        if status != 200 or not isinstance(content, bytes | str):
            raise PaymentUnavailable(f"the trade bill download answered {status}")
        raw = content.encode() if isinstance(content, str) else content
        if raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                raise BillCorrupted("the trade bill does not decompress") from exc
        hash_type = str(answer.get("hash_type", "SHA1")).lower()
        if hash_type not in ("sha1", "sha256", "sm3"):
            raise BillCorrupted(f"unknown bill hash type {hash_type}")
        # The hash is WeChat Pay's, whose bills still use SHA1; it catches a damaged or
        # truncated download (the download itself is not signed).
        digest = hashlib.new(hash_type, raw).hexdigest()
        if digest.lower() != str(answer.get("hash_value", "")).lower():
            raise BillCorrupted("the trade bill's hash does not match")
        return parse_trade_bill(day, raw)

    async def close(self) -> None:
        # requests opens a connection per call here (the package keeps no Session): nothing
        # is held between calls.
        return None


def parse_trade_bill(day: date, raw: bytes) -> TradeBill:
    """WeChat Pay's ALL trade bill: a header row, one row per payment or refund, then the
    summary header and row; every field prefixed with a backquote. Rows must add up to the
    summary, or the bill is refused as corrupt."""
    text = raw.decode("utf-8-sig")
    rows = [[cell.strip().lstrip("`") for cell in row] for row in csv.reader(io.StringIO(text))]
    rows = [row for row in rows if any(row)]
    if not rows:
        raise BillCorrupted("the trade bill is empty")
    header, body = rows[0], rows[1:]
    try:
        end = next(i for i, row in enumerate(body) if row[0] == _SUMMARY_HEADER)
        summary = dict(zip(body[end], body[end + 1], strict=True))
        column = {name: index for index, name in enumerate(header)}
        lines = [_bill_line(row, column) for row in body[:end]]
        total_fen = _fen(summary["应结订单总金额"])
        refund_fen = _fen(summary["退款总金额"])
        count = int(summary[_SUMMARY_HEADER])
    except (StopIteration, IndexError, KeyError, ValueError) as exc:
        raise BillCorrupted(f"the trade bill is not in WeChat Pay's format: {exc}") from exc
    if (
        count != len(lines)
        or total_fen != sum(line.amount_fen for line in lines)
        or refund_fen != sum(line.refund_fen for line in lines)
    ):
        raise BillCorrupted("the trade bill's rows do not add up to its summary")
    return TradeBill(day=day, lines=lines, total_fen=total_fen, refund_fen=refund_fen)


def _bill_line(row: list[str], column: Mapping[str, int]) -> BillLine:
    def cell(name: str) -> str:
        return row[column[name]]

    return BillLine(
        trade_time=datetime.strptime(cell("交易时间"), "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST),
        transaction_id=cell("微信订单号"),
        out_trade_no=cell("商户订单号"),
        trade_state=cell("交易状态"),
        amount_fen=_fen(cell("应结订单金额")),
        refund_id="" if cell("微信退款单号") == "0" else cell("微信退款单号"),
        out_refund_no="" if cell("商户退款单号") == "0" else cell("商户退款单号"),
        refund_fen=_fen(cell("退款金额")),
    )


def _fen(yuan: str) -> int:
    """'12.30' yuan -> 1230 fen, exactly (never through float)."""
    try:
        value = Decimal(yuan) * 100
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {yuan!r}") from exc
    if value != value.to_integral_value():
        raise ValueError(f"not a whole number of fen: {yuan!r}")
    return int(value)


def _error_of(text: Any) -> tuple[str, str]:
    try:
        data = json.loads(text) if isinstance(text, str | bytes) else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return str(data.get("code") or "UNKNOWN"), str(data.get("message") or "")


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _order_of(data: Mapping[str, Any]) -> Order:
    payer = data.get("payer")
    try:
        state = TradeState(str(data["trade_state"]))
    except ValueError as exc:
        raise PaymentUnavailable(f"unknown trade_state {data.get('trade_state')!r}") from exc
    return Order(
        out_trade_no=str(data["out_trade_no"]),
        state=state,
        amount_fen=int(data["amount"]["total"]),
        transaction_id=data.get("transaction_id") or None,
        success_time=_time(data.get("success_time")),
        payer_openid=(payer.get("openid") or None) if isinstance(payer, dict) else None,
    )


def _refund_of(data: Mapping[str, Any], status: object) -> Refund:
    try:
        state = RefundState(str(status))
    except ValueError as exc:
        raise PaymentUnavailable(f"unknown refund status {status!r}") from exc
    return Refund(
        out_refund_no=str(data["out_refund_no"]),
        out_trade_no=str(data["out_trade_no"]),
        state=state,
        refund_fen=int(data["amount"]["refund"]),
        refund_id=data.get("refund_id") or None,
        success_time=_time(data.get("success_time")),
    )


def payment_gateway_of(settings: WeChatPaySettings) -> WeChatPayClient | None:
    """The gateway the settings describe, or None while no merchant key and WeChat Pay public
    key are configured (production refuses to start so; development runs without payments
    unless `rongban dev` hands it the mock's test keys)."""
    if not (
        settings.wechatpay_private_key.get_secret_value().strip()
        and settings.wechatpay_public_key.strip()
    ):
        return None
    return WeChatPayClient(
        mchid=settings.wechatpay_mchid,
        app_id=settings.wechatpay_app_id,
        mobile_app_id=settings.wechatpay_mobile_app_id,
        private_key=settings.wechatpay_private_key.get_secret_value(),
        cert_serial_no=settings.wechatpay_cert_serial_no,
        apiv3_key=settings.wechatpay_apiv3_key.get_secret_value(),
        public_key=settings.wechatpay_public_key,
        public_key_id=settings.wechatpay_public_key_id,
        notify_url=settings.wechatpay_notify_url,
        base_url=settings.wechatpay_base_url,
        timeout_seconds=settings.wechatpay_timeout_seconds,
        notification_window_seconds=settings.wechatpay_notification_window_seconds,
    )


if TYPE_CHECKING:
    # mypy checks here that the adapter keeps to the Protocol the payments domain uses.
    _conforms: type[PaymentGateway] = WeChatPayClient
