"""A loopback look-alike of api.weixin.qq.com, plus the phone's side under /__mock__/.

It answers the real paths with the real shapes and error codes (see
../shared/research/wechat-spec.md), so that wechatpy's own HTTP code runs against it.
It is a development and test tool: it listens on 127.0.0.1 only and guards nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mock_wechat import courier
from mock_wechat.devices import device_routes
from mock_wechat.pay import PayMerchant, PayState, pay_routes
from mock_wechat.people import person_of

CODE_TTL = 300  # wx.login and phone codes: five minutes, one use
GRACE = 300  # an old /cgi-bin/token token keeps working five minutes after a new one
ACTIVE_WINDOW = 7200  # msg_sec_check v2 wants users seen in the last two hours
LOGINS_PER_MINUTE = 100

# Templates the demo mini-program registered, with their keywords (the key prefix is the
# keyword type that WeChat validates: thing ≤ 20 chars, time, phrase ≤ 5 Chinese chars ...).
DEFAULT_TEMPLATES: dict[str, list[str]] = {
    "TPL_APPLICATION_STATUS": ["character_string1", "thing2", "phrase3", "time4"],
    "TPL_APPLICATION_RESULT": ["character_string1", "thing2", "phrase3", "time4"],
    "TPL_APPEAL_REPLY": ["character_string1", "thing2", "phrase3", "time4"],
    "TPL_QUEUE_REMINDER": ["character_string1", "thing2", "phrase3", "time4"],
}
RISKY_WORDS = ("赌博", "枪支", "毒品", "色情")
REVIEW_WORDS = ("疑似", "可疑")
# media_check_async verdicts: the labels WeChat pushes with each suggestion.
MEDIA_LABELS = {"pass": 100, "review": 21000, "risky": 20002}
DEFAULT_PUSH_TOKEN = "rongban-dev-push-token"  # noqa: S105 (the development token)
DEFAULT_REALNAME_SECRET = "rongban-dev-realname-relay-secret"  # noqa: S105 (the development one)
FACE_TTL = 3600  # getverifyid's expires_in: WeChat's default
# queryverifyinfo's verify_ret (WeChat's table): what the phone's side of a face check leads to.
VERIFY_PASSED = 10000
VERIFY_BAD_ARGS = 10001
VERIFY_NO_FACE = 10002  # 人脸特征检测失败
VERIFY_ID_MISMATCH = 10003  # 身份证号不匹配: the name does not go with the number
VERIFY_FACE_MISMATCH = 10004  # 比对人脸信息不匹配: someone else's face
VERIFY_NOT_DONE = 10300  # 未完成核身
VERIFY_CANCELLED = 90004  # 用户在识别过程中取消
CANCEL_CODES = frozenset({90002, 90003, 90004, 90005, 90006, 90024})
_OUT_SEQ_NO = re.compile(r"[0-9A-Za-z_-]{5,32}")

_ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    40097: "invalid args",
    40129: "invalid scene",
    40163: "code been used",
    40226: "code blocked",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    42001: "access_token expired",
    43002: "require POST method",
    43101: "user refuse to accept the msg",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, must slower, retry next minute",
    47001: "data format error",
    61010: "user access record expired",
    87014: "risky content",
}


def _rid() -> str:
    return "-".join(secrets.token_hex(4) for _ in range(3))


def error(errcode: int, detail: str = "") -> JSONResponse:
    message = detail or _ERRMSG.get(errcode, "error")
    return JSONResponse({"errcode": errcode, "errmsg": f"{message} rid: {_rid()}"})


@dataclass
class Token:
    value: str
    expires_at: float
    kind: str  # "basic" (/cgi-bin/token) or "stable"
    revoked_at: float | None = None


@dataclass
class Code:
    user: str
    issued_at: float
    used: bool = False
    phone: str | None = None


@dataclass
class Failure:
    errcode: int | None
    status: int | None
    delay: float
    times: int


@dataclass
class MediaCheck:
    """One media_check_async request, and the verdict its push will carry."""

    trace_id: str
    media_url: str
    media_type: int
    openid: str
    scene: int
    requested_at: float
    suggest: str | None = None  # decided when pushed, unless a rule named it before
    pushes: int = 0


@dataclass
class FaceSession:
    """One face-verification session: WeChat's (getverifyid) or the real-name relay's."""

    verify_id: str
    out_seq_no: str
    cert_type: str
    name: str
    number: str
    expires_at: float
    channel: str  # "wechat" or "relay"
    openid: str | None = None
    verify_ret: int | None = None  # set when the phone's side ran the check
    checked_by: str | None = None  # the mock user whose face was checked
    queries: int = 0


def cert_hash(cert_type: str, name: str, number: str) -> str:
    """queryverifyinfo's cert_hash, as WeChat documents it (computed here on its own, so that
    tests catch a client that computes it differently)."""
    parts = [base64.b64encode(v.encode()).decode() for v in (cert_type, name, number)]
    joined = f"cert_type={parts[0]}&cert_name={parts[1]}&cert_no={parts[2]}"
    return hashlib.sha256(joined.encode()).hexdigest()


@dataclass
class MockState:
    app_id: str
    app_secret: str
    # Where WeChat's message push goes (the mini-program's "消息推送" settings) and the token
    # it signs with; kept across resets. No URL: pushes are only handed out on request.
    push_url: str | None = None
    push_token: str = DEFAULT_PUSH_TOKEN
    push_delay: float | None = None  # seconds before an automatic push; None: on request
    token_ttl: int = 7200
    clock_offset: float = 0.0
    tokens: dict[str, Token] = field(default_factory=dict)
    stable_token: str | None = None
    force_refreshes: list[float] = field(default_factory=list)
    login_codes: dict[str, Code] = field(default_factory=dict)
    phone_codes: dict[str, Code] = field(default_factory=dict)
    session_keys: dict[str, str] = field(default_factory=dict)
    last_seen: dict[str, float] = field(default_factory=dict)
    unionid_users: set[str] = field(default_factory=set)
    blocked_users: set[str] = field(default_factory=set)
    logins_per_minute: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    templates: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    grants: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    sms: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, Failure] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    media_checks: dict[str, MediaCheck] = field(default_factory=dict)
    # Verdict rules: (kind, value, suggest), kind "traceId" or "urlContains"; the last that
    # matches wins, and the default is "pass".
    media_rules: list[tuple[str, str, str]] = field(default_factory=list)
    media_default: str = "pass"
    # The person each user is (name, ID number); unset users are person_of(user).
    persons: dict[str, tuple[str, str]] = field(default_factory=dict)
    face_sessions: dict[str, FaceSession] = field(default_factory=dict)
    out_seq_nos: set[tuple[str, str]] = field(default_factory=set)  # (channel, out_seq_no)
    face_ttl: int = FACE_TTL
    pay: PayState = field(default_factory=PayState)  # WeChat Pay (mock_wechat.pay)

    def now(self) -> float:
        return time.time() + self.clock_offset

    def openid(self, user: str) -> str:
        digest = hashlib.sha256(f"{self.app_id}:{user}".encode()).digest()
        return "o" + base64.urlsafe_b64encode(digest).decode()[:27]

    def unionid(self, user: str) -> str:
        digest = hashlib.sha256(f"open-platform:{user}".encode()).digest()
        return "u" + base64.urlsafe_b64encode(digest).decode()[:27]

    def person(self, user: str) -> tuple[str, str]:
        return self.persons.get(user) or person_of(user)

    def user_of(self, openid: str) -> str | None:
        for user in self.last_seen:
            if self.openid(user) == openid:
                return user
        return None

    def issue_token(self, kind: str) -> Token:
        token = Token(
            value=secrets.token_urlsafe(96)[:128],
            expires_at=self.now() + self.token_ttl,
            kind=kind,
        )
        self.tokens[token.value] = token
        return token


def create_mock_app(
    *,
    app_id: str,
    app_secret: str,
    sms_secret: str | None = None,
    realname_secret: str = DEFAULT_REALNAME_SECRET,
    push_url: str | None = None,
    push_token: str = DEFAULT_PUSH_TOKEN,
    push_delay: float | None = None,
    pay_merchant: PayMerchant | None = None,
) -> Starlette:
    state = MockState(
        app_id=app_id,
        app_secret=app_secret,
        push_url=push_url,
        push_token=push_token,
        push_delay=push_delay,
    )
    background: set[asyncio.Task[None]] = set()

    async def body_json(request: Request) -> tuple[dict[str, Any] | None, JSONResponse | None]:
        # wechatpy posts JSON without a Content-Type header: parse the raw body.
        raw = await request.body()
        if not raw.strip():
            return None, error(44002)
        try:
            data = json.loads(raw)
        except ValueError:
            return None, error(47001)
        if not isinstance(data, dict):
            return None, error(47001)
        return data, None

    def check_token(request: Request) -> JSONResponse | None:
        value = request.query_params.get("access_token")
        if not value:
            return error(41001)
        token = state.tokens.get(value)
        now = state.now()
        if token is None or (token.revoked_at is not None and token.revoked_at <= now):
            return error(40001)
        if token.expires_at <= now:
            return error(42001)
        return None

    async def injected(request: Request) -> Response | None:
        path = request.url.path
        state.calls[path] += 1
        failure = state.failures.get(path)
        if failure is None or failure.times <= 0:
            return None
        failure.times -= 1
        if failure.delay:
            await asyncio.sleep(failure.delay)
        if failure.status:
            return Response("upstream failure", status_code=failure.status)
        if failure.errcode is not None:
            return error(failure.errcode)
        return None

    # -- access tokens

    async def token(request: Request) -> Response:
        if (failed := await injected(request)) is not None:
            return failed
        params = request.query_params
        if params.get("grant_type") != "client_credential":
            return error(40002)
        if not params.get("appid"):
            return error(41002)
        if params.get("appid") != state.app_id:
            return error(40013)
        if not params.get("secret"):
            return error(41004)
        if params.get("secret") != state.app_secret:
            return error(40125)
        now = state.now()
        for old in state.tokens.values():
            if old.kind == "basic" and old.revoked_at is None:
                old.revoked_at = now + GRACE
        issued = state.issue_token("basic")
        return JSONResponse({"access_token": issued.value, "expires_in": state.token_ttl})

    async def stable_token(request: Request) -> Response:
        if request.method != "POST":
            return error(43002)
        if (failed := await injected(request)) is not None:
            return failed
        data, problem = await body_json(request)
        if problem is not None or data is None:
            return problem or error(47001)
        if data.get("grant_type") != "client_credential":
            return error(40002)
        if data.get("appid") != state.app_id:
            return error(40013 if data.get("appid") else 41002)
        if data.get("secret") != state.app_secret:
            return error(40125 if data.get("secret") else 41004)
        now = state.now()
        current = state.tokens.get(state.stable_token or "")
        if data.get("force_refresh"):
            today = [t for t in state.force_refreshes if t > now - 86400]
            if len(today) >= 20:
                return error(45009)
            if today and now - today[-1] < 30:
                return error(45011)
            state.force_refreshes = [*today, now]
            if current is not None:
                current.revoked_at = now
            current = None
        usable = (
            current is not None and current.revoked_at is None and current.expires_at - now > GRACE
        )
        if not usable:
            current = state.issue_token("stable")
            state.stable_token = current.value
        assert current is not None
        return JSONResponse(
            {"access_token": current.value, "expires_in": int(current.expires_at - now)}
        )

    # -- login and phone

    async def jscode2session(request: Request) -> Response:
        if (failed := await injected(request)) is not None:
            return failed
        params = request.query_params
        if params.get("appid") != state.app_id:
            return error(40013 if params.get("appid") else 41002)
        if params.get("secret") != state.app_secret:
            return error(40125 if params.get("secret") else 41004)
        js_code = params.get("js_code")
        if not js_code:
            return error(41008)
        code = state.login_codes.get(js_code)
        now = state.now()
        if code is None or now - code.issued_at > CODE_TTL:
            return error(40029)
        if code.used:
            return error(40163)
        if code.user in state.blocked_users:
            return error(40226)
        minute = (code.user, int(now // 60))
        state.logins_per_minute[minute] += 1
        if state.logins_per_minute[minute] > LOGINS_PER_MINUTE:
            return error(45011)
        code.used = True
        state.last_seen[code.user] = now
        body = {"openid": state.openid(code.user), "session_key": state.session_keys[code.user]}
        if code.user in state.unionid_users:
            body["unionid"] = state.unionid(code.user)
        return JSONResponse(body)

    async def phone_number(request: Request) -> Response:
        if (failed := await injected(request)) is not None:
            return failed
        if (problem := check_token(request)) is not None:
            return problem
        data, problem = await body_json(request)
        if problem is not None or data is None:
            return problem or error(47001)
        code = state.phone_codes.get(str(data.get("code", "")))
        now = state.now()
        if code is None or code.used or now - code.issued_at > CODE_TTL:
            return error(40029)
        if data.get("openid") and data["openid"] != state.openid(code.user):
            return error(40029)
        code.used = True
        assert code.phone is not None
        return JSONResponse(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": code.phone,
                    "purePhoneNumber": code.phone,
                    "countryCode": 86,
                    "watermark": {"timestamp": int(now), "appid": state.app_id},
                },
            }
        )

    # -- subscribe messages

    async def subscribe_send(request: Request) -> Response:
        if (failed := await injected(request)) is not None:
            return failed
        if (problem := check_token(request)) is not None:
            return problem
        data, problem = await body_json(request)
        if problem is not None or data is None:
            return problem or error(47001)
        user = state.user_of(str(data.get("touser", "")))
        if user is None:
            return error(40003)
        template_id = str(data.get("template_id", ""))
        keys = state.templates.get(template_id)
        if keys is None:
            return error(40037)
        values = data.get("data")
        if not isinstance(values, dict):
            return error(47003, "argument invalid! data is empty")
        for key in keys:
            item = values.get(key)
            value = item.get("value") if isinstance(item, dict) else None
            if not isinstance(value, str) or not _valid_keyword(key, value):
                return error(47003, f"argument invalid! data.{key}.value invalid")
        if state.grants[(user, template_id)] <= 0:
            return error(43101)
        state.grants[(user, template_id)] -= 1
        state.messages[user].append(
            {
                "templateId": template_id,
                "page": data.get("page"),
                "data": {k: v["value"] for k, v in values.items() if isinstance(v, dict)},
                "at": state.now(),
            }
        )
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": secrets.randbelow(10**12)})

    # -- content security

    async def msg_sec_check(request: Request) -> Response:
        if (failed := await injected(request)) is not None:
            return failed
        if (problem := check_token(request)) is not None:
            return problem
        data, problem = await body_json(request)
        if problem is not None or data is None:
            return problem or error(47001)
        content = str(data.get("content", ""))
        risky = any(word in content for word in RISKY_WORDS)
        if data.get("version") != 2:
            return error(87014) if risky else JSONResponse({"errcode": 0, "errmsg": "ok"})
        if data.get("scene") not in (1, 2, 3, 4):
            return error(40129)
        user = state.user_of(str(data.get("openid", "")))
        if user is None:
            return error(40003)
        if state.now() - state.last_seen.get(user, 0) > ACTIVE_WINDOW:
            return error(61010)
        if risky:
            suggest, label = "risky", 20006
        elif any(word in content for word in REVIEW_WORDS):
            suggest, label = "review", 21000
        else:
            suggest, label = "pass", 100
        return JSONResponse(
            {
                "errcode": 0,
                "errmsg": "ok",
                "trace_id": _rid(),
                "result": {"suggest": suggest, "label": label},
                "detail": [
                    {
                        "strategy": "content_model",
                        "errcode": 0,
                        "suggest": suggest,
                        "label": label,
                        "prob": 90,
                    }
                ],
            }
        )

    async def media_check_async(request: Request) -> Response:
        if (failed := await injected(request)) is not None:
            return failed
        if (problem := check_token(request)) is not None:
            return problem
        data, problem = await body_json(request)
        if problem is not None or data is None:
            return problem or error(47001)
        media_url = data.get("media_url")
        if (
            not isinstance(media_url, str)
            or not media_url.startswith(("http://", "https://"))
            or data.get("media_type") not in (1, 2)
        ):
            return error(40097)
        if data.get("version") != 2:
            # v1 (no openid) stopped updating in 2021 and pushes another shape: not mocked.
            return error(40097, "invalid args, only version 2 is mocked")
        if data.get("scene") not in (1, 2, 3, 4):
            return error(40129)
        openid = str(data.get("openid", ""))
        user = state.user_of(openid)
        if user is None:
            return error(40003)
        if state.now() - state.last_seen.get(user, 0) > ACTIVE_WINDOW:
            return error(61010)
        trace_id = _rid()
        state.media_checks[trace_id] = MediaCheck(
            trace_id=trace_id,
            media_url=media_url,
            media_type=int(data["media_type"]),
            openid=openid,
            scene=int(data["scene"]),
            requested_at=state.now(),
        )
        if state.push_url and state.push_delay is not None:
            task = asyncio.create_task(push_later(trace_id, state.push_delay))
            background.add(task)
            task.add_done_callback(background.discard)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "trace_id": trace_id})

    def verdict_of(check: MediaCheck) -> str:
        suggest = state.media_default
        for kind, value, rule in state.media_rules:
            if (kind == "traceId" and value == check.trace_id) or (
                kind == "urlContains" and value in check.media_url
            ):
                suggest = rule
        return suggest

    def push_of(check: MediaCheck) -> dict[str, Any]:
        """The v2 `wxa_media_check` event as WeChat pushes it (JSON, plain mode), with the
        query string that signs it: sha1 of the sorted token, timestamp and nonce."""
        suggest = check.suggest or verdict_of(check)
        check.suggest = suggest
        check.pushes += 1
        label = MEDIA_LABELS[suggest]
        timestamp, nonce = str(int(state.now())), str(secrets.randbelow(10**10))
        signature = hashlib.sha1(  # noqa: S324 (WeChat's signature scheme)
            "".join(sorted([state.push_token, timestamp, nonce])).encode()
        ).hexdigest()
        body = {
            "ToUserName": "gh_" + hashlib.sha256(state.app_id.encode()).hexdigest()[:12],
            "FromUserName": check.openid,
            "CreateTime": int(state.now()),
            "MsgType": "event",
            "Event": "wxa_media_check",
            "appid": state.app_id,
            "trace_id": check.trace_id,
            "version": 2,
            "detail": [
                {
                    "strategy": "content_model",
                    "errcode": 0,
                    "suggest": suggest,
                    "label": label,
                    "prob": 90,
                }
            ],
            "errcode": 0,
            "errmsg": "ok",
            "result": {"suggest": suggest, "label": label},
        }
        return {
            "traceId": check.trace_id,
            "query": {"signature": signature, "timestamp": timestamp, "nonce": nonce},
            "body": body,
        }

    async def deliver(push: dict[str, Any]) -> int | None:
        if not state.push_url:
            return None
        try:
            async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
                response = await client.post(
                    state.push_url,
                    params=push["query"],
                    content=json.dumps(push["body"], ensure_ascii=False).encode(),
                    headers={"content-type": "application/json"},
                )
        except httpx.HTTPError:
            return None
        return response.status_code

    async def push_later(trace_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        check = state.media_checks.get(trace_id)
        if check is not None and check.pushes == 0:
            await deliver(push_of(check))

    # -- 人脸核身 (cityservice/face/identify)

    def open_session(channel: str, out_seq_no: str, name: str, number: str) -> FaceSession:
        state.out_seq_nos.add((channel, out_seq_no))
        session = FaceSession(
            verify_id=secrets.token_urlsafe(48),
            out_seq_no=out_seq_no,
            cert_type="IDENTITY_CARD",
            name=name,
            number=number,
            expires_at=state.now() + state.face_ttl,
            channel=channel,
        )
        state.face_sessions[session.verify_id] = session
        return session

    async def face_getverifyid(request: Request) -> Response:
        if (failed := await injected(request)) is not None:
            return failed
        if (problem := check_token(request)) is not None:
            return problem
        data, problem = await body_json(request)
        if problem is not None or data is None:
            return problem or error(47001)
        out_seq_no = data.get("out_seq_no")
        cert = data.get("cert_info")
        if (
            not isinstance(out_seq_no, str)
            or not _OUT_SEQ_NO.fullmatch(out_seq_no)
            or ("wechat", out_seq_no) in state.out_seq_nos  # unique per appid
            or not isinstance(cert, dict)
            or cert.get("cert_type") != "IDENTITY_CARD"
            or not all(isinstance(cert.get(k), str) and cert[k] for k in ("cert_name", "cert_no"))
        ):
            return error(40097)
        openid = str(data.get("openid", ""))
        if state.user_of(openid) is None:
            return error(40003)
        session = open_session("wechat", out_seq_no, cert["cert_name"], cert["cert_no"])
        session.openid = openid
        return JSONResponse(
            {
                "errcode": 0,
                "errmsg": "ok",
                "verify_id": session.verify_id,
                "expires_in": state.face_ttl,
            }
        )

    async def face_queryverifyinfo(request: Request) -> Response:
        if (failed := await injected(request)) is not None:
            return failed
        if (problem := check_token(request)) is not None:
            return problem
        data, problem = await body_json(request)
        if problem is not None or data is None:
            return problem or error(47001)
        session = state.face_sessions.get(str(data.get("verify_id", "")))
        if (
            session is None
            or session.channel != "wechat"
            or data.get("out_seq_no") != session.out_seq_no
            or data.get("openid") != session.openid
            or data.get("cert_hash") != cert_hash(session.cert_type, session.name, session.number)
        ):
            return error(40097)
        session.queries += 1
        verify_ret = VERIFY_NOT_DONE if session.verify_ret is None else session.verify_ret
        return JSONResponse({"errcode": 0, "errmsg": "ok", "verify_ret": verify_ret})

    # -- the real-name relay for app accounts (signed like the SMS relay, both ways)

    def relay_signature(message_id: str, timestamp: str, body: bytes) -> str:
        digest = hmac.new(
            realname_secret.encode(), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256
        )
        return f"v1,{digest.hexdigest()}"

    async def relay_request(request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        raw = await request.body()
        headers = request.headers
        expected = relay_signature(
            headers.get("webhook-id", ""), headers.get("webhook-timestamp", ""), raw
        )
        if not hmac.compare_digest(headers.get("webhook-signature", ""), expected):
            return None, JSONResponse({"error": "bad signature"}, status_code=401)
        state.calls[request.url.path] += 1
        failure = state.failures.get(request.url.path)
        if failure is not None and failure.times > 0:
            failure.times -= 1
            return None, JSONResponse({"error": "relay down"}, status_code=failure.status or 503)
        try:
            data = json.loads(raw)
        except ValueError:
            return None, JSONResponse({"error": "not JSON"}, status_code=400)
        if not isinstance(data, dict):
            return None, JSONResponse({"error": "not an object"}, status_code=400)
        return data, None

    def relay_answer(request: Request, payload: dict[str, Any]) -> Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        message_id = request.headers.get("webhook-id", "")
        timestamp = str(int(time.time()))
        return Response(
            body,
            media_type="application/json",
            headers={
                "webhook-id": message_id,
                "webhook-timestamp": timestamp,
                "webhook-signature": relay_signature(message_id, timestamp, body),
            },
        )

    async def relay_start(request: Request) -> Response:
        data, problem = await relay_request(request)
        if problem is not None or data is None:
            return problem or JSONResponse({"error": "bad request"}, status_code=400)
        out_seq_no = data.get("outSeqNo")
        name, number = data.get("certName"), data.get("certNo")
        if (
            not isinstance(out_seq_no, str)
            or not _OUT_SEQ_NO.fullmatch(out_seq_no)
            or ("relay", out_seq_no) in state.out_seq_nos
            or data.get("certType") != "IDENTITY_CARD"
            or not isinstance(name, str)
            or not isinstance(number, str)
        ):
            return JSONResponse({"error": "bad request"}, status_code=400)
        session = open_session("relay", out_seq_no, name, number)
        link = f"{request.base_url}__mock__/realname/h5?verifyId={session.verify_id}"
        return relay_answer(
            request,
            {"verifyId": session.verify_id, "expiresIn": state.face_ttl, "link": link},
        )

    async def relay_result(request: Request) -> Response:
        data, problem = await relay_request(request)
        if problem is not None or data is None:
            return problem or JSONResponse({"error": "bad request"}, status_code=400)
        session = state.face_sessions.get(str(data.get("verifyId", "")))
        if (
            session is None
            or session.channel != "relay"
            or data.get("outSeqNo") != session.out_seq_no
        ):
            return JSONResponse({"error": "no such verification"}, status_code=404)
        if data.get("certHash") != cert_hash(session.cert_type, session.name, session.number):
            return JSONResponse({"error": "certHash does not match"}, status_code=400)
        session.queries += 1
        verify_ret = session.verify_ret
        if verify_ret is None:
            result = "expired" if state.now() > session.expires_at else "pending"
        elif verify_ret == VERIFY_PASSED:
            result = "pass"
        elif verify_ret in (VERIFY_ID_MISMATCH, VERIFY_FACE_MISMATCH):
            result = "mismatch"
        elif verify_ret in CANCEL_CODES:
            result = "cancel"
        else:
            result = "fail"
        return relay_answer(request, {"result": result, "code": str(verify_ret or result)})

    async def relay_page(request: Request) -> Response:
        """Where the app's link leads: the relay's page, which runs the face check."""
        verify_id = request.query_params.get("verifyId", "")
        if verify_id not in state.face_sessions:
            return JSONResponse({"error": "no such verification"}, status_code=404)
        return JSONResponse(
            {"verifyId": verify_id, "next": "POST /__mock__/face-verify {user, verifyId, result}"}
        )

    # -- the phone's side (not part of WeChat)

    async def mock_person(request: Request) -> Response:
        """GET ?user=: who the user is; POST {"user", "name", "idNumber"}: make them someone."""
        if request.method == "POST":
            data = await request.json()
            state.persons[str(data["user"])] = (str(data["name"]), str(data["idNumber"]))
            user = str(data["user"])
        else:
            user = request.query_params.get("user", "")
        name, number = state.person(user)
        return JSONResponse({"user": user, "name": name, "idNumber": number})

    async def mock_face_verify(request: Request) -> Response:
        """wx.requestFacialVerify (or the relay's page): {"user", "verifyId", "result":
        "pass"|"fail"|"cancel"}, optionally {"verifyRet"} to end with that exact code. The
        face is the user's person's: "pass" passes only for the identity that is theirs."""
        data = await request.json()
        user = str(data.get("user", ""))
        session = state.face_sessions.get(str(data.get("verifyId", "")))
        if session is None:
            return JSONResponse({"errMsg": "requestFacialVerify:fail invalid verifyId"}, 404)
        if session.verify_ret is not None:
            return JSONResponse({"errMsg": "requestFacialVerify:fail verifyId used"}, 409)
        if state.now() > session.expires_at:
            return JSONResponse({"errMsg": "requestFacialVerify:fail verifyId expired"}, 410)
        result = str(data.get("result", "pass"))
        if result not in ("pass", "fail", "cancel"):
            return JSONResponse({"error": "result is pass, fail or cancel"}, status_code=400)
        name, number = state.person(user)
        if isinstance(data.get("verifyRet"), int):
            verify_ret = int(data["verifyRet"])
        elif session.openid is not None and session.openid != state.openid(user):
            verify_ret = VERIFY_BAD_ARGS  # WeChat: another user than getverifyid's fails
        elif result == "cancel":
            verify_ret = VERIFY_CANCELLED
        elif result == "fail":
            verify_ret = VERIFY_NO_FACE
        elif session.number != number:
            verify_ret = VERIFY_FACE_MISMATCH
        elif session.name != name:
            verify_ret = VERIFY_ID_MISMATCH
        else:
            verify_ret = VERIFY_PASSED
        session.verify_ret = verify_ret
        session.checked_by = user
        if verify_ret in CANCEL_CODES:
            return JSONResponse({"errMsg": "requestFacialVerify:fail cancel", "errCode": 90004})
        # The phone only learns that the check ran; the server asks queryverifyinfo.
        return JSONResponse({"errMsg": "requestFacialVerify:ok", "errCode": 0})

    async def mock_face_sessions(request: Request) -> Response:
        """The sessions, without names or numbers (tests look at codes and counts)."""
        return JSONResponse(
            [
                {
                    "verifyId": s.verify_id,
                    "channel": s.channel,
                    "verifyRet": s.verify_ret,
                    "checkedBy": s.checked_by,
                    "queries": s.queries,
                }
                for s in state.face_sessions.values()
            ]
        )

    async def mock_face_config(request: Request) -> Response:
        data = await request.json()
        state.face_ttl = int(data.get("ttl", state.face_ttl))
        return JSONResponse({"ttl": state.face_ttl})

    async def mock_login(request: Request) -> Response:
        data = await request.json()
        user = str(data["user"])
        if data.get("unionid"):
            state.unionid_users.add(user)
        code = secrets.token_hex(16)
        state.login_codes[code] = Code(user=user, issued_at=state.now())
        # wx.login may rotate the session key; ours does, every time.
        state.session_keys[user] = base64.b64encode(secrets.token_bytes(16)).decode()
        state.last_seen[user] = state.now()
        return JSONResponse({"code": code, "openid": state.openid(user)})

    async def mock_phone_code(request: Request) -> Response:
        data = await request.json()
        code = secrets.token_hex(32)
        state.phone_codes[code] = Code(
            user=str(data["user"]), issued_at=state.now(), phone=str(data["phone"])
        )
        return JSONResponse({"code": code})

    async def mock_subscribe(request: Request) -> Response:
        data = await request.json()
        user = str(data["user"])
        choice = str(data.get("choice", "accept"))
        result: dict[str, str] = {"errMsg": "requestSubscribeMessage:ok"}
        for template_id in data.get("templateIds", []):
            if template_id not in state.templates:
                result[template_id] = "filter"
                continue
            result[template_id] = choice
            if choice == "accept":
                state.grants[(user, template_id)] += 1
        return JSONResponse(result)

    async def mock_messages(request: Request) -> Response:
        return JSONResponse(state.messages.get(request.query_params.get("user", ""), []))

    async def mock_fail(request: Request) -> Response:
        data = await request.json()
        state.failures[str(data["path"])] = Failure(
            errcode=data.get("errcode"),
            status=data.get("status"),
            delay=float(data.get("delay", 0)),
            times=int(data.get("times", 1)),
        )
        return JSONResponse({"ok": True})

    async def mock_expire_tokens(request: Request) -> Response:
        data = await request.json() if await request.body() else {}
        now = state.now()
        for item in state.tokens.values():
            if data.get("how") == "expire":
                item.expires_at = now  # 42001
            else:
                item.revoked_at = now  # 40001
        return JSONResponse({"ok": True})

    async def mock_clock(request: Request) -> Response:
        data = await request.json()
        state.clock_offset += float(data.get("advance", 0))
        return JSONResponse({"now": state.now()})

    async def mock_block(request: Request) -> Response:
        data = await request.json()
        state.blocked_users.add(str(data["user"]))
        return JSONResponse({"ok": True})

    async def mock_templates(request: Request) -> Response:
        if request.method == "POST":
            data = await request.json()
            state.templates.update({str(k): list(v) for k, v in data["templates"].items()})
        return JSONResponse(state.templates)

    async def mock_stats(request: Request) -> Response:
        return JSONResponse(dict(state.calls))

    async def mock_media_checks(request: Request) -> Response:
        return JSONResponse(
            [
                {
                    "traceId": c.trace_id,
                    "mediaUrl": c.media_url,
                    "mediaType": c.media_type,
                    "openid": c.openid,
                    "scene": c.scene,
                    "suggest": c.suggest,
                    "pushes": c.pushes,
                }
                for c in state.media_checks.values()
            ]
        )

    async def mock_media_verdict(request: Request) -> Response:
        """{"traceId" | "urlContains" | "default": ..., "suggest": "pass|review|risky"}"""
        data = await request.json()
        suggest = str(data.get("suggest", "pass"))
        if suggest not in MEDIA_LABELS:
            return JSONResponse({"error": "suggest is pass, review or risky"}, status_code=400)
        if "default" in data:
            state.media_default = suggest
        for kind in ("traceId", "urlContains"):
            if kind in data:
                state.media_rules.append((kind, str(data[kind]), suggest))
        return JSONResponse({"ok": True})

    async def mock_media_push(request: Request) -> Response:
        """Pushes the verdicts now: of one check ({"traceId"}) or of every check not pushed
        yet; {"again": true} pushes already pushed ones once more, as WeChat may. Each push
        is returned signed (query and body), and POSTed to the push URL when there is one."""
        data = await request.json() if await request.body() else {}
        trace_id = data.get("traceId")
        again = bool(data.get("again"))
        pushes = []
        for check in list(state.media_checks.values()):
            if (trace_id and check.trace_id != trace_id) or (check.pushes and not again):
                continue
            push = push_of(check)
            push["status"] = await deliver(push)
            pushes.append(push)
        return JSONResponse({"pushes": pushes})

    async def mock_push_config(request: Request) -> Response:
        data = await request.json()
        state.push_url = data.get("url", state.push_url)
        state.push_token = str(data.get("token", state.push_token))
        state.push_delay = data.get("delay", state.push_delay)
        return JSONResponse({"url": state.push_url, "delay": state.push_delay})

    async def mock_reset(request: Request) -> Response:
        fresh = MockState(
            app_id=state.app_id,
            app_secret=state.app_secret,
            push_url=state.push_url,
            push_token=state.push_token,
            push_delay=state.push_delay,
        )
        for name in fresh.__dataclass_fields__:
            setattr(state, name, getattr(fresh, name))
        return JSONResponse({"ok": True})

    async def mock_sms_send(request: Request) -> Response:
        raw = await request.body()
        if sms_secret is not None:
            expected = hmac.new(
                sms_secret.encode(),
                f"{request.headers.get('webhook-id')}.{request.headers.get('webhook-timestamp')}.".encode()
                + raw,
                hashlib.sha256,
            ).hexdigest()
            if not hmac.compare_digest(
                request.headers.get("webhook-signature", ""), f"v1,{expected}"
            ):
                return JSONResponse({"error": "bad signature"}, status_code=401)
        state.calls[request.url.path] += 1
        failure = state.failures.get(request.url.path)
        if failure is not None and failure.times > 0:
            failure.times -= 1
            return JSONResponse({"error": "carrier down"}, status_code=failure.status or 503)
        data = json.loads(raw)
        state.sms.append({**data, "at": state.now()})
        return JSONResponse({"ok": True})

    async def mock_sms(request: Request) -> Response:
        phone = request.query_params.get("phone", "")
        return JSONResponse([m for m in state.sms if m["phone"].endswith(phone)])

    app = Starlette(
        routes=[
            Route("/cgi-bin/token", token, methods=["GET"]),
            Route("/cgi-bin/stable_token", stable_token, methods=["GET", "POST"]),
            Route("/sns/jscode2session", jscode2session, methods=["GET"]),
            Route("/wxa/business/getuserphonenumber", phone_number, methods=["POST"]),
            Route("/cgi-bin/message/subscribe/send", subscribe_send, methods=["POST"]),
            Route("/wxa/msg_sec_check", msg_sec_check, methods=["POST"]),
            Route("/wxa/media_check_async", media_check_async, methods=["POST"]),
            Route("/cityservice/face/identify/getverifyid", face_getverifyid, methods=["POST"]),
            Route(
                "/cityservice/face/identify/queryverifyinfo",
                face_queryverifyinfo,
                methods=["POST"],
            ),
            Route("/__mock__/login", mock_login, methods=["POST"]),
            Route("/__mock__/phone-code", mock_phone_code, methods=["POST"]),
            Route("/__mock__/subscribe", mock_subscribe, methods=["POST"]),
            Route("/__mock__/messages", mock_messages, methods=["GET"]),
            Route("/__mock__/fail", mock_fail, methods=["POST"]),
            Route("/__mock__/expire-tokens", mock_expire_tokens, methods=["POST"]),
            Route("/__mock__/clock", mock_clock, methods=["POST"]),
            Route("/__mock__/block", mock_block, methods=["POST"]),
            Route("/__mock__/templates", mock_templates, methods=["GET", "POST"]),
            Route("/__mock__/stats", mock_stats, methods=["GET"]),
            Route("/__mock__/reset", mock_reset, methods=["POST"]),
            Route("/__mock__/sms/send", mock_sms_send, methods=["POST"]),
            Route("/__mock__/sms", mock_sms, methods=["GET"]),
            Route("/__mock__/realname/verifications", relay_start, methods=["POST"]),
            Route("/__mock__/realname/results", relay_result, methods=["POST"]),
            Route("/__mock__/realname/h5", relay_page, methods=["GET"]),
            Route("/__mock__/person", mock_person, methods=["GET", "POST"]),
            Route("/__mock__/face-verify", mock_face_verify, methods=["POST"]),
            Route("/__mock__/face-sessions", mock_face_sessions, methods=["GET"]),
            Route("/__mock__/face-config", mock_face_config, methods=["POST"]),
            Route("/__mock__/media-checks", mock_media_checks, methods=["GET"]),
            Route("/__mock__/media-verdict", mock_media_verdict, methods=["POST"]),
            Route("/__mock__/media-push", mock_media_push, methods=["POST"]),
            Route("/__mock__/push-config", mock_push_config, methods=["POST"]),
            *pay_routes(state, injected, pay_merchant),
            *courier.ROUTES,  # the courier (EMS) that posts results
            *device_routes(state.person),
        ]
    )
    app.state.mock = state
    app.state.courier = courier.Courier()
    return app


def _valid_keyword(key: str, value: str) -> bool:
    """WeChat's per-type rules for subscribe-message values (the key's prefix is its type)."""
    kind = key.rstrip("0123456789")
    if not value:
        return False
    if kind == "thing":
        return len(value) <= 20
    if kind == "character_string":
        return len(value) <= 32 and value.isascii()
    if kind == "phrase":
        return len(value) <= 5 and all("\u4e00" <= ch <= "\u9fff" for ch in value)
    if kind == "number":
        return len(value) <= 32 and value.replace(".", "", 1).isdigit()
    if kind in ("time", "date"):
        return len(value) <= 32 and any(ch.isdigit() for ch in value)
    if kind == "name":
        return len(value) <= 10 or (len(value) <= 20 and value.isascii())
    return len(value) <= 32
