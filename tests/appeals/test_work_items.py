"""workItems with appeals: a department's appeals to sign for and to reply to, the 12345
centre's queue (dispatch, moderation, extensions), beside application work, at a constant
number of SQL statements."""

from __future__ import annotations

import httpx

from tests.appeals.conftest import (
    CENTRE,
    EXTEND,
    SIGN,
    URBAN,
    act,
    data_statements,
    file,
    resident,
    staff_token,
)
from tests.applications.conftest import HYGIENE, implementation, officers, submit, verified_resident
from tests.conftest import RunningApp
from tests.sql import count_statements

ITEMS = """
query($first: Int) { workItems(first: $first) { nodes {
  kind dueDate overdue application { number } task { id } appeal { number status category { name } }
} pageInfo { hasNextPage } } }
"""


async def test_a_department_sees_what_to_sign_for_and_reply_to(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    first = await file(seeded, program, channel="WEB_HALL")
    second = await file(seeded, program, channel="WEB_HALL")
    urban = await staff_token(seeded, URBAN)
    await act(seeded, SIGN, urban, appealId=second["id"])

    items = await seeded.gql.data(ITEMS, {}, token=urban)

    kinds = {n["appeal"]["number"]: n["kind"] for n in items["workItems"]["nodes"] if n["appeal"]}
    assert kinds == {first["number"]: "APPEAL_SIGN", second["number"]: "APPEAL_REPLY"}
    signing = next(n for n in items["workItems"]["nodes"] if n["kind"] == "APPEAL_SIGN")
    assert signing["dueDate"] == first["signDueDate"]
    assert signing["application"] is None


async def test_the_centre_sees_its_queue(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = await resident(seeded, wechat, "a")
    queued = await file(seeded, program, categoryCode="0404", content="停电了")
    held = await file(seeded, program, content="疑似有人占道经营")
    extended = await file(seeded, program)
    urban, centre = await staff_token(seeded, URBAN), await staff_token(seeded, CENTRE)
    await act(seeded, SIGN, urban, appealId=extended["id"])
    await act(seeded, EXTEND, urban, appealId=extended["id"], days=2, reason="需现场核查")

    items = await seeded.gql.data(ITEMS, {}, token=centre)

    kinds = {n["appeal"]["number"]: n["kind"] for n in items["workItems"]["nodes"] if n["appeal"]}
    assert kinds == {
        queued["number"]: "APPEAL_DISPATCH",
        held["number"]: "APPEAL_MODERATION",
        extended["number"]: "APPEAL_EXTENSION",
    }


async def test_appeals_and_applications_share_one_inbox_at_a_constant_cost(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    applicant = await verified_resident(seeded, wechat, "applicant")
    await submit(seeded, applicant)
    item = await implementation(HYGIENE)
    lead = (await officers(seeded, item))["lead"]
    program = await resident(seeded, wechat, "a")
    # The hygiene licence's department is 锦江区行政审批局; send it appeals too.
    from storage.models.catalogue import Department

    department = await Department.get(id=item.department_id)
    centre = await staff_token(seeded, CENTRE)
    from tests.appeals.conftest import DISPATCH

    for _ in range(6):
        queued = await file(
            seeded, program, categoryCode="0404", content="停电了", channel="WEB_HALL"
        )
        await act(seeded, DISPATCH, centre, appealId=queued["id"], departmentCode=department.code)

    with count_statements() as small:
        few = await seeded.gql.data(ITEMS, {"first": 2}, token=lead)
    with count_statements() as large:
        many = await seeded.gql.data(ITEMS, {"first": 7}, token=lead)

    kinds = [n["kind"] for n in many["workItems"]["nodes"]]
    assert kinds.count("ACCEPTANCE") == 1
    assert kinds.count("APPEAL_SIGN") == 6
    assert few["workItems"]["pageInfo"]["hasNextPage"] is True
    assert data_statements(large) == data_statements(small), large.texts
