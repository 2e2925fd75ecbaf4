"""WeChat's message push (消息推送) in JSON, plain mode: the signature and the events we use."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wechatpy.utils import WeChatSigner

from integrations.wechat.gateway import ContentSuggestion


def signature_ok(token: str, query: Mapping[str, str]) -> bool:
    """`signature` = sha1 of the sorted token, timestamp and nonce (wechatpy's signer; the
    comparison is constant-time, which wechatpy's own check_signature is not)."""
    signature, timestamp, nonce = (
        query.get("signature", ""),
        query.get("timestamp", ""),
        query.get("nonce", ""),
    )
    if not (signature and timestamp and nonce):
        return False
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return hmac.compare_digest(str(signer.signature), signature)


@dataclass(frozen=True, slots=True)
class MediaCheckVerdict:
    """A `wxa_media_check` event: WeChat's verdict on one media_check_async request."""

    trace_id: str
    suggestion: ContentSuggestion
    label: int | None


def media_check_verdict(event: Mapping[str, Any], *, app_id: str) -> MediaCheckVerdict | None:
    """The verdict in a pushed event, or None when the event is something else or another
    app's. A push that names no usable verdict (a v1 push, a check that failed, e.g. the
    URL could not be downloaded) counts as REVIEW: a person looks, nothing is released."""
    if event.get("Event") != "wxa_media_check" or event.get("appid", app_id) != app_id:
        return None
    trace_id = event.get("trace_id")
    if not isinstance(trace_id, str) or not trace_id or len(trace_id) > 64:
        return None
    result = event.get("result")
    suggestion = ContentSuggestion.REVIEW
    label: int | None = None
    if isinstance(result, Mapping) and event.get("errcode", 0) == 0:
        try:
            suggestion = ContentSuggestion(str(result.get("suggest")))
        except ValueError:
            suggestion = ContentSuggestion.REVIEW
        try:
            # Documented as a number; real pushes have been seen with "100".
            label = int(result.get("label"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            label = None
    return MediaCheckVerdict(trace_id=trace_id, suggestion=suggestion, label=label)
