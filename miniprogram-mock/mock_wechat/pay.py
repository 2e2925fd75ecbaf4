"""A loopback look-alike of WeChat Pay API v3 (api.mch.weixin.qq.com), with the phone's side.

It checks what WeChat Pay checks on the wire: the merchant's request signature
(`Authorization: WECHATPAY2-SHA256-RSA2048 ...` over method, path, timestamp, nonce and body),
then signs every answer and notification with its platform key (微信支付公钥 mode: the
`Wechatpay-Serial` is the public key's PUB_KEY_ID), so that a client library's own signing and
verification run against it. Notifications carry their resource encrypted AEAD_AES_256_GCM with
the merchant's APIv3 key and are retried while the merchant does not answer 2xx, as WeChat does
(on a shorter, configurable schedule). Refunds succeed a moment after they are asked for.

The phone's side, under /__mock__/pay: pay, fail or cancel an order as wx.requestPayment would
(checking its paySign when given), re-send notifications (duplicated, out of order, forged),
look at orders, tune the timings. Times follow the mock's clock (/__mock__/clock).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mock_wechat import pay_keys

if TYPE_CHECKING:
    from mock_wechat.server import MockState

CST = timezone(timedelta(hours=8))  # WeChat Pay writes every time in Beijing time
AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
SIGNATURE_WINDOW = 300  # a request whose timestamp is further off than this is refused
MIN_EXPIRE_SECONDS = 60  # time_expire at least a minute ahead, as WeChat Pay asks
NOTIFY_TIMEOUT = 5.0  # WeChat Pay waits five seconds for the merchant's answer
# WeChat retries over about a day (15s, 15s, 30s, 3m, 10m, ...); the mock keeps the pattern
# on a scale tests can wait for, and tests may change it through /__mock__/pay/config.
DEFAULT_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)
DEFAULT_REFUND_DELAY = 0.2
DEFAULT_BILL_READY_HOUR = 10  # the day's bill is there from 10:00 the next day
FEE_RATE = Decimal("0.006")
_OUT_NO = re.compile(r"[0-9A-Za-z_\-|*]{6,32}")
_OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
_AUTH_FIELD = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class PayMerchant:
    """The one merchant the mock knows, and the platform key it answers with."""

    mchid: str = pay_keys.TEST_MCHID
    serial_no: str = pay_keys.TEST_MERCHANT_SERIAL_NO
    merchant_public_key: str = pay_keys.TEST_MERCHANT_PUBLIC_KEY
    apiv3_key: str = pay_keys.TEST_APIV3_KEY
    platform_private_key: str = pay_keys.TEST_PLATFORM_PRIVATE_KEY
    public_key_id: str = pay_keys.TEST_PUBLIC_KEY_ID
    # App ids bound to the merchant besides the mock's mini-program (APPID_MCHID_NOT_MATCH else).
    extra_app_ids: tuple[str, ...] = (pay_keys.TEST_MOBILE_APP_ID,)


@dataclass
class PayOrder:
    appid: str
    mchid: str
    out_trade_no: str
    trade_type: str  # JSAPI or APP
    description: str
    total: int
    notify_url: str
    attach: str
    payer_openid: str | None
    time_expire: float | None
    created_at: float
    prepay_id: str
    request_digest: str  # what the order said, to tell a repeat from a different order
    trade_state: str = "NOTPAY"
    trade_state_desc: str = "未支付"
    transaction_id: str | None = None
    success_time: float | None = None
    bank_type: str = "OTHERS"
    refunded: int = 0  # refunds asked for and not closed, in fen

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": self.out_trade_no,
            "trade_type": self.trade_type,
            "trade_state": self.trade_state,
            "trade_state_desc": self.trade_state_desc,
            "attach": self.attach,
            "amount": {"total": self.total, "currency": "CNY"},
        }
        if self.transaction_id is not None:
            body["transaction_id"] = self.transaction_id
            body["bank_type"] = self.bank_type
            body["success_time"] = rfc3339(self.success_time or 0)
            body["payer"] = {"openid": self.payer_openid or ""}
            body["amount"].update({"payer_total": self.total, "payer_currency": "CNY"})
        return body


@dataclass
class PayRefund:
    out_refund_no: str
    refund_id: str
    order: PayOrder
    refund: int
    reason: str
    notify_url: str
    created_at: float
    request_digest: str
    status: str = "PROCESSING"
    success_time: float | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "refund_id": self.refund_id,
            "out_refund_no": self.out_refund_no,
            "transaction_id": self.order.transaction_id,
            "out_trade_no": self.order.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": rfc3339(self.created_at),
            "status": self.status,
            "funds_account": "AVAILABLE",
            "amount": {
                "total": self.order.total,
                "refund": self.refund,
                "payer_total": self.order.total,
                "payer_refund": self.refund,
                "settlement_total": self.order.total,
                "settlement_refund": self.refund,
                "discount_refund": 0,
                "currency": "CNY",
            },
        }
        if self.success_time is not None:
            body["success_time"] = rfc3339(self.success_time)
        return body


@dataclass
class PayNotification:
    """One notification WeChat Pay owes the merchant; re-sent with the same id."""

    id: str
    event_type: str
    summary: str
    url: str
    original_type: str  # "transaction" or "refund"
    resource: dict[str, Any]
    created_at: float
    out_trade_no: str
    out_refund_no: str | None = None
    deliveries: list[int | None] = field(default_factory=list)  # answer status, None: no answer
    acknowledged: bool = False


@dataclass
class PayState:
    """What the mock WeChat Pay holds; reset with the rest of the mock."""

    orders: dict[str, PayOrder] = field(default_factory=dict)
    refunds: dict[str, PayRefund] = field(default_factory=dict)
    notifications: list[PayNotification] = field(default_factory=list)
    # download token -> (the bill, gzipped?, usable until)
    bills: dict[str, tuple[bytes, bool, float]] = field(default_factory=dict)
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    refund_delay: float = DEFAULT_REFUND_DELAY
    refund_result: str = "SUCCESS"  # SUCCESS, ABNORMAL or CLOSED for the next refunds
    bill_ready_hour: int = DEFAULT_BILL_READY_HOUR
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    sink: list[dict[str, Any]] = field(default_factory=list)  # what /__mock__/pay/sink got
    sink_failures: int = 0  # the sink answers 500 this many more times
    corrupt_next_bill: bool = False  # the next bill download differs from its hash_value


def rfc3339(at: float) -> str:
    return datetime.fromtimestamp(at, CST).isoformat(timespec="seconds")


def _parse_rfc3339(value: str) -> float | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


def _fail(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": message}


def _digest(*parts: object) -> str:
    return hashlib.sha256(
        json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def _yuan(fen: int | Decimal) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def encrypt_resource(
    apiv3_key: str, associated_data: str, payload: dict[str, Any]
) -> dict[str, str]:
    """AEAD_AES_256_GCM with the APIv3 key, a 12-character nonce, as WeChat Pay sends it."""
    nonce = secrets.token_hex(6)
    plaintext = json.dumps(payload, ensure_ascii=False).encode()
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), plaintext, associated_data.encode()
    )
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


class Signer:
    """Signs the mock's answers and notifications as WeChat Pay does: SHA256withRSA over
    "timestamp\\nnonce\\nbody\\n", with the platform key."""

    def __init__(self, merchant: PayMerchant) -> None:
        key = serialization.load_pem_private_key(merchant.platform_private_key.encode(), None)
        assert isinstance(key, rsa.RSAPrivateKey)
        self.key = key
        self.serial = merchant.public_key_id
        merchant_key = serialization.load_pem_public_key(merchant.merchant_public_key.encode())
        assert isinstance(merchant_key, rsa.RSAPublicKey)
        self.merchant_key = merchant_key

    def headers(
        self,
        body: str,
        *,
        timestamp: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
        serial: str | None = None,
    ) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(16).upper()
        message = f"{stamp}\n{nonce}\n{body}\n".encode()
        signature = (key or self.key).sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": base64.b64encode(signature).decode(),
            "Wechatpay-Serial": serial or self.serial,
            "Wechatpay-Signature-Type": AUTH_SCHEME,
        }

    def verify_merchant(self, message: bytes, signature: str) -> bool:
        try:
            self.merchant_key.verify(
                base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return False
        return True


def pay_routes(
    mock: MockState,
    injected: Callable[[Request], Awaitable[Response | None]],
    merchant: PayMerchant | None = None,
) -> list[Route]:
    """The WeChat Pay routes over the mock's state (`mock.pay`, reset with the rest)."""
    merchant = merchant or PayMerchant()
    signer = Signer(merchant)

    def app_ids() -> set[str]:
        return {mock.app_id, *merchant.extra_app_ids}

    def answer(status: int, payload: dict[str, Any] | None) -> Response:
        text = "" if payload is None else json.dumps(payload, ensure_ascii=False)
        headers = {"Request-ID": secrets.token_hex(16), **signer.headers(text)}
        if payload is None:
            return Response(status_code=status, headers=headers)
        return Response(
            text.encode(),
            status_code=status,
            headers=headers,
            media_type="application/json; charset=utf-8",
        )

    async def authenticated(request: Request) -> tuple[bytes, Response | None]:
        """The raw body, or the refusal of a request that is not the merchant's."""
        raw = await request.body()
        header = request.headers.get("authorization", "")
        scheme, _, rest = header.partition(" ")
        if scheme != AUTH_SCHEME:
            return raw, answer(*_fail(401, "SIGN_ERROR", "Authorization 缺失或类型错误"))
        fields = dict(_AUTH_FIELD.findall(rest))
        if fields.get("mchid") != merchant.mchid:
            return raw, answer(*_fail(401, "SIGN_ERROR", "商户号与签名不符"))
        if fields.get("serial_no", "").upper() != merchant.serial_no.upper():
            return raw, answer(*_fail(401, "SIGN_ERROR", "商户证书序列号有误"))
        try:
            stamp = int(fields.get("timestamp", ""))
        except ValueError:
            return raw, answer(*_fail(401, "SIGN_ERROR", "timestamp 有误"))
        # The signature's time is the merchant's wall clock, not the mock's test clock.
        if abs(time.time() - stamp) > SIGNATURE_WINDOW:
            return raw, answer(*_fail(401, "SIGN_ERROR", "请求时间与当前时间相差过大"))
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        message = (
            f"{request.method}\n{target}\n{stamp}\n{fields.get('nonce_str', '')}\n".encode()
            + raw
            + b"\n"
        )
        if not signer.verify_merchant(message, fields.get("signature", "")):
            return raw, answer(*_fail(401, "SIGN_ERROR", "签名错误"))
        return raw, None

    async def guarded(request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        """Fault injection, then the signature, then the JSON body (if any)."""
        if (failed := await injected(request)) is not None:
            return None, failed
        raw, refused = await authenticated(request)
        if refused is not None:
            return None, refused
        if request.method != "POST":
            return {}, None
        try:
            data = json.loads(raw or b"null")
        except ValueError:
            return None, answer(*_fail(400, "PARAM_ERROR", "请求体不是合法的 JSON"))
        if not isinstance(data, dict):
            return None, answer(*_fail(400, "PARAM_ERROR", "请求体不是 JSON 对象"))
        return data, None

    # -- orders

    def place(data: dict[str, Any], trade_type: str) -> tuple[int, dict[str, Any]]:
        pay = mock.pay
        now = mock.now()
        appid, mchid = str(data.get("appid", "")), str(data.get("mchid", ""))
        out_trade_no = str(data.get("out_trade_no", ""))
        description = data.get("description")
        notify_url = data.get("notify_url")
        amount = data.get("amount")
        if mchid != merchant.mchid:
            return _fail(400, "MCH_NOT_EXISTS", "商户号不存在")
        if appid not in app_ids():
            return _fail(400, "APPID_MCHID_NOT_MATCH", "AppID 和 mch_id 不匹配")
        if not _OUT_NO.fullmatch(out_trade_no):
            return _fail(400, "PARAM_ERROR", "out_trade_no 须为 6-32 位字母、数字、_-|*")
        if not isinstance(description, str) or not description:
            return _fail(400, "PARAM_ERROR", "缺少参数 description")
        if len(description.encode()) > 127:
            return _fail(400, "PARAM_ERROR", "description 超过 127 字节")
        if not isinstance(notify_url, str) or not notify_url.startswith(("http://", "https://")):
            return _fail(400, "PARAM_ERROR", "notify_url 格式有误")
        total = amount.get("total") if isinstance(amount, dict) else None
        if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
            return _fail(400, "PARAM_ERROR", "amount.total 须为大于 0 的整数（分）")
        if isinstance(amount, dict) and amount.get("currency", "CNY") != "CNY":
            return _fail(400, "PARAM_ERROR", "currency 仅支持 CNY")
        payer = data.get("payer")
        openid = payer.get("openid") if isinstance(payer, dict) else None
        if trade_type == "JSAPI" and not (isinstance(openid, str) and openid):
            return _fail(400, "PARAM_ERROR", "JSAPI 下单须提供 payer.openid")
        time_expire: float | None = None
        if "time_expire" in data:
            time_expire = _parse_rfc3339(str(data["time_expire"]))
            if time_expire is None:
                return _fail(400, "PARAM_ERROR", "time_expire 须为 RFC 3339 格式")
            if time_expire - now < MIN_EXPIRE_SECONDS - 5:  # a few seconds for the wire
                return _fail(400, "PARAM_ERROR", "time_expire 须在下单时间 1 分钟之后")
        attach = str(data.get("attach", ""))
        if len(attach.encode()) > 128:
            return _fail(400, "PARAM_ERROR", "attach 超过 128 字节")
        digest = _digest(appid, trade_type, description, total, openid, attach, time_expire)
        existing = pay.orders.get(out_trade_no)
        if existing is not None:
            if existing.trade_state in ("SUCCESS", "REFUND"):
                return _fail(400, "ORDERPAID", "该订单已支付")
            if existing.trade_state == "CLOSED":
                return _fail(400, "ORDER_CLOSED", "该订单已关闭")
            if existing.request_digest != digest:
                return _fail(400, "INVALID_REQUEST", "商户订单号重复，且与原订单内容不一致")
            # The same order again: WeChat hands out a prepay_id for it again.
            return 200, {"prepay_id": existing.prepay_id}
        order = PayOrder(
            appid=appid,
            mchid=mchid,
            out_trade_no=out_trade_no,
            trade_type=trade_type,
            description=description,
            total=total,
            notify_url=notify_url,
            attach=attach,
            payer_openid=openid if trade_type == "JSAPI" else None,
            time_expire=time_expire,
            created_at=now,
            prepay_id="wx"
            + datetime.fromtimestamp(now, CST).strftime("%d%H%M%S")
            + secrets.token_hex(12),
            request_digest=digest,
        )
        pay.orders[out_trade_no] = order
        return 200, {"prepay_id": order.prepay_id}

    async def order_jsapi(request: Request) -> Response:
        data, refused = await guarded(request)
        if refused is not None or data is None:
            return refused or answer(400, None)
        return answer(*place(data, "JSAPI"))

    async def order_app(request: Request) -> Response:
        data, refused = await guarded(request)
        if refused is not None or data is None:
            return refused or answer(400, None)
        return answer(*place(data, "APP"))

    async def order_query(request: Request) -> Response:
        _, refused = await guarded(request)
        if refused is not None:
            return refused
        if request.query_params.get("mchid") != merchant.mchid:
            return answer(*_fail(400, "PARAM_ERROR", "mchid 有误"))
        order = mock.pay.orders.get(request.path_params["out_trade_no"])
        if order is None:
            return answer(*_fail(404, "ORDER_NOT_EXIST", "订单不存在"))
        return answer(200, order.as_json())

    async def order_close(request: Request) -> Response:
        data, refused = await guarded(request)
        if refused is not None or data is None:
            return refused or answer(400, None)
        if data.get("mchid") != merchant.mchid:
            return answer(*_fail(400, "PARAM_ERROR", "mchid 有误"))
        order = mock.pay.orders.get(request.path_params["out_trade_no"])
        if order is None:
            return answer(*_fail(404, "ORDER_NOT_EXIST", "订单不存在"))
        if order.trade_state in ("SUCCESS", "REFUND"):
            return answer(*_fail(400, "ORDERPAID", "订单已支付"))
        order.trade_state, order.trade_state_desc = "CLOSED", "已关闭"
        return answer(204, None)

    # -- refunds

    def ask_refund(data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        pay = mock.pay
        out_refund_no = str(data.get("out_refund_no", ""))
        if not _OUT_REFUND_NO.fullmatch(out_refund_no):
            return _fail(400, "PARAM_ERROR", "out_refund_no 格式有误")
        order = None
        if data.get("out_trade_no"):
            order = pay.orders.get(str(data["out_trade_no"]))
        elif data.get("transaction_id"):
            order = next(
                (o for o in pay.orders.values() if o.transaction_id == data["transaction_id"]),
                None,
            )
        else:
            return _fail(400, "PARAM_ERROR", "须提供 out_trade_no 或 transaction_id")
        if order is None:
            return _fail(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        amount = data.get("amount")
        if not isinstance(amount, dict):
            return _fail(400, "PARAM_ERROR", "缺少参数 amount")
        refund, total = amount.get("refund"), amount.get("total")
        if not isinstance(refund, int) or isinstance(refund, bool) or refund <= 0:
            return _fail(400, "PARAM_ERROR", "amount.refund 须为大于 0 的整数（分）")
        if total != order.total:
            return _fail(400, "PARAM_ERROR", "amount.total 与原订单金额不一致")
        reason = str(data.get("reason", ""))
        notify_url = str(data.get("notify_url") or order.notify_url)
        digest = _digest(order.out_trade_no, refund, total, reason)
        existing = pay.refunds.get(out_refund_no)
        if existing is not None:
            if existing.request_digest != digest:
                return _fail(400, "INVALID_REQUEST", "商户退款单号重复，且与原退款内容不一致")
            return 200, existing.as_json()
        if order.trade_state not in ("SUCCESS", "REFUND"):
            return _fail(400, "INVALID_REQUEST", "订单未支付，不能退款")
        if order.refunded + refund > order.total:
            return _fail(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        if mock.now() - (order.success_time or 0) > 365 * 86400:
            return _fail(400, "INVALID_REQUEST", "订单已超过退款期限")
        item = PayRefund(
            out_refund_no=out_refund_no,
            refund_id="50" + secrets.token_hex(14)[:26],
            order=order,
            refund=refund,
            reason=reason,
            notify_url=notify_url,
            created_at=mock.now(),
            request_digest=digest,
        )
        pay.refunds[out_refund_no] = item
        order.refunded += refund
        order.trade_state, order.trade_state_desc = "REFUND", "转入退款"
        spawn(settle_refund(pay, item))
        return 200, item.as_json()

    async def settle_refund(pay: PayState, item: PayRefund) -> None:
        await asyncio.sleep(pay.refund_delay)
        if mock.pay is not pay:
            return  # reset meanwhile
        item.status = pay.refund_result
        if item.status == "SUCCESS":
            item.success_time = mock.now()
        elif item.status == "CLOSED":
            item.order.refunded -= item.refund
        notice = refund_notification(item)
        await deliver(pay, notice)

    async def refund_create(request: Request) -> Response:
        data, refused = await guarded(request)
        if refused is not None or data is None:
            return refused or answer(400, None)
        return answer(*ask_refund(data))

    async def refund_query(request: Request) -> Response:
        _, refused = await guarded(request)
        if refused is not None:
            return refused
        item = mock.pay.refunds.get(request.path_params["out_refund_no"])
        if item is None:
            return answer(*_fail(404, "RESOURCE_NOT_EXISTS", "退款单不存在"))
        return answer(200, item.as_json())

    # -- the daily trade bill

    def bill_of(day: date) -> bytes | None:
        """The ALL trade bill of a day (Beijing time), in WeChat's CSV, or None if nothing."""
        header = (
            "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,"
            "交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,"
            "商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
            "手续费,费率,订单金额,申请退款金额,费率备注"
        )
        rows: list[tuple[float, list[str]]] = []
        count = 0
        paid = refunded = fees = Decimal(0)

        def on_day(at: float | None) -> bool:
            return at is not None and datetime.fromtimestamp(at, CST).date() == day

        for order in mock.pay.orders.values():
            if order.transaction_id is None or not on_day(order.success_time):
                continue
            fee = (Decimal(order.total) * FEE_RATE).quantize(Decimal(1))
            count += 1
            paid += order.total
            fees += fee
            rows.append(
                (
                    order.success_time or 0,
                    [
                        datetime.fromtimestamp(order.success_time or 0, CST).strftime(
                            "%Y-%m-%d %H:%M:%S"
                        ),
                        order.appid,
                        order.mchid,
                        "0",
                        "",
                        order.transaction_id,
                        order.out_trade_no,
                        order.payer_openid or "",
                        order.trade_type,
                        "SUCCESS",
                        order.bank_type,
                        "CNY",
                        _yuan(order.total),
                        "0.00",
                        "0",
                        "0",
                        "0.00",
                        "0.00",
                        "",
                        "",
                        order.description,
                        order.attach,
                        f"{fee / 100:.5f}",
                        "0.60%",
                        _yuan(order.total),
                        "0.00",
                        "",
                    ],
                )
            )
        for item in mock.pay.refunds.values():
            if item.status != "SUCCESS" or not on_day(item.success_time):
                continue
            order = item.order
            fee = -(Decimal(item.refund) * FEE_RATE).quantize(Decimal(1))
            count += 1
            refunded += item.refund
            fees += fee
            rows.append(
                (
                    item.success_time or 0,
                    [
                        datetime.fromtimestamp(item.success_time or 0, CST).strftime(
                            "%Y-%m-%d %H:%M:%S"
                        ),
                        order.appid,
                        order.mchid,
                        "0",
                        "",
                        order.transaction_id or "",
                        order.out_trade_no,
                        order.payer_openid or "",
                        order.trade_type,
                        "REFUND",
                        order.bank_type,
                        "CNY",
                        "0.00",
                        "0.00",
                        item.refund_id,
                        item.out_refund_no,
                        _yuan(item.refund),
                        "0.00",
                        "ORIGINAL",
                        "SUCCESS",
                        order.description,
                        order.attach,
                        f"{fee / 100:.5f}",
                        "0.60%",
                        "0.00",
                        _yuan(item.refund),
                        "",
                    ],
                )
            )
        if not rows:
            return None
        lines = [header]
        for _, cells in sorted(rows, key=lambda row: row[0]):
            # WeChat prefixes every field with a backquote, so that spreadsheets keep numbers
            # such as order numbers as text.
            lines.append(",".join("`" + cell.replace(",", "，") for cell in cells))
        lines.append(
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
        )
        lines.append(
            ",".join(
                "`" + cell
                for cell in (
                    str(count),
                    _yuan(paid),
                    _yuan(refunded),
                    "0.00",
                    f"{fees / 100:.5f}",
                    _yuan(paid),
                    _yuan(refunded),
                )
            )
        )
        return ("\r\n".join(lines) + "\r\n").encode()

    async def trade_bill(request: Request) -> Response:
        _, refused = await guarded(request)
        if refused is not None:
            return refused
        params = request.query_params
        try:
            day = date.fromisoformat(params.get("bill_date", ""))
        except ValueError:
            return answer(*_fail(400, "PARAM_ERROR", "bill_date 须为 YYYY-MM-DD"))
        if params.get("bill_type", "ALL") not in ("ALL", "SUCCESS", "REFUND"):
            return answer(*_fail(400, "PARAM_ERROR", "bill_type 有误"))
        tar_type = params.get("tar_type")
        if tar_type not in (None, "GZIP"):
            return answer(*_fail(400, "PARAM_ERROR", "tar_type 仅支持 GZIP"))
        now = datetime.fromtimestamp(mock.now(), CST)
        ready = datetime.combine(day + timedelta(days=1), datetime.min.time(), CST) + timedelta(
            hours=mock.pay.bill_ready_hour
        )
        if now.date() - day > timedelta(days=90):
            return answer(*_fail(400, "INVALID_REQUEST", "仅支持下载三个月内的账单"))
        if now < ready:
            return answer(*_fail(400, "STATEMENT_CREATING", "账单生成中，请稍后再试"))
        content = bill_of(day)
        if content is None:
            return answer(*_fail(400, "NO_STATEMENT_EXIST", "账单文件不存在，当日无成功交易"))
        token = secrets.token_urlsafe(24)
        mock.pay.bills[token] = (content, tar_type == "GZIP", mock.now() + 30)
        base = str(request.base_url).rstrip("/")
        return answer(
            200,
            {
                "hash_type": "SHA1",
                # Of the bill itself, before compression, as WeChat Pay documents.
                "hash_value": hashlib.sha1(content).hexdigest(),  # noqa: S324 (WeChat's choice)
                "download_url": f"{base}/v3/billdownload/file?token={token}",
            },
        )

    async def bill_download(request: Request) -> Response:
        _, refused = await guarded(request)
        if refused is not None:
            return refused
        stored = mock.pay.bills.get(request.query_params.get("token", ""))
        if stored is None or stored[2] < mock.now():
            return answer(*_fail(400, "INVALID_REQUEST", "下载地址已失效"))
        content, gzipped, _ = stored
        if mock.pay.corrupt_next_bill:
            mock.pay.corrupt_next_bill = False
            content = content.replace(b"SUCCESS", b"SUCCES5", 1)
        if gzipped:
            content = gzip.compress(content, mtime=0)
        # The file is not signed: the merchant checks it against hash_value instead.
        return Response(content, media_type="application/octet-stream")

    # -- notifications

    def transaction_notification(order: PayOrder) -> PayNotification:
        existing = next(
            (
                n
                for n in mock.pay.notifications
                if n.original_type == "transaction" and n.out_trade_no == order.out_trade_no
            ),
            None,
        )
        if existing is not None:
            return existing
        notice = PayNotification(
            id=_notification_id(),
            event_type="TRANSACTION.SUCCESS",
            summary="支付成功",
            url=order.notify_url,
            original_type="transaction",
            resource={**order.as_json(), "amount": dict(order.as_json()["amount"])},
            created_at=mock.now(),
            out_trade_no=order.out_trade_no,
        )
        mock.pay.notifications.append(notice)
        return notice

    def refund_notification(item: PayRefund) -> PayNotification:
        existing = next(
            (n for n in mock.pay.notifications if n.out_refund_no == item.out_refund_no), None
        )
        if existing is not None:
            return existing
        resource: dict[str, Any] = {
            "mchid": item.order.mchid,
            "out_trade_no": item.order.out_trade_no,
            "transaction_id": item.order.transaction_id,
            "out_refund_no": item.out_refund_no,
            "refund_id": item.refund_id,
            "refund_status": item.status,
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": item.order.total,
                "refund": item.refund,
                "payer_total": item.order.total,
                "payer_refund": item.refund,
            },
        }
        if item.success_time is not None:
            resource["success_time"] = rfc3339(item.success_time)
        summary = {"SUCCESS": "退款成功", "ABNORMAL": "退款异常", "CLOSED": "退款关闭"}
        notice = PayNotification(
            id=_notification_id(),
            event_type=f"REFUND.{item.status}",
            summary=summary.get(item.status, "退款"),
            url=item.notify_url,
            original_type="refund",
            resource=resource,
            created_at=mock.now(),
            out_trade_no=item.order.out_trade_no,
            out_refund_no=item.out_refund_no,
        )
        mock.pay.notifications.append(notice)
        return notice

    def envelope(notice: PayNotification, forge: str | None) -> tuple[str, dict[str, str]]:
        """The notification's body and headers, honest unless asked to forge one part."""
        resource = encrypt_resource(merchant.apiv3_key, notice.original_type, notice.resource)
        if forge == "ciphertext":
            raw = bytearray(base64.b64decode(resource["ciphertext"]))
            raw[0] ^= 0x01
            resource["ciphertext"] = base64.b64encode(bytes(raw)).decode()
        body = json.dumps(
            {
                "id": notice.id,
                "create_time": rfc3339(notice.created_at),
                "resource_type": "encrypt-resource",
                "event_type": notice.event_type,
                "summary": notice.summary,
                "resource": {"original_type": notice.original_type, **resource},
            },
            ensure_ascii=False,
        )
        if forge == "signature":
            stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            headers = signer.headers(body, key=stranger)
        elif forge == "serial":
            headers = signer.headers(body, serial="PUB_KEY_ID_" + "9" * 34)
        elif forge == "timestamp":
            headers = signer.headers(body, timestamp=int(time.time()) - 2 * SIGNATURE_WINDOW)
        else:
            headers = signer.headers(body)
        return body, headers

    async def send_once(notice: PayNotification, forge: str | None = None) -> int | None:
        body, headers = envelope(notice, forge)
        try:
            async with httpx.AsyncClient(timeout=NOTIFY_TIMEOUT, trust_env=False) as client:
                response = await client.post(
                    notice.url,
                    content=body.encode(),
                    headers={**headers, "Content-Type": "application/json"},
                )
        except httpx.HTTPError:
            status = None
        else:
            status = response.status_code
        notice.deliveries.append(status)
        if status is not None and 200 <= status < 300:
            notice.acknowledged = True
        return status

    async def deliver(pay: PayState, notice: PayNotification, copies: int = 1) -> None:
        """Sends `copies` at once, then retries on WeChat's pattern until one is answered 2xx."""
        statuses = await asyncio.gather(*(send_once(notice) for _ in range(max(1, copies))))
        if any(s is not None and 200 <= s < 300 for s in statuses):
            return
        for delay in pay.retry_delays:
            await asyncio.sleep(delay)
            if mock.pay is not pay or notice.acknowledged:
                return
            status = await send_once(notice)
            if status is not None and 200 <= status < 300:
                return

    def spawn(coroutine: Awaitable[None]) -> None:
        async def run() -> None:
            await coroutine

        task = asyncio.get_running_loop().create_task(run())
        mock.pay.tasks.add(task)
        task.add_done_callback(mock.pay.tasks.discard)

    # -- the phone's side

    def phone(status: int, message: str, **extra: Any) -> JSONResponse:
        return JSONResponse({"errMsg": message, **extra}, status_code=status)

    async def mock_pay(request: Request) -> Response:
        """wx.requestPayment (or the app SDK): {"outTradeNo"} or {"package" | "prepayId"},
        with {"timeStamp", "nonceStr", "paySign", "appId"} checked when given; "result":
        "pay" | "fail" | "cancel"; "duplicate": n notifications at once; "delay": seconds
        before notifying; "user": who pays (their openid must be the order's payer)."""
        data = await request.json()
        pay = mock.pay
        order = pay.orders.get(str(data.get("outTradeNo", "")))
        prepay_id = str(
            data.get("prepayId") or str(data.get("package", "")).removeprefix("prepay_id=")
        )
        if order is None and prepay_id:
            order = next((o for o in pay.orders.values() if o.prepay_id == prepay_id), None)
        if order is None:
            return phone(404, "requestPayment:fail 订单不存在")
        if "paySign" in data:
            package = (
                f"prepay_id={order.prepay_id}" if order.trade_type == "JSAPI" else order.prepay_id
            )
            message = (
                "\n".join(
                    [
                        str(data.get("appId", order.appid)),
                        str(data.get("timeStamp", "")),
                        str(data.get("nonceStr", "")),
                        package,
                    ]
                )
                + "\n"
            )
            if str(data.get("appId", order.appid)) != order.appid or not signer.verify_merchant(
                message.encode(), str(data["paySign"])
            ):
                return phone(400, "requestPayment:fail 支付验证签名失败")
        user = data.get("user")
        if user is not None and order.payer_openid and mock.openid(str(user)) != order.payer_openid:
            return phone(403, "requestPayment:fail 当前用户与下单用户不一致")
        result = str(data.get("result", "pay"))
        if result not in ("pay", "fail", "cancel"):
            return JSONResponse({"error": "result is pay, fail or cancel"}, status_code=400)
        if order.trade_state in ("SUCCESS", "REFUND"):
            return phone(409, "requestPayment:fail 该订单已支付")
        if order.trade_state == "CLOSED":
            return phone(410, "requestPayment:fail 订单已关闭")
        if order.time_expire is not None and mock.now() >= order.time_expire:
            return phone(410, "requestPayment:fail 订单已过期")
        if result == "cancel":
            return phone(200, "requestPayment:fail cancel")
        if result == "fail":
            order.trade_state, order.trade_state_desc = "PAYERROR", "支付失败，请重新下单支付"
            return phone(200, "requestPayment:fail 支付失败")
        order.trade_state, order.trade_state_desc = "SUCCESS", "支付成功"
        order.success_time = mock.now()
        order.transaction_id = (
            "42000"
            + datetime.fromtimestamp(order.success_time, CST).strftime("%Y%m%d")
            + "".join(secrets.choice("0123456789") for _ in range(15))
        )
        if order.payer_openid is None:
            order.payer_openid = _app_openid(order.appid, str(user or "app-payer"))
        notice = transaction_notification(order)
        copies = int(data.get("duplicate", 1))
        delay = float(data.get("delay", 0))

        async def later() -> None:
            if delay:
                await asyncio.sleep(delay)
            if mock.pay is pay:
                await deliver(pay, notice, copies)

        spawn(later())
        return phone(200, "requestPayment:ok", transactionId=order.transaction_id)

    async def mock_notify(request: Request) -> Response:
        """Re-sends notifications now: of an order ({"outTradeNo"}: its payment and refunds)
        or of one refund ({"outRefundNo"}); "times": copies of each, sent at once;
        "outOfOrder": newest first; "forge": "signature" | "serial" | "timestamp" |
        "ciphertext" (or true for "signature"), sent once each and never retried."""
        data = await request.json()
        pay = mock.pay
        if data.get("outRefundNo"):
            chosen = [n for n in pay.notifications if n.out_refund_no == data["outRefundNo"]]
        else:
            chosen = [n for n in pay.notifications if n.out_trade_no == data.get("outTradeNo")]
        if not chosen:
            return JSONResponse({"error": "no notification for that"}, status_code=404)
        if data.get("outOfOrder"):
            chosen.reverse()
        forge = data.get("forge")
        forged = "signature" if forge is True else (str(forge) if forge else None)
        times = max(1, int(data.get("times", 1)))
        statuses: list[list[int | None]] = []
        for notice in chosen:
            statuses.append(
                list(await asyncio.gather(*(send_once(notice, forged) for _ in range(times))))
            )
        return JSONResponse(
            {
                "sent": [
                    {"id": n.id, "eventType": n.event_type, "statuses": s}
                    for n, s in zip(chosen, statuses, strict=True)
                ]
            }
        )

    async def mock_orders(request: Request) -> Response:
        return JSONResponse(
            [
                {
                    **order.as_json(),
                    "prepayId": order.prepay_id,
                    "timeExpire": rfc3339(order.time_expire) if order.time_expire else None,
                    "refunded": order.refunded,
                    "notifyUrl": order.notify_url,
                }
                for order in mock.pay.orders.values()
            ]
        )

    async def mock_refunds(request: Request) -> Response:
        return JSONResponse([item.as_json() for item in mock.pay.refunds.values()])

    async def mock_notifications(request: Request) -> Response:
        return JSONResponse(
            [
                {
                    "id": n.id,
                    "eventType": n.event_type,
                    "outTradeNo": n.out_trade_no,
                    "outRefundNo": n.out_refund_no,
                    "url": n.url,
                    "deliveries": n.deliveries,
                    "acknowledged": n.acknowledged,
                }
                for n in mock.pay.notifications
            ]
        )

    async def mock_config(request: Request) -> Response:
        """{"retryDelays": [...], "refundDelay": s, "refundResult": "SUCCESS"|"ABNORMAL"|
        "CLOSED", "billReadyHour": h}; kept until /__mock__/reset."""
        data = await request.json()
        pay = mock.pay
        if "retryDelays" in data:
            pay.retry_delays = tuple(float(d) for d in data["retryDelays"])
        if "refundDelay" in data:
            pay.refund_delay = float(data["refundDelay"])
        if "refundResult" in data:
            if data["refundResult"] not in ("SUCCESS", "ABNORMAL", "CLOSED"):
                return JSONResponse({"error": "refundResult is SUCCESS, ABNORMAL or CLOSED"}, 400)
            pay.refund_result = str(data["refundResult"])
        if "billReadyHour" in data:
            pay.bill_ready_hour = int(data["billReadyHour"])
        if "sinkFailures" in data:
            pay.sink_failures = int(data["sinkFailures"])
        if "corruptNextBill" in data:
            pay.corrupt_next_bill = bool(data["corruptNextBill"])
        return JSONResponse(
            {
                "retryDelays": list(pay.retry_delays),
                "refundDelay": pay.refund_delay,
                "refundResult": pay.refund_result,
                "billReadyHour": pay.bill_ready_hour,
            }
        )

    # A notification sink for tests and scripts that have no server of their own: it keeps
    # what it receives, raw, and answers as a merchant that took it.
    async def mock_sink(request: Request) -> Response:
        if request.method == "POST":
            if mock.pay.sink_failures > 0:
                mock.pay.sink_failures -= 1
                return JSONResponse({"code": "FAIL", "message": "失败"}, status_code=500)
            mock.pay.sink.append(
                {
                    "headers": {
                        k: v for k, v in request.headers.items() if k.startswith("wechatpay-")
                    },
                    "body": (await request.body()).decode(),
                }
            )
            return Response(status_code=204)
        return JSONResponse(mock.pay.sink)

    return [
        Route("/v3/pay/transactions/jsapi", order_jsapi, methods=["POST"]),
        Route("/v3/pay/transactions/app", order_app, methods=["POST"]),
        Route("/v3/pay/transactions/out-trade-no/{out_trade_no}", order_query, methods=["GET"]),
        Route(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
            order_close,
            methods=["POST"],
        ),
        Route("/v3/refund/domestic/refunds", refund_create, methods=["POST"]),
        Route("/v3/refund/domestic/refunds/{out_refund_no}", refund_query, methods=["GET"]),
        Route("/v3/bill/tradebill", trade_bill, methods=["GET"]),
        Route("/v3/billdownload/file", bill_download, methods=["GET"]),
        Route("/__mock__/pay", mock_pay, methods=["POST"]),
        Route("/__mock__/pay/notify", mock_notify, methods=["POST"]),
        Route("/__mock__/pay/orders", mock_orders, methods=["GET"]),
        Route("/__mock__/pay/refunds", mock_refunds, methods=["GET"]),
        Route("/__mock__/pay/notifications", mock_notifications, methods=["GET"]),
        Route("/__mock__/pay/config", mock_config, methods=["POST"]),
        Route("/__mock__/pay/sink", mock_sink, methods=["GET", "POST"]),
    ]


def _notification_id() -> str:
    return str(uuid.uuid4())


def _app_openid(appid: str, user: str) -> str:
    digest = hashlib.sha256(f"{appid}:{user}".encode()).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]
