"""Helpers of the appeal tests: residents signed in through the mini-program, wallet photos,
officers of the departments the demo dispatch table names, and GraphQL snippets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx

from mock_wechat.client import MiniProgram
from storage.models.accounts import Account
from storage.models.catalogue import Department
from tests.conftest import RunningApp
from tests.documents.conftest import jpeg, pdf, signed_in
from tests.identity import phone_number

CENTRE = "11510100404435553D"  # 成都市政务服务管理和网络理政办公室: the 12345 centre
URBAN = "11510100121459782L"  # 成都市城市管理委员会: 占道经营, 道路破损 ... citywide
JINJIANG_POLICE = "115101043529422372"  # 噪音扰民 in 锦江区 (属地)
CITY_POLICE = "11510100076155850A"
WATER = "11510100721069833R"  # 成都市水务局: 供水 (3 working days to reply)
HOUSING = "11510100522622034W"  # 成都市住房和城乡建设局: 物业纠纷
JINJIANG = "510104"
CHUNXI_STREET = "510104001000"  # a demo street of 锦江区
# Near 春熙路; points a few dozen metres apart for duplicates.
SPOT = (30.6570, 104.0800)

APPEAL_FIELDS = """
    __typename
    ... on Appeal {
      id number kind status holdReason channel content address location { lat lng }
      category { code name } region { code } department { code name }
      receivedOn signDueDate dueDate returnableUntil dueBeyondCalendar overdue
      signedAt repliedAt closedAt reopenCount reopenableUntil replyWanted
      extension { status requestedDays approvedDays reason }
      photos { id kind } replies { content onTime workingDays department { code } }
      rating { level comment round } events { type status note byStaff department { code } }
    }
"""


def mutation(name: str, input_type: str, error: str, selection: str = APPEAL_FIELDS) -> str:
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} "
        f"... on {error} {{ code message field }} }} }}"
    )


FILE = mutation("fileAppeal", "FileAppealInput", "FileAppealError")
DISPATCH = mutation("dispatchAppeal", "DispatchAppealInput", "DispatchAppealError")
SIGN = mutation("signAppeal", "SignAppealInput", "SignAppealError")
RETURN = mutation("returnAppeal", "ReturnAppealInput", "ReturnAppealError")
EXTEND = mutation(
    "requestAppealExtension", "RequestAppealExtensionInput", "RequestAppealExtensionError"
)
DECIDE = mutation(
    "decideAppealExtension", "DecideAppealExtensionInput", "DecideAppealExtensionError"
)
REPLY = mutation("replyAppeal", "ReplyAppealInput", "ReplyAppealError")
MERGE = mutation("mergeAppeals", "MergeAppealsInput", "MergeAppealsError")
RATE = mutation("rateAppeal", "RateAppealInput", "RateAppealError")
REOPEN = mutation("reopenAppeal", "ReopenAppealInput", "ReopenAppealError")
MODERATE = mutation("moderateAppeal", "ModerateAppealInput", "ModerateAppealError")
REVISIT = mutation(
    "recordAppealRevisit",
    "RecordAppealRevisitInput",
    "RecordAppealRevisitError",
    APPEAL_FIELDS + " ... on Appeal { revisit { status method satisfaction } }",
)
DETAIL = "query($id: ID!) { appeal(id: $id) { " + APPEAL_FIELDS.replace("__typename", "") + " } }"


async def resident(
    running: RunningApp, wechat: httpx.AsyncClient, user: str, *, phone: bool = True
) -> MiniProgram:
    """A mini-program user (signed in with WeChat, so the content check applies) with a
    phone bound, as filing needs (`phone=False`: none)."""
    program = await signed_in(running, wechat, user)
    if phone:
        bound = await program.bind_phone(phone_number())
        assert bound["__typename"] == "Account", bound
    return program


async def photo(program: MiniProgram) -> str:
    result = await program.upload_document("PHOTO", "现场.jpg", "image/jpeg", jpeg())
    assert result["confirm"]["__typename"] == "Document", result
    return str(result["confirm"]["id"])


async def other_document(program: MiniProgram) -> str:
    result = await program.upload_document("OTHER", "说明.pdf", "application/pdf", pdf())
    assert result["confirm"]["__typename"] == "Document", result
    return str(result["confirm"]["id"])


async def file(running: RunningApp, program: MiniProgram, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "COMPLAINT",
        "categoryCode": "0101",
        "content": "春熙路口每天晚上有流动摊贩占用人行道摆摊，行人只能走机动车道，很危险。",
        "location": {"lat": SPOT[0], "lng": SPOT[1]},
        "regionCode": CHUNXI_STREET,
        "address": "春熙路与总府路交叉口",
        "documentIds": [],
        "channel": "MINI_PROGRAM",
    }
    values.update(overrides)
    response = await running.gql(FILE, {"input": values}, token=program.token)
    return dict(response.data["fileAppeal"])


async def staff_token(running: RunningApp, code: str) -> str:
    department = await Department.get(code=code)
    officer = await Account.get(department_id=department.id)
    return await _login(running, str(officer.username))


async def admin_token(running: RunningApp) -> str:
    return await _login(running, "demo-admin")


async def _login(running: RunningApp, username: str) -> str:
    result = await running.gql.data(
        "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p}) "
        "{ ... on Session { token } } }",
        {"u": username, "p": "demo-password-for-tests"},
    )
    return str(result["loginStaff"]["token"])


async def act(running: RunningApp, query: str, token: str | None, **values: Any) -> dict[str, Any]:
    """Runs one appeal mutation with `values` as its input; returns its result object."""
    response = await running.gql(query, {"input": values}, token=token)
    data = response.data
    return dict(next(iter(data.values())))


def frozen(running: RunningApp, moment: datetime) -> None:
    """Freezes the app's clock (deadlines, windows, the outbox) at `moment`."""
    running.resources.clock = lambda: moment


def china(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour - 8, 0, tzinfo=UTC)


async def drain(running: RunningApp) -> int:
    """Sends what committed transactions wrote to the outbox (inbox messages, WeChat)."""
    from api.outbox import dispatcher

    return await dispatcher(running.resources).drain()


async def inbox_of(code: str) -> list[tuple[str, str]]:
    """(title, body) of the messages delivered to the officers of a department."""
    from storage.models.notifications import Notification

    department = await Department.get(code=code)
    officers = await Account.filter(department_id=department.id).values_list("id", flat=True)
    rows = await Notification.filter(account_id__in=list(officers)).order_by("created_at")
    return [(row.title, row.body) for row in rows]


async def account_of(program: MiniProgram) -> Account:
    from strawberry import relay

    me = await program.me()
    assert me is not None
    return await Account.get(id=relay.GlobalID.from_id(me["id"]).node_id)


async def resident_inbox(program: MiniProgram) -> list[tuple[str, str]]:
    """(topic, body) of the messages delivered to the resident."""
    from storage.models.notifications import Notification

    account = await account_of(program)
    rows = await Notification.filter(account_id=account.id).order_by("created_at")
    return [(row.topic, row.body) for row in rows]


def data_statements(found: Any) -> int:
    """Statements a list costs, leaving out the session look-up (cached in Redis for a few
    seconds, so it comes and goes between two otherwise equal requests)."""
    return sum(1 for text in found.texts if '"auth_session"' not in text[:40])


# -- WeChat's image check of photos (media_check_async, then a pushed verdict)


async def media_checks(wechat: httpx.AsyncClient) -> list[dict[str, Any]]:
    """What the mock WeChat was asked to check, oldest first."""
    return list((await wechat.get("/__mock__/media-checks")).json())


async def set_verdict(wechat: httpx.AsyncClient, suggest: str, **match: str) -> None:
    """`traceId=...` or `urlContains=...` or `default=""`: what WeChat will find."""
    (
        await wechat.post("/__mock__/media-verdict", json={**match, "suggest": suggest})
    ).raise_for_status()


async def push_verdicts(
    running: RunningApp, wechat: httpx.AsyncClient, **options: Any
) -> list[httpx.Response]:
    """WeChat pushes its verdicts (signed by the mock) to the app's push URL: the app under
    test is in-process, so the test carries each push over, exactly as it was signed."""
    pushes = (await wechat.post("/__mock__/media-push", json=options)).json()["pushes"]
    return [await deliver_push(running, push["query"], push["body"]) for push in pushes]


async def deliver_push(
    running: RunningApp, query: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    return await running.client.post(
        "/wechat/push",
        params=query,
        content=json.dumps(body, ensure_ascii=False).encode(),
        headers={"content-type": "application/json"},
    )
