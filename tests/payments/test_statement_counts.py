"""Reading fees in lists costs the same number of SQL statements for one application as for
many: payments, their items, refunds and receipts come through DataLoaders."""

from __future__ import annotations

import httpx

from tests.conftest import RunningApp
from tests.payments.conftest import (
    REPLACEMENT,
    accept,
    apply_for,
    lead_officer,
    pay,
    resident_with_application,
)
from tests.sql import count_statements

MINE = (
    "{ myApplications(first: 50) { edges { node { number payment { amountFen status dueBy "
    "items { name amountFen exempt department { code } } refunds { amountFen status } "
    "receipts { number department { name } document { kind } } } } } } }"
)


async def _statements(running: RunningApp, token: str | None) -> int:
    with count_statements() as found:
        response = await running.gql(MINE, token=token)
    assert not response.errors, response.body
    return found.count


async def test_fees_in_a_list_cost_the_same_for_one_and_for_many(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, application_id = await resident_with_application(seeded, wechat, "many-fees")
    await accept(seeded, await lead_officer(seeded, application_id), application_id)
    await pay(seeded, wechat, program, application_id)
    one = await _statements(seeded, program.token)
    for _ in range(3):
        await apply_for(seeded, program, REPLACEMENT)
    many = await _statements(seeded, program.token)
    data = (await seeded.gql.data(MINE, token=program.token))["myApplications"]["edges"]
    assert len(data) == 4
    assert all(edge["node"]["payment"]["amountFen"] == 2000 for edge in data)
    assert many == one
