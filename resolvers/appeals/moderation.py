"""The content check (WeChat msg_sec_check v2) of mini-program appeals: what it decides at
filing, and the later re-check of appeals held while WeChat could not answer. Nothing
unchecked ever reaches a department: WeChat down means held, never passed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from integrations.wechat import ContentSuggestion, WeChatError, WeChatUnavailable
from resolvers.appeals.errors import AppealError
from resolvers.appeals.errors import AppealErrorCode as Code
from resolvers.resources import Resources
from storage.models.appeals import AppealChannel, HoldReason

log = logging.getLogger(__name__)

# msg_sec_check v2 scenes: 1 profile, 2 comment, 3 forum, 4 social log. An appeal is a
# message written to the government: "comment" is the closest.
SCENE = 2


@dataclass(frozen=True, slots=True)
class Verdict:
    hold: HoldReason | None  # None: cleared
    trace_id: str = ""
    risky: bool = False


CLEARED = Verdict(hold=None)


def needs_check(channel: AppealChannel) -> bool:
    """Only mini-program text goes through WeChat's check: the API needs the openid of a
    user who used the mini-program within two hours. Other channels' text is never shown
    publicly (Open311 shows the category only) and reaches only the handling staff."""
    return channel is AppealChannel.MINI_PROGRAM


async def check(resources: Resources, content: str, openid: str) -> Verdict:
    """PASS clears, REVIEW holds for a moderator, RISKY is risky, and an unreachable or
    failing WeChat holds the appeal for a later re-check (fail closed)."""
    try:
        result = await resources.wechat.check_text(content, openid=openid, scene=SCENE)
    except WeChatUnavailable:
        log.warning("msg_sec_check unavailable: the appeal is held for a re-check")
        return Verdict(hold=HoldReason.CHECK_PENDING)
    except WeChatError as error:
        # 61010 (the user's visit expired), 40003 ... : not an answer about the content.
        log.warning("msg_sec_check refused the call (errcode %s): held", error.errcode)
        return Verdict(hold=HoldReason.CHECK_PENDING)
    if result.suggestion is ContentSuggestion.RISKY:
        return Verdict(hold=None, trace_id=result.trace_id, risky=True)
    if result.suggestion is ContentSuggestion.REVIEW:
        return Verdict(hold=HoldReason.REVIEW, trace_id=result.trace_id)
    return Verdict(hold=None, trace_id=result.trace_id)


async def screen(
    resources: Resources, content: str, channel: AppealChannel, openid: str | None
) -> Verdict:
    """At filing: risky text is refused outright (nothing is stored)."""
    if not needs_check(channel):
        return CLEARED
    if openid is None:
        raise AppealError(Code.CHANNEL_NOT_ALLOWED, "channel")
    verdict = await check(resources, content, openid)
    if verdict.risky:
        raise AppealError(Code.CONTENT_RISKY, "content")
    return verdict
