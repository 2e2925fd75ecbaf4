"""Signed-in residents for the write benchmarks, made the way the mini-program makes them:
WeChat sign-in, a bound phone, real-name verification (the mock's face check) and two wallet
documents (an ID card photo and a PDF), all through the API and the mock WeChat server.

Each resident can then submit 公共场所卫生许可 in 锦江区 with materials (its business licence
is obtained from the issuing department) and file appeals."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta

import httpx

from mock_wechat.client import MiniProgram
from mock_wechat.people import gb11643_number
from tests.documents.conftest import jpeg, pdf

# 公共场所卫生许可 in 锦江区: REQUIRED business licence (government), ID_CARD_FRONT, OTHER.
HYGIENE_BASIC_CODE = "51000100020000"
HYGIENE_REGION = "510104"


@dataclass(frozen=True)
class Resident:
    user: str
    token: str
    documents: tuple[str, ...]  # ID_CARD_FRONT, OTHER


def _id_number(n: int) -> str:
    born = date(1980, 1, 1) + timedelta(days=n // 900)
    return str(gb11643_number(f"510104{born:%Y%m%d}{n % 900 + 100:03d}"))


async def _one(
    api: httpx.AsyncClient, wechat: httpx.AsyncClient, n: int, photo: bytes, paper: bytes
) -> Resident:
    user = f"bench-resident-{n}"
    program = MiniProgram(api, wechat, user, uploads=api)
    signed = await program.login()
    assert signed["__typename"] == "Session", signed
    phone = await program.bind_phone(f"139{n:08d}")
    assert phone["__typename"] == "Account", phone
    verified = await program.verify_identity("张测试", _id_number(n))
    assert verified["__typename"] == "Account", verified
    documents = []
    for kind, name, media, data in (
        ("ID_CARD_FRONT", "身份证.jpg", "image/jpeg", photo),
        ("OTHER", "卫生管理制度.pdf", "application/pdf", paper),
    ):
        uploaded = await program.upload_document(kind, name, media, data)
        assert uploaded["confirm"]["__typename"] == "Document", uploaded
        documents.append(str(uploaded["confirm"]["id"]))
    assert program.token is not None
    return Resident(user, program.token, tuple(documents))


async def make_residents(api_url: str, wechat_url: str, count: int) -> list[Resident]:
    photo, paper = jpeg(), pdf()
    gate = asyncio.Semaphore(8)
    async with (
        httpx.AsyncClient(base_url=api_url, timeout=60) as api,
        httpx.AsyncClient(base_url=wechat_url, timeout=60) as wechat,
    ):

        async def one(n: int) -> Resident:
            async with gate:
                return await _one(api, wechat, n, photo, paper)

        return list(await asyncio.gather(*(one(n) for n in range(count))))
