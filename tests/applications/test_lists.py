"""myApplications, workItems and notifications cost the same statements for any number of rows."""

from __future__ import annotations

import logging

import httpx

from api.outbox import dispatcher
from tests.applications.conftest import (
    ACCEPT,
    HYGIENE,
    hygiene_documents,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp


class _Statements(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def _statements(running: RunningApp, query: str, token: str) -> int:
    counter = _Statements()
    logger = logging.getLogger("tortoise.db_client")
    level = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        response = await running.gql(query, token=token)
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
    assert not response.errors, response.body
    return counter.count


MINE = (
    "{ myApplications(first: 50) { edges { node { number status overdue service { name } "
    "department { code } tasks { status department { name } } events { type } "
    "materials { state document { kind } } documents { kind } rating { level } } } } }"
)
WORK = (
    "{ workItems(first: 50) { edges { node { kind dueDate overdue application { number "
    "service { name } tasks { status } } task { status department { code } } } } } }"
)
INBOX = "{ notifications(first: 50) { edges { node { title body read subjectId } } } }"


async def test_lists_do_not_grow_with_their_rows(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    assert program.token is not None
    token = program.token
    tokens = await officers(seeded, await implementation(HYGIENE))
    documents = await hygiene_documents(program)

    async def apply(n: int) -> None:
        for _ in range(n):
            submitted = await submit(seeded, program, documentIds=documents)
            await seeded.gql.data(
                ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
            )
        await dispatcher(seeded.resources).drain()

    await apply(2)
    few = [
        await _statements(seeded, MINE, token),
        await _statements(seeded, WORK, tokens["lead"]),
        await _statements(seeded, INBOX, token),
    ]
    await apply(5)
    many = [
        await _statements(seeded, MINE, token),
        await _statements(seeded, WORK, tokens["lead"]),
        await _statements(seeded, INBOX, token),
    ]

    assert few == many, (few, many)
