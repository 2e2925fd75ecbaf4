"""API.md journey 1, replayed by the scripted mini-program: login, bind phone, verify identity."""

from __future__ import annotations

import httpx

from mock_wechat.client import MiniProgram
from tests.conftest import RunningApp


async def test_mini_program_login_journey(running: RunningApp, wechat: httpx.AsyncClient) -> None:
    phone_app = MiniProgram(running.client, wechat, user="zhang-san")

    session = await phone_app.login()
    assert session["__typename"] == "Session"
    assert session["account"]["roles"] == ["RESIDENT"]
    assert session["account"]["phoneMasked"] is None

    bound = await phone_app.bind_phone("13800138000")
    assert bound == {
        "__typename": "Account",
        "id": session["account"]["id"],
        "phoneMasked": "138****8000",
    }

    verified = await phone_app.verify_identity("张三", "11010519491231002X")
    assert verified["__typename"] == "Account"
    assert verified["realNameVerified"] is True
    assert verified["nameMasked"] == "张*"
    assert verified["idNumberMasked"] == "1101**********002X"

    me = await phone_app.me()
    assert me is not None
    assert me["realNameVerified"] is True
    assert me["phoneMasked"] == "138****8000"
