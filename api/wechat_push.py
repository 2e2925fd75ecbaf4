"""GET/POST /wechat/push: WeChat's message push (the URL check, and image-check verdicts)."""

from __future__ import annotations

import logging
import time

import orjson
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from integrations.wechat.push import media_check_verdict, signature_ok
from resolvers.appeals.photo_checks import apply_verdict
from resolvers.resources import Resources
from storage.cache import Keys

log = logging.getLogger(__name__)

WECHAT_PUSH_PATH = "/wechat/push"
MAX_PUSH_BYTES = 64 * 1024
# What WeChat expects back from a push it may stop retrying.
SUCCESS = "success"


async def push(request: Request) -> Response:
    """Signed with the push token over timestamp and nonce; a timestamp outside the window
    is refused, and a nonce seen before is acknowledged without effect (a replay). Each
    event's effect is itself idempotent (one verdict per trace id). Answers at once: WeChat
    gives up on a push after five seconds."""
    resources: Resources = request.app.state.resources
    settings = resources.settings
    query = request.query_params
    if not signature_ok(settings.wechat_push_token.get_secret_value(), query):
        return PlainTextResponse("invalid signature", status_code=401)
    try:
        skew = abs(time.time() - int(query["timestamp"]))
    except ValueError:
        return PlainTextResponse("invalid timestamp", status_code=401)
    if skew > settings.wechat_push_window_seconds:
        return PlainTextResponse("stale timestamp", status_code=401)
    if request.method == "GET":
        # The console's check of the URL: echo `echostr` when the signature holds.
        return PlainTextResponse(query.get("echostr", ""))

    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_PUSH_BYTES:
            return PlainTextResponse("too large", status_code=413)
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        return PlainTextResponse("not JSON", status_code=400)
    if not isinstance(event, dict):
        return PlainTextResponse("not an event", status_code=400)
    try:
        # Kept twice the window: a timestamp that is still fresh never finds its nonce gone.
        fresh = await resources.redis.set(
            Keys.wechat_push_nonce(query["timestamp"], query["nonce"]),
            "1",
            nx=True,
            ex=2 * settings.wechat_push_window_seconds,
        )
    except RedisError:
        # Without the nonce store a replay cannot be told apart: WeChat will push again.
        return PlainTextResponse("unavailable", status_code=503)
    if not fresh:
        return PlainTextResponse(SUCCESS)
    verdict = media_check_verdict(event, app_id=settings.wechat_app_id)
    if verdict is not None:
        applied = await apply_verdict(
            resources, verdict.trace_id, verdict.suggestion.value, verdict.label
        )
        log.info("wechat media verdict %s (applied: %s)", verdict.suggestion.value, applied)
    return PlainTextResponse(SUCCESS)
