"""POST /payments/wechat/notify: WeChat Pay's payment and refund notifications.

Verified (signature against WeChat Pay's key, timestamp window, AEAD_AES_256_GCM body) by the
gateway, then stored and applied in one short transaction: WeChat waits five seconds for the
answer and retries for about a day, so the answer is quick, and a duplicate delivery is
answered SUCCESS without doing anything again. A forged or unverifiable one is refused with
4xx and leaves nothing behind."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from resolvers.payments import service as payments
from resolvers.resources import Resources
from resolvers.settings import Settings

log = logging.getLogger(__name__)

NOTIFY_PATH = "/payments/wechat/notify"
# Notifications are a few hundred bytes of JSON; anything much larger is not one.
MAX_NOTIFY_BYTES = 64 * 1024

_ANSWERED = (payments.Outcome.APPLIED, payments.Outcome.ALREADY_APPLIED)


def notify_paths(settings: Settings) -> list[str]:
    """Where the endpoint answers: its own path, and the path of the notify URL the orders
    name when that URL points at this server (a deployment may choose another path)."""
    paths = [NOTIFY_PATH]
    named = urlsplit(settings.wechatpay_notify_url)
    ours = urlsplit(settings.public_base_url)
    if named.netloc == ours.netloc and named.path and named.path != NOTIFY_PATH:
        paths.append(named.path)
    return paths


def _fail(status: int, message: str) -> Response:
    return JSONResponse({"code": "FAIL", "message": message}, status_code=status)


async def notify(request: Request) -> Response:
    resources: Resources = request.app.state.resources
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_NOTIFY_BYTES:
            return _fail(413, "too large")
    try:
        outcome = await payments.receive(resources, request.headers, body)
    except Exception:  # stored nothing (one transaction): WeChat delivers it again
        log.exception("payment notification could not be applied")
        return _fail(500, "try again")
    if outcome is payments.Outcome.REJECTED:
        return _fail(401, "verification failed")
    if outcome not in _ANSWERED:
        # Kept for finance or changing nothing: WeChat need not send it again.
        log.info("payment notification %s", outcome.value)
    return JSONResponse({"code": "SUCCESS", "message": "成功"})
