"""The delegation lists cost the same number of SQL statements for few rows and for many:
myDelegations with each one's parties and trail, delegatedApplications with each one's
service name and timeline."""

from __future__ import annotations

import httpx

from tests.applications.conftest import hygiene_documents
from tests.conftest import RunningApp
from tests.delegation.conftest import ACCEPT, DELEGATED, call, grant, person, submit_as_agent
from tests.sql import count_statements

GIVEN = (
    "{ myDelegations(direction: GIVEN, first: 50) { nodes { id status inForce "
    "principal { nameMasked } agent { phoneMasked } events { type agent { phoneMasked } } } } }"
)


async def _cost(running: RunningApp, query: str, token: str, variables: dict | None = None) -> int:
    with count_statements() as statements:
        response = await running.gql(query, variables, token=token)
    assert not response.errors, response.errors
    return statements.count


async def test_delegation_lists_do_not_grow_with_their_rows(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    principal = await person(seeded, wechat, "mother")
    agents = [await person(seeded, wechat, f"child{n}") for n in range(4)]
    documents = await hygiene_documents(agents[0].program)

    async def delegate(agent_index: int, submissions: int) -> str:
        agent = agents[agent_index]
        given = await grant(seeded, principal, agent)
        await call(seeded, ACCEPT, {"delegationId": given["id"]}, agent.token)
        for _ in range(submissions):
            done = await submit_as_agent(seeded, agent.program, given["id"], documentIds=documents)
            assert done["__typename"] == "Application", done
        return str(given["id"])

    first = await delegate(0, 1)
    few = [
        await _cost(seeded, GIVEN, principal.token),
        await _cost(seeded, DELEGATED, principal.token, {"id": first}),
    ]
    for index in (1, 2, 3):
        await delegate(index, 0)
    await submit_as_agent(seeded, agents[0].program, first, documentIds=documents)
    await submit_as_agent(seeded, agents[0].program, first, documentIds=documents)
    many = [
        await _cost(seeded, GIVEN, principal.token),
        await _cost(seeded, DELEGATED, principal.token, {"id": first}),
    ]

    assert few == many, (few, many)
