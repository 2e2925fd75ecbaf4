"""WeChat's text check (msg_sec_check v2) of what providers publish to residents.

WeChat only checks text on behalf of a user who opened the mini-program in the last two
hours (errcode 61010 otherwise), so the check runs with the openid of the member acting, else
of another member; with none at hand the verdict is UNCHECKED and the staff reviewer is the
safety net. WeChat being down gives PENDING: such a service is never published unchecked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from integrations.wechat import ContentSuggestion, WeChatError, WeChatUnavailable
from resolvers.resources import Resources
from storage.models.providers import ContentCheck

log = logging.getLogger(__name__)

# 1 = 资料 (profile-like text a user publishes about itself): the closest of the four scenes.
SCENE = 1
MAX_TRIES = 3
# The openid was not seen recently (61010) or is not ours (40003): try another member's.
_USER_ERRORS = {40003, 61010, 43104}


@dataclass(frozen=True, slots=True)
class Verdict:
    check: ContentCheck
    risky: bool = False
    label: int | None = None
    trace_id: str = ""


def text_of(name: str, description: str, opening_hours: str) -> str:
    return "\n".join(part for part in (name, description, opening_hours) if part)


async def check(resources: Resources, text: str, openids: Sequence[str]) -> Verdict:
    for openid in list(dict.fromkeys(openids))[:MAX_TRIES]:
        try:
            result = await resources.wechat.check_text(text[:2500], openid=openid, scene=SCENE)
        except WeChatUnavailable:
            return Verdict(ContentCheck.PENDING)
        except WeChatError as error:
            if error.errcode in _USER_ERRORS:
                continue
            log.warning("msg_sec_check answered errcode %s", error.errcode)
            return Verdict(ContentCheck.PENDING)
        if result.suggestion is ContentSuggestion.RISKY:
            return Verdict(ContentCheck.PENDING, True, result.label, result.trace_id)
        check_result = (
            ContentCheck.REVIEW
            if result.suggestion is ContentSuggestion.REVIEW
            else ContentCheck.PASSED
        )
        return Verdict(check_result, False, result.label, result.trace_id)
    return Verdict(ContentCheck.UNCHECKED)
