"""python -m mock_wechat.journey: replay the mini-program login journey against a running API.

Run it beside `make run`; it plays one WeChat user through wx.login, loginWithWeChat,
the phone-number button and real-name verification, and prints what the app would show.
"""

from __future__ import annotations

import argparse
import asyncio
import os

import httpx

from mock_wechat.client import MiniProgram

# A structurally valid test identity from GB 11643's own example, not a real person's.
DEMO_NAME = "张三"
DEMO_ID_NUMBER = "11010519491231002X"
DEMO_PHONE = "13800138000"


async def login_journey(program: MiniProgram) -> list[str]:
    steps = []
    session = await program.login()
    steps.append(f"loginWithWeChat -> {session['__typename']}")
    bound = await program.bind_phone(DEMO_PHONE)
    steps.append(f"bindWeChatPhone -> {bound['__typename']} {bound.get('phoneMasked', bound)}")
    verified = await program.verify_identity(DEMO_NAME, DEMO_ID_NUMBER)
    steps.append(
        f"verifyIdentity  -> {verified['__typename']} "
        f"{verified.get('nameMasked')} {verified.get('idNumberMasked', verified.get('code'))}"
    )
    me = await program.me()
    steps.append(f"me              -> {me}")
    return steps


# The smallest thing that starts like a JPEG: enough for the wallet's magic-byte check.
DEMO_JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 64
    + b"\xff\xd9"
)


async def document_journey(program: MiniProgram) -> list[str]:
    """requestDocumentUpload -> wx.uploadFile -> confirmDocumentUpload -> myDocuments."""
    steps = []
    result = await program.upload_document(
        "ID_CARD_FRONT", "身份证正面.jpg", "image/jpeg", DEMO_JPEG
    )
    steps.append(f"requestDocumentUpload -> {result['ticket']['__typename']}")
    steps.append(f"wx.uploadFile         -> HTTP {result['upload']}")
    confirmed = result["confirm"] or {}
    steps.append(
        f"confirmDocumentUpload -> {confirmed.get('__typename')} "
        f"{confirmed.get('status', confirmed.get('code'))}"
    )
    wallet = await program.my_documents(first=5)
    steps.append(f"myDocuments           -> {len(wallet['edges'])} document(s)")
    return steps


async def main_async(api: str, wechat: str, user: str) -> None:
    async with (
        httpx.AsyncClient(base_url=api) as api_client,
        httpx.AsyncClient(base_url=wechat) as wechat_client,
    ):
        program = MiniProgram(api_client, wechat_client, user)
        for line in [*await login_journey(program), *await document_journey(program)]:
            print(line)  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
    parser.add_argument(
        "--wechat", default=f"http://127.0.0.1:{os.environ.get('WECHAT_MOCK_PORT', '8001')}"
    )
    parser.add_argument("--user", default="demo-resident")
    args = parser.parse_args()
    asyncio.run(main_async(args.api, args.wechat, args.user))


if __name__ == "__main__":
    main()
