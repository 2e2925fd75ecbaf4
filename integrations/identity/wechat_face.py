"""WeChat's face verification for government services (人脸核身), through the WeChat gateway."""

from __future__ import annotations

import logging

from integrations.identity.protocol import (
    Claim,
    IdentityProviderError,
    IdentityProviderUnavailable,
    Outcome,
    Result,
    Started,
)
from integrations.wechat import WeChatError, WeChatGateway, WeChatUnavailable

log = logging.getLogger(__name__)

# queryverifyinfo's verify_ret, as WeChat documents it: 10000 recognised; 10003 the ID number
# does not match (the name), 10004 the face does not match the number's holder; 10005 still
# being checked and 10300 not done yet; 90002-90006 and 90024 the user left; everything else
# in 10001-10006 and 90001-90199 is a failure of the check itself (device, camera, network,
# timeout, liveness) that a new attempt may get past.
PASSED = 10000
MISMATCHES = frozenset({10003, 10004})
NOT_DONE = frozenset({10005, 10300})
CANCELLED = frozenset({90002, 90003, 90004, 90005, 90006, 90024})
# The app has no permission for face checks: a configuration problem, not the resident's.
NO_PERMISSION = 10006


def outcome_of(verify_ret: int) -> Outcome:
    if verify_ret == PASSED:
        return Outcome.PASSED
    if verify_ret in MISMATCHES:
        return Outcome.MISMATCH
    if verify_ret in NOT_DONE:
        return Outcome.PENDING
    if verify_ret in CANCELLED:
        return Outcome.CANCELLED
    return Outcome.FAILED


class WeChatFaceProvider:
    """getverifyid opens the session for the user's openid; the mini-program runs
    wx.requestFacialVerify with its verify_id; queryverifyinfo tells the result."""

    def __init__(self, wechat: WeChatGateway) -> None:
        self._wechat = wechat

    async def start(self, claim: Claim) -> Started:
        if claim.openid is None:
            raise IdentityProviderError("no-openid", "face checks need a WeChat user")
        try:
            session = await self._wechat.face_verify_id(
                out_seq_no=claim.out_seq_no,
                cert_name=claim.name,
                cert_no=claim.id_number,
                openid=claim.openid,
            )
        except WeChatUnavailable as exc:
            raise IdentityProviderUnavailable(str(exc.errcode), exc.errmsg) from None
        except WeChatError as exc:
            raise IdentityProviderError(str(exc.errcode), exc.errmsg) from None
        return Started(verify_id=session.verify_id, expires_in=session.expires_in)

    async def result(self, claim: Claim, verify_id: str) -> Result:
        if claim.openid is None:
            raise IdentityProviderError("no-openid", "face checks need a WeChat user")
        try:
            verify_ret = await self._wechat.face_verify_result(
                verify_id=verify_id,
                out_seq_no=claim.out_seq_no,
                cert_name=claim.name,
                cert_no=claim.id_number,
                openid=claim.openid,
            )
        except WeChatUnavailable as exc:
            raise IdentityProviderUnavailable(str(exc.errcode), exc.errmsg) from None
        except WeChatError as exc:
            raise IdentityProviderError(str(exc.errcode), exc.errmsg) from None
        if verify_ret == NO_PERMISSION:
            log.error("WeChat face checks are not enabled for this mini-program (10006)")
            raise IdentityProviderUnavailable(str(verify_ret), "appid has no permission")
        return Result(outcome=outcome_of(verify_ret), code=str(verify_ret))

    async def close(self) -> None:
        return None  # the gateway is closed by its owner
