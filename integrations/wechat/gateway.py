"""What the service needs from WeChat, as typed values and typed errors."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Protocol


class WeChatError(Exception):
    """WeChat answered with an error code (40029 invalid code, 43101 not subscribed, ...)."""

    def __init__(self, errcode: int | None, errmsg: str = "") -> None:
        super().__init__(f"WeChat error {errcode}")
        self.errcode = errcode
        # errmsg carries WeChat's rid for support tickets; it never holds user data.
        self.errmsg = errmsg


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached, timed out, answered 5xx or said -1 (system busy)."""


@dataclass(frozen=True, slots=True)
class WeChatLogin:
    openid: str
    session_key: str = field(repr=False)  # never printed, never returned to a client
    unionid: str | None = None


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    pure_number: str = field(repr=False)
    country_code: str


class ContentSuggestion(StrEnum):
    PASS = "pass"  # noqa: S105 (a verdict, not a password)
    REVIEW = "review"
    RISKY = "risky"


class MediaType(IntEnum):
    AUDIO = 1
    IMAGE = 2


@dataclass(frozen=True, slots=True)
class TextCheck:
    suggestion: ContentSuggestion
    label: int
    trace_id: str


# The certificate type getverifyid takes for a resident ID card.
IDENTITY_CARD = "IDENTITY_CARD"


@dataclass(frozen=True, slots=True)
class FaceVerifyId:
    """getverifyid's answer: the session the mini-program hands to wx.requestFacialVerify."""

    verify_id: str
    expires_in: int  # seconds; WeChat's default is 3600


def cert_hash(cert_type: str, cert_name: str, cert_no: str) -> str:
    """queryverifyinfo's `cert_hash`: each field of getverifyid's cert_info base64-encoded
    (standard alphabet, UTF-8), joined as `cert_type=..&cert_name=..&cert_no=..`, SHA-256 in
    lower-case hex. It ties the answer to the identity the session was opened for."""

    def b64(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    joined = f"cert_type={b64(cert_type)}&cert_name={b64(cert_name)}&cert_no={b64(cert_no)}"
    return hashlib.sha256(joined.encode()).hexdigest()


class WeChatGateway(Protocol):
    async def code_to_session(self, code: str) -> WeChatLogin:
        """Exchanges a `wx.login` code (one use, five minutes) for the user's openid."""
        ...

    async def phone_number(self, code: str, *, openid: str | None = None) -> PhoneNumber:
        """Exchanges a phone-number button code; with `openid` WeChat checks they match."""
        ...

    async def send_subscribe_message(
        self, openid: str, template_id: str, data: dict[str, str], *, page: str | None = None
    ) -> None:
        """Sends one subscribe message; raises WeChatError(43101) when no grant is left."""
        ...

    async def check_text(self, content: str, *, openid: str, scene: int) -> TextCheck:
        """msg_sec_check v2: scene 1 profile, 2 comment, 3 forum, 4 social log."""
        ...

    async def check_media_async(
        self, media_url: str, *, media_type: MediaType, openid: str, scene: int
    ) -> str:
        """media_check_async v2: WeChat downloads `media_url` (within minutes) and pushes its
        verdict to the message-push URL as a `wxa_media_check` event; returns the trace id
        that the push will carry."""
        ...

    async def face_verify_id(
        self, *, out_seq_no: str, cert_name: str, cert_no: str, openid: str
    ) -> FaceVerifyId:
        """getverifyid (人脸核身): opens a face-verification session for an ID card holder;
        `openid` must be the user who then runs wx.requestFacialVerify."""
        ...

    async def face_verify_result(
        self, *, verify_id: str, out_seq_no: str, cert_name: str, cert_no: str, openid: str
    ) -> int:
        """queryverifyinfo: the session's `verify_ret` (10000: recognised; see
        integrations.identity.wechat_face for the rest). No face data comes back."""
        ...

    async def close(self) -> None: ...
