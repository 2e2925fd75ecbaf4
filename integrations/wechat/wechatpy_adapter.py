"""The WeChat gateway on wechatpy: its HTTP calls run in threads, its token lives in Redis."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

import anyio.to_thread
import requests
from redis.exceptions import RedisError
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from integrations.wechat.gateway import (
    IDENTITY_CARD,
    ContentSuggestion,
    FaceVerifyId,
    MediaType,
    PhoneNumber,
    TextCheck,
    WeChatError,
    WeChatLogin,
    WeChatUnavailable,
    cert_hash,
)
from storage.cache import Keys, Redis
from storage.metrics import external_call

log = logging.getLogger(__name__)
T = TypeVar("T")

# 40001 invalid credential, 40014 invalid token, 42001 expired token: refresh, then retry once.
_TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# A stable token is renewed by WeChat five minutes before it expires; give it up a bit earlier.
_TOKEN_MARGIN_SECONDS = 300
_MIN_TOKEN_TTL = 60


class _Client(WeChatClient):  # type: ignore[misc]
    """wechatpy's client pointed at a configurable API root, with the token handed in per call.

    wechatpy hard-codes https://api.weixin.qq.com for the token and keeps the token per
    process; we point every sub-API at `api_root` and let Redis own the token, so that all
    workers share one token and refresh it one at a time.
    """

    def __init__(self, appid: str, secret: str, api_root: str, timeout: float) -> None:
        super().__init__(appid, secret, timeout=timeout, auto_retry=False)
        self.api_root = api_root.rstrip("/") + "/"
        self.API_BASE_URL = self.api_root + "cgi-bin/"
        self.wxa.API_BASE_URL = self.api_root
        self._call_token = threading.local()

    @property
    def access_token(self) -> str:
        token = getattr(self._call_token, "value", None)
        if token is None:  # every call goes through WeChatpyGateway._call, which sets it
            raise RuntimeError("no access token bound to this call")
        return cast(str, token)

    def bind_token(self, token: str | None) -> None:
        self._call_token.value = token

    def fetch_access_token(self) -> dict[str, Any]:
        return self.fetch_stable_token(force_refresh=False)

    def fetch_stable_token(self, *, force_refresh: bool) -> dict[str, Any]:
        # getStableAccessToken does not invalidate the previous token on a normal call,
        # unlike /cgi-bin/token, so workers refreshing at once cannot knock each other out.
        response = self._http.post(
            self.api_root + "cgi-bin/stable_token",
            data=json.dumps(
                {
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                    "force_refresh": force_refresh,
                }
            ),
            timeout=self.timeout,
        )
        return cast("dict[str, Any]", self._handle_result(response))


class WeChatpyGateway:
    def __init__(
        self, *, app_id: str, app_secret: str, api_base: str, timeout: float, redis: Redis
    ) -> None:
        self._client = _Client(app_id, app_secret, api_base, timeout)
        self._redis = redis
        self._app_id = app_id

    async def close(self) -> None:
        self._client._http.close()

    # -- the API

    async def code_to_session(self, code: str) -> WeChatLogin:
        result = await self._call(lambda c: c.wxa.code_to_session(code))
        try:
            return WeChatLogin(
                openid=str(result["openid"]),
                session_key=str(result["session_key"]),
                unionid=str(result["unionid"]) if result.get("unionid") else None,
            )
        except KeyError as exc:
            raise WeChatUnavailable(None, "jscode2session answered without openid") from exc

    async def phone_number(self, code: str, *, openid: str | None = None) -> PhoneNumber:
        body: dict[str, str] = {"code": code}
        if openid:
            body["openid"] = openid
        result = await self._call(
            lambda c: c.wxa._post("wxa/business/getuserphonenumber", data=dict(body))
        )
        try:
            info = result["phone_info"]
            return PhoneNumber(
                pure_number=str(info["purePhoneNumber"]), country_code=str(info["countryCode"])
            )
        except (KeyError, TypeError) as exc:
            raise WeChatUnavailable(None, "getuserphonenumber answered without phone_info") from exc

    async def send_subscribe_message(
        self, openid: str, template_id: str, data: dict[str, str], *, page: str | None = None
    ) -> None:
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
            "miniprogram_state": "formal",
            "lang": "zh_CN",
        }
        if page:
            body["page"] = page
        await self._call(lambda c: c.wxa._post("cgi-bin/message/subscribe/send", data=body))

    async def check_text(self, content: str, *, openid: str, scene: int) -> TextCheck:
        # wechatpy's check_text_security speaks v1, which stopped updating in 2021.
        body = {"content": content, "version": 2, "scene": scene, "openid": openid}
        result = await self._call(lambda c: c.wxa._post("wxa/msg_sec_check", data=body))
        try:
            verdict = result["result"]
            return TextCheck(
                suggestion=ContentSuggestion(verdict["suggest"]),
                label=int(verdict["label"]),
                trace_id=str(result.get("trace_id", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WeChatUnavailable(None, "msg_sec_check answered without a result") from exc

    async def check_media_async(
        self, media_url: str, *, media_type: MediaType, openid: str, scene: int
    ) -> str:
        # wechatpy's check_media_async speaks v1, whose push carries no suggestion or label.
        body = {
            "media_url": media_url,
            "media_type": int(media_type),
            "version": 2,
            "scene": scene,
            "openid": openid,
        }
        result = await self._call(lambda c: c.wxa._post("wxa/media_check_async", data=body))
        trace_id = result.get("trace_id")
        if not isinstance(trace_id, str) or not trace_id:
            raise WeChatUnavailable(None, "media_check_async answered without a trace_id")
        return trace_id

    async def face_verify_id(
        self, *, out_seq_no: str, cert_name: str, cert_no: str, openid: str
    ) -> FaceVerifyId:
        body = {
            "out_seq_no": out_seq_no,
            "cert_info": {"cert_type": IDENTITY_CARD, "cert_name": cert_name, "cert_no": cert_no},
            "openid": openid,
        }
        result = await self._call(
            lambda c: c.wxa._post("cityservice/face/identify/getverifyid", data=body)
        )
        verify_id = result.get("verify_id")
        if not isinstance(verify_id, str) or not 0 < len(verify_id) <= 256:
            raise WeChatUnavailable(None, "getverifyid answered without a verify_id")
        try:
            expires_in = int(result.get("expires_in", 3600))
        except (TypeError, ValueError) as exc:
            raise WeChatUnavailable(None, "getverifyid answered a bad expires_in") from exc
        return FaceVerifyId(verify_id=verify_id, expires_in=expires_in)

    async def face_verify_result(
        self, *, verify_id: str, out_seq_no: str, cert_name: str, cert_no: str, openid: str
    ) -> int:
        body = {
            "verify_id": verify_id,
            "out_seq_no": out_seq_no,
            "cert_hash": cert_hash(IDENTITY_CARD, cert_name, cert_no),
            "openid": openid,
        }
        result = await self._call(
            lambda c: c.wxa._post("cityservice/face/identify/queryverifyinfo", data=body)
        )
        verify_ret = result.get("verify_ret")
        if not isinstance(verify_ret, int) or isinstance(verify_ret, bool):
            raise WeChatUnavailable(None, "queryverifyinfo answered without a verify_ret")
        return verify_ret

    # -- plumbing

    async def _call(self, operation: Callable[[_Client], Any]) -> dict[str, Any]:
        token = await self._token()
        try:
            return await self._in_thread(operation, token)
        except WeChatError as exc:
            if exc.errcode not in _TOKEN_ERRORS:
                raise
            log.info("wechat token rejected (errcode %s), refreshing once", exc.errcode)
        token = await self._refresh_token(stale=token)
        return await self._in_thread(operation, token)

    async def _in_thread(self, operation: Callable[[_Client], Any], token: str) -> dict[str, Any]:
        with external_call("wechat"):
            return await self._run(operation, token)

    async def _run(self, operation: Callable[[_Client], Any], token: str) -> dict[str, Any]:
        def run() -> Any:
            self._client.bind_token(token)
            try:
                return operation(self._client)
            finally:
                self._client.bind_token(None)

        try:
            result = await anyio.to_thread.run_sync(run)
        except WeChatClientException as exc:
            raise _translate(exc) from None
        except requests.RequestException as exc:
            raise WeChatUnavailable(None, type(exc).__name__) from None
        if not isinstance(result, dict):
            raise WeChatUnavailable(None, "WeChat answered something that is not JSON")
        return result

    async def _token(self) -> str:
        try:
            cached = await self._redis.get(Keys.wechat_token(self._app_id))
        except RedisError as exc:
            raise WeChatUnavailable(None, "token cache unreachable") from exc
        if cached:
            return str(cached)
        return await self._refresh_token(stale=None)

    async def _refresh_token(self, *, stale: str | None) -> str:
        """Fetches a token, one worker at a time; the others wait and reuse its result."""
        key = Keys.wechat_token(self._app_id)
        try:
            async with self._redis.lock(
                Keys.wechat_token_lock(self._app_id), timeout=15, blocking_timeout=15
            ):
                current = await self._redis.get(key)
                if current and current != stale:
                    return str(current)
                result = await self._fetch_token(force_refresh=False)
                if stale is not None and result["access_token"] == stale:
                    # WeChat still hands out the token it just refused: it was revoked
                    # by a force refresh elsewhere, so force one ourselves.
                    result = await self._fetch_token(force_refresh=True)
                token = str(result["access_token"])
                ttl = max(
                    int(result.get("expires_in", 7200)) - _TOKEN_MARGIN_SECONDS, _MIN_TOKEN_TTL
                )
                await self._redis.set(key, token, ex=ttl)
                return token
        except RedisError as exc:
            raise WeChatUnavailable(None, "token cache unreachable") from exc

    async def _fetch_token(self, *, force_refresh: bool) -> dict[str, Any]:
        try:
            result = await anyio.to_thread.run_sync(
                lambda: self._client.fetch_stable_token(force_refresh=force_refresh)
            )
        except WeChatClientException as exc:
            raise _translate(exc) from None
        except requests.RequestException as exc:
            raise WeChatUnavailable(None, type(exc).__name__) from None
        if not isinstance(result, dict) or "access_token" not in result:
            raise WeChatUnavailable(None, "stable_token answered without a token")
        return result


def _translate(exc: WeChatClientException) -> WeChatError:
    errcode = exc.errcode
    errmsg = str(exc.errmsg or "")
    if errcode is None or errcode == -1:
        return WeChatUnavailable(errcode, errmsg)
    return WeChatError(int(errcode), errmsg)
