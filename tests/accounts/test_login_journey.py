"""API.md journey 1, replayed by the scripted mini-program: login, bind phone, verify identity."""

from __future__ import annotations

from datetime import date

import httpx

from mock_wechat.client import MiniProgram
from mock_wechat.journey import identity_of, login_journey
from mock_wechat.people import DEMO_ID_NUMBER, DEMO_PHONE, DEMO_USER, person_of
from resolvers.accounts.identity import resident_id
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


async def test_any_journey_user_signs_in_with_their_own_identity(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    """`python -m mock_wechat.journey --user X`: one phone and one ID number per account, so
    a second user beside the demo one gets their own, valid, and the same on every run."""
    users = [DEMO_USER, "neighbour", "shopkeeper"]
    assert identity_of(DEMO_USER) == (DEMO_PHONE, DEMO_ID_NUMBER)
    assert identity_of("neighbour") == identity_of("neighbour")
    assert len({identity_of(u) for u in users}) == 3
    for user in users:
        phone, id_number = identity_of(user)
        name, persons_number = person_of(user)  # whom the mock's face check knows them as
        assert persons_number == id_number
        resident_id(id_number, today=date(2026, 1, 1))
        steps = await login_journey(
            MiniProgram(running.client, wechat, user), phone=phone, id_number=id_number, name=name
        )
        assert steps[1].startswith("bindWeChatPhone -> Account "), steps
        assert steps[2] == "startIdentityVerification -> IdentityVerification WECHAT_FACE", steps
        assert steps[3] == "wx.requestFacialVerify -> HTTP 200", steps
        assert steps[4].startswith(f"verifyIdentity  -> Account {name[0]}*"), steps
