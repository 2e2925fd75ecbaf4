"""startIdentityVerification and verifyIdentity: a real-name claim binds only when a face check
of the identity provider confirms it (WeChat for the mini-program, the relay for the app)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tortoise import connections

from api.outbox import dispatcher
from mock_wechat.client import MiniProgram
from mock_wechat.server import MockState
from storage.models.accounts import Account, AuditEvent, IdentityVerification, VerificationStatus
from tests.conftest import RunningApp
from tests.identity import id_number, phone_number

NAME = "张三"


async def signed_in(running: RunningApp, wechat: httpx.AsyncClient, user: str = "a") -> MiniProgram:
    program = MiniProgram(running.client, wechat, user)
    await program.login()
    return program


async def app_signed_in(
    running: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState, user: str
) -> MiniProgram:
    """An app account (SMS sign-in, no WeChat): `user` is whose face the mock relay sees."""
    phone = phone_number()
    await running.gql.data(
        "mutation($p: String!) { requestSmsCode(input: {phone: $p}) { __typename } }",
        {"p": phone},
    )
    code = [m for m in mock_state.sms if m["phone"].endswith(phone)][-1]["params"]["code"]
    session = await running.gql.data(
        "mutation($p: String!, $c: String!) { loginWithSms(input: {phone: $p, code: $c}) "
        "{ ... on Session { token } } }",
        {"p": phone, "c": code},
    )
    program = MiniProgram(running.client, wechat, user)
    program.token = session["loginWithSms"]["token"]
    return program


async def started(program: MiniProgram, name: str, number: str) -> str:
    result = await program.start_identity_verification(name, number)
    assert result["__typename"] == "IdentityVerification", result
    return str(result["verifyId"])


async def audit(action: str) -> list[AuditEvent]:
    return await AuditEvent.filter(action=action).order_by("at")


# -- the face check passes


async def test_a_passed_face_check_binds_the_identity_sealed_and_masked(
    running: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    program = await signed_in(running, wechat)
    number = id_number("510104", "19500101")  # 锦江, born before the district code existed
    await program.be_person(NAME, number)

    start = await program.start_identity_verification(NAME, number.lower())
    status = await program.wx_request_facial_verify(start["verifyId"], "pass")
    result = await program.confirm_identity(start["verifyId"])

    assert start["__typename"] == "IdentityVerification"
    assert start["channel"] == "WECHAT_FACE"
    assert start["link"] is None
    assert status == 200
    assert result == {
        "__typename": "Account",
        "id": result["id"],
        "realNameVerified": True,
        "nameMasked": "张*",
        "idNumberMasked": number[:4] + "**********" + number[-4:],
    }
    sessions = (await wechat.get("/__mock__/face-sessions")).json()
    assert [(s["channel"], s["verifyRet"], s["queries"]) for s in sessions] == [
        ("wechat", 10000, 1)
    ]
    dumped = repr(
        [
            await connections.get("default").execute_query_dict(f"SELECT * FROM {table}")
            for table in ("account", "identity_verification", "audit_event")
        ]
    )
    assert number not in dumped
    assert NAME not in dumped


async def test_asking_again_answers_the_same_without_asking_wechat(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    await program.be_person(NAME, number := id_number())
    verify_id = await started(program, NAME, number)
    await program.wx_request_facial_verify(verify_id, "pass")

    first = await program.confirm_identity(verify_id)
    second = await program.confirm_identity(verify_id)

    assert first == second
    assert first["realNameVerified"] is True
    sessions = (await wechat.get("/__mock__/face-sessions")).json()
    assert sessions[0]["queries"] == 1
    results = await audit("IDENTITY_VERIFICATION_RESULT")
    assert [(r.success, r.detail) for r in results] == [(True, "WECHAT_FACE PASSED 10000")]


async def test_before_the_face_check_the_answer_is_pending(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    await program.be_person(NAME, number := id_number())
    verify_id = await started(program, NAME, number)

    early = await program.confirm_identity(verify_id)
    await program.wx_request_facial_verify(verify_id, "pass")
    later = await program.confirm_identity(verify_id)

    assert early["code"] == "VERIFICATION_PENDING"
    assert later["__typename"] == "Account"


async def test_parallel_confirmations_bind_once(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    await program.be_person(NAME, number := id_number())
    verify_id = await started(program, NAME, number)
    await program.wx_request_facial_verify(verify_id, "pass")

    answers = await asyncio.gather(*(program.confirm_identity(verify_id) for _ in range(4)))

    assert {a["__typename"] for a in answers} == {"Account"}
    assert len(await audit("IDENTITY_VERIFICATION_RESULT")) == 1
    assert await Account.filter(id_number_index__isnull=False).count() == 1


# -- the face check does not pass


@pytest.mark.parametrize(
    ("face", "code", "status", "verify_ret"),
    [
        ("fail", "VERIFICATION_FAILED", VerificationStatus.FAILED, 10002),
        ("cancel", "VERIFICATION_CANCELLED", VerificationStatus.CANCELLED, 90004),
    ],
)
async def test_a_failed_or_cancelled_face_check_binds_nothing(
    running: RunningApp,
    wechat: httpx.AsyncClient,
    face: str,
    code: str,
    status: VerificationStatus,
    verify_ret: int,
) -> None:
    program = await signed_in(running, wechat)
    await program.be_person(NAME, number := id_number())
    verify_id = await started(program, NAME, number)
    await program.wx_request_facial_verify(verify_id, face)

    answer = await program.confirm_identity(verify_id)
    again = await program.confirm_identity(verify_id)

    assert answer["__typename"] == "VerifyIdentityError"
    assert (answer["code"], answer["field"]) == (code, "verifyId")
    assert again == answer
    assert (await Account.get()).identity_verified_at is None
    record = await IdentityVerification.get()
    assert (record.status, record.result_code) == (status, str(verify_ret))
    results = await audit("IDENTITY_VERIFICATION_RESULT")
    assert [(r.success, r.detail) for r in results] == [
        (False, f"WECHAT_FACE {status.value} {verify_ret}")
    ]


@pytest.mark.parametrize("verify_ret", [90002, 90006, 90024])
async def test_wechat_cancel_codes_read_as_cancelled(
    running: RunningApp, wechat: httpx.AsyncClient, verify_ret: int
) -> None:
    program = await signed_in(running, wechat)
    await program.be_person(NAME, number := id_number())
    verify_id = await started(program, NAME, number)
    await wechat.post(
        "/__mock__/face-verify",
        json={"user": "a", "verifyId": verify_id, "result": "cancel", "verifyRet": verify_ret},
    )

    assert (await program.confirm_identity(verify_id))["code"] == "VERIFICATION_CANCELLED"


async def test_a_face_check_confirmed_too_late_has_expired(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    await program.be_person(NAME, number := id_number())
    start = await program.start_identity_verification(NAME, number)
    await program.wx_request_facial_verify(start["verifyId"], "pass")
    record = await IdentityVerification.get()
    ttl = timedelta(seconds=running.settings.identity_verification_ttl_seconds)
    assert abs(record.expires_at - record.created_at - ttl) < timedelta(seconds=5)
    moment = record.expires_at + timedelta(seconds=1)
    running.resources.clock = lambda: moment

    answer = await program.confirm_identity(start["verifyId"])

    assert answer["code"] == "VERIFICATION_EXPIRED"
    assert (await Account.get()).identity_verified_at is None
    assert (await IdentityVerification.get()).status is VerificationStatus.EXPIRED
    sessions = (await wechat.get("/__mock__/face-sessions")).json()
    assert sessions[0]["queries"] == 0  # expired is ours to say: WeChat was not asked


async def test_the_phone_cannot_start_an_expired_face_check(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    await program.be_person(NAME, number := id_number())
    verify_id = await started(program, NAME, number)
    await wechat.post("/__mock__/clock", json={"advance": 3601})

    assert await program.wx_request_facial_verify(verify_id, "pass") == 410
    assert (await program.confirm_identity(verify_id))["code"] == "VERIFICATION_PENDING"


async def test_a_verification_is_only_its_own_accounts(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await signed_in(running, wechat, "owner")
    await owner.be_person(NAME, number := id_number())
    verify_id = await started(owner, NAME, number)
    await owner.wx_request_facial_verify(verify_id, "pass")
    other = await signed_in(running, wechat, "other")

    stolen = await other.confirm_identity(verify_id)
    unknown = await other.confirm_identity("no-such-verification")
    oversized = await other.confirm_identity("v" * 300)

    for answer in (stolen, unknown, oversized):
        assert (answer["code"], answer["field"]) == ("VERIFICATION_NOT_FOUND", "verifyId")
    assert await Account.filter(id_number_index__isnull=False).count() == 0
    assert (await owner.confirm_identity(verify_id))["__typename"] == "Account"


async def test_the_old_input_never_binds_an_identity(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    number = id_number()
    await program.be_person(NAME, number)  # even the holder's own, valid identity

    answer = await running.gql.data(
        "mutation($n: String!, $i: String!) { verifyIdentity(input: {name: $n, idNumber: $i}) "
        "{ __typename ... on VerifyIdentityError { code message field } } }",
        {"n": NAME, "i": number},
        token=program.token,
    )

    assert answer["verifyIdentity"] == {
        "__typename": "VerifyIdentityError",
        "code": "VERIFICATION_REQUIRED",
        "message": "请先完成人脸核身：实名认证须经人脸核身确认。",
        "field": "verifyId",
    }
    assert (await Account.get()).identity_verified_at is None
    refusals = await audit("IDENTITY_VERIFICATION_RESULT")
    assert [(r.success, r.detail) for r in refusals] == [
        (False, "refused: no verifyId (name and number alone)")
    ]


# -- what a start checks


@pytest.mark.parametrize(
    ("name", "number", "code", "field"),
    [
        (NAME, "110105194912310021", "INVALID_ID_NUMBER", "idNumber"),  # wrong check character
        (NAME, "11010519491331002X", "INVALID_ID_NUMBER", "idNumber"),  # 13th month
        (NAME, "110105210012310024", "INVALID_ID_NUMBER", "idNumber"),  # born in 2100
        (NAME, "99010519491231002X", "INVALID_ID_NUMBER", "idNumber"),  # no such region
        (NAME, "1101051949123", "INVALID_ID_NUMBER", "idNumber"),
        (NAME, "1" * 100, "INVALID_ID_NUMBER", "idNumber"),
        ("Z", "11010519491231002X", "INVALID_NAME", "name"),
        ("张三3", "11010519491231002X", "INVALID_NAME", "name"),
        ("", "11010519491231002X", "INVALID_NAME", "name"),
        ("张" * 40, "11010519491231002X", "INVALID_NAME", "name"),
    ],
)
async def test_bad_input_is_refused_by_field_before_any_face_check(
    running: RunningApp,
    wechat: httpx.AsyncClient,
    mock_state: MockState,
    name: str,
    number: str,
    code: str,
    field: str,
) -> None:
    program = await signed_in(running, wechat)

    answer = await program.start_identity_verification(name, number)

    assert answer["__typename"] == "StartIdentityVerificationError"
    assert (answer["code"], answer["field"]) == (code, field)
    assert await IdentityVerification.all().count() == 0
    assert "/cityservice/face/identify/getverifyid" not in mock_state.calls


async def test_names_with_a_middle_dot_are_accepted(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)

    result = await program.verify_identity("阿依古丽·买买提", id_number())

    assert result["nameMasked"] == "阿" + "*" * 7


async def test_a_verified_account_cannot_start_another(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    await program.verify_identity(NAME, id_number())

    answer = await program.start_identity_verification("李四", id_number())

    assert answer["code"] == "IDENTITY_ALREADY_VERIFIED"


async def test_signed_out_callers_cannot_start_or_confirm(running: RunningApp) -> None:
    result = await running.gql.data(
        'mutation { startIdentityVerification(input: {name: "张三", idNumber: '
        '"11010519491231002X"}) { ... on StartIdentityVerificationError { code } } '
        'verifyIdentity(input: {verifyId: "x"}) { ... on VerifyIdentityError { code } } }'
    )

    assert result["startIdentityVerification"]["code"] == "UNAUTHENTICATED"
    assert result["verifyIdentity"]["code"] == "UNAUTHENTICATED"


# -- limits and the audit trail


async def test_starts_are_limited_per_account_each_day(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    limit = running.settings.identity_verifications_per_account_daily

    answers = [
        await program.start_identity_verification(NAME, id_number()) for _ in range(limit + 1)
    ]

    assert [a["__typename"] for a in answers] == ["IdentityVerification"] * limit + [
        "StartIdentityVerificationError"
    ]
    assert answers[-1]["code"] == "RATE_LIMITED"
    assert 0 < answers[-1]["retryAfterSeconds"] <= 86_400
    starts = await audit("IDENTITY_VERIFICATION_STARTED")
    assert [s.success for s in starts] == [True] * limit + [False]
    assert starts[-1].detail == "WECHAT_FACE refused: RATE_LIMITED"


async def test_starts_are_limited_per_number_whoever_starts_them(
    running: RunningApp, wechat: httpx.AsyncClient, settings_factory: Any
) -> None:
    number = id_number()
    limit = running.settings.identity_verifications_per_number_daily
    per_account = running.settings.identity_verifications_per_account_daily
    answers = []
    for i in range(limit // per_account + 1):
        program = await signed_in(running, wechat, f"prober-{i}")
        for _ in range(per_account):
            answers.append(await program.start_identity_verification(NAME, number))

    kinds = [a["__typename"] for a in answers]
    assert kinds[:limit] == ["IdentityVerification"] * limit
    assert {a["code"] for a in answers[limit:]} == {"RATE_LIMITED"}
    # Another number is not held back by it.
    fresh = await signed_in(running, wechat, "fresh")
    assert (await fresh.start_identity_verification(NAME, id_number()))["__typename"] == (
        "IdentityVerification"
    )


async def test_a_provider_outage_is_typed_and_costs_no_attempt(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    await wechat.post(
        "/__mock__/fail",
        json={"path": "/cityservice/face/identify/getverifyid", "errcode": -1, "times": 10},
    )
    limit = running.settings.identity_verifications_per_account_daily

    answers = [
        await program.start_identity_verification(NAME, id_number()) for _ in range(limit + 2)
    ]

    assert {a["code"] for a in answers} == {"VERIFICATION_UNAVAILABLE"}  # never RATE_LIMITED
    assert await IdentityVerification.all().count() == 0
    failures = await audit("IDENTITY_VERIFICATION_STARTED")
    assert {(f.success, f.detail) for f in failures} == {(False, "WECHAT_FACE provider -1")}


async def test_every_start_and_result_is_audited_without_personal_data(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    account = await Account.get()
    await program.be_person(NAME, number := id_number())
    failed = await started(program, NAME, number)
    await program.wx_request_facial_verify(failed, "fail")
    await program.confirm_identity(failed)
    passed = await started(program, NAME, number)
    await program.wx_request_facial_verify(passed, "pass")
    await program.confirm_identity(passed)

    events = await AuditEvent.filter(action__startswith="IDENTITY").order_by("at")

    assert [(e.action, e.success, e.actor_id) for e in events] == [
        ("IDENTITY_VERIFICATION_STARTED", True, account.id),
        ("IDENTITY_VERIFICATION_RESULT", False, account.id),
        ("IDENTITY_VERIFICATION_STARTED", True, account.id),
        ("IDENTITY_VERIFICATION_RESULT", True, account.id),
    ]
    assert all(e.request_id for e in events)
    text = repr([(e.detail, e.request_id) for e in events])
    assert number not in text
    assert number[-4:] not in text
    assert NAME not in text


# -- a number already bound elsewhere


async def test_the_face_verified_holder_takes_the_number_over_and_the_other_account_is_told(
    running: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    number = id_number()
    old = await signed_in(running, wechat, "old-phone")
    assert (await old.verify_identity(NAME, number))["__typename"] == "Account"
    new = await signed_in(running, wechat, "new-phone")

    moved = await new.verify_identity(NAME, number)
    await dispatcher(running.resources).drain()

    assert moved["__typename"] == "Account"
    assert moved["realNameVerified"] is True
    old_me = await old.me()
    assert old_me is not None
    assert (old_me["realNameVerified"], old_me["nameMasked"], old_me["idNumberMasked"]) == (
        False,
        None,
        None,
    )
    inbox = (await old.notifications(first=5))["edges"]
    assert [n["node"]["title"] for n in inbox] == ["实名认证已转移到其他账号"]
    assert (await new.notifications(first=5))["edges"] == []
    old_id = await Account.get(wechat_openid=mock_state.openid("old-phone"))
    new_id = await Account.get(wechat_openid=mock_state.openid("new-phone"))
    events = {
        (e.action, e.actor_id, e.detail)
        for e in await AuditEvent.filter(action__in=["IDENTITY_TAKEN_OVER", "IDENTITY_REMOVED"])
    }
    assert events == {
        ("IDENTITY_TAKEN_OVER", new_id.id, f"from account {old_id.id}"),
        ("IDENTITY_REMOVED", old_id.id, f"taken over by account {new_id.id}"),
    }


async def test_two_accounts_of_one_person_passing_at_once_leave_one_holder(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    number = id_number()
    programs = [await signed_in(running, wechat, f"device-{i}") for i in range(4)]
    ids = []
    for program in programs:
        await program.be_person(NAME, number)
        ids.append(await started(program, NAME, number))
        await program.wx_request_facial_verify(ids[-1], "pass")

    answers = await asyncio.gather(
        *(p.confirm_identity(v) for p, v in zip(programs, ids, strict=True))
    )

    assert {a["__typename"] for a in answers} == {"Account"}
    assert await Account.filter(id_number_index__isnull=False).count() == 1
    holder = await Account.get(id_number_index__isnull=False)
    assert len(await AuditEvent.filter(action="IDENTITY_TAKEN_OVER")) == 3
    assert holder.identity_verified_at is not None


# -- app accounts: the real-name relay


async def test_an_app_account_verifies_through_the_relay(
    running: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    app = await app_signed_in(running, wechat, mock_state, "app-holder")
    await app.be_person(NAME, number := id_number("510116", "19700707"))  # 双流

    start = await app.start_identity_verification(NAME, number)
    pending = await app.confirm_identity(start["verifyId"])
    page = await wechat.get(start["link"])
    await app.wx_request_facial_verify(start["verifyId"], "pass")
    result = await app.confirm_identity(start["verifyId"])

    assert start["channel"] == "REAL_NAME_RELAY"
    assert start["link"].startswith(f"{running.settings.wechat_api_base}/__mock__/realname/h5?")
    assert page.status_code == 200
    assert pending["code"] == "VERIFICATION_PENDING"
    assert result["__typename"] == "Account"
    assert result["realNameVerified"] is True
    results = await audit("IDENTITY_VERIFICATION_RESULT")
    assert [(r.success, r.detail) for r in results] == [(True, "REAL_NAME_RELAY PASSED 10000")]
    assert mock_state.calls["/__mock__/realname/verifications"] == 1


@pytest.mark.parametrize(
    ("face", "code"),
    [
        ("fail", "VERIFICATION_FAILED"),
        ("cancel", "VERIFICATION_CANCELLED"),
        ("someone-else", "IDENTITY_MISMATCH"),
    ],
)
async def test_the_relay_reports_what_the_check_came_to(
    running: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState, face: str, code: str
) -> None:
    app = await app_signed_in(running, wechat, mock_state, "app-user")
    number = id_number("510118", "19850101")  # 新津
    if face != "someone-else":
        await app.be_person(NAME, number)
    verify_id = await started(app, NAME, number)
    await app.wx_request_facial_verify(verify_id, "pass" if face == "someone-else" else face)

    assert (await app.confirm_identity(verify_id))["code"] == code
    assert await Account.filter(id_number_index__isnull=False).count() == 0


async def test_the_relay_says_when_its_session_ran_out(
    running: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    app = await app_signed_in(running, wechat, mock_state, "app-late")
    await app.be_person(NAME, number := id_number())
    verify_id = await started(app, NAME, number)
    await wechat.post("/__mock__/clock", json={"advance": 3601})

    assert (await app.confirm_identity(verify_id))["code"] == "VERIFICATION_EXPIRED"


async def test_a_relay_that_is_down_is_typed(
    running: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    app = await app_signed_in(running, wechat, mock_state, "app-down")
    await wechat.post(
        "/__mock__/fail", json={"path": "/__mock__/realname/verifications", "status": 503}
    )

    answer = await app.start_identity_verification(NAME, id_number())

    assert answer["code"] == "VERIFICATION_UNAVAILABLE"
