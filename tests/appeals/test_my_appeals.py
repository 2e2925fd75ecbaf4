"""myAppeals: the resident's own appeals, newest first, bounded pages, and a constant number
of SQL statements whatever the page size."""

from __future__ import annotations

import httpx

from tests.appeals.conftest import data_statements, file, resident
from tests.conftest import RunningApp
from tests.sql import count_statements

LIST = """
query($first: Int, $after: String, $status: AppealStatus) {
  myAppeals(first: $first, after: $after, filter: {status: $status}) {
    edges { cursor node {
      number status content category { name parent { name } } department { name }
      region { name } photos { id } replies { content } rating { level }
      events { type department { code } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_residents_see_only_their_own_appeals_newest_first(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    one, two = await resident(seeded, wechat, "a"), await resident(seeded, wechat, "b")
    mine = [await file(seeded, one, channel="WEB_HALL") for _ in range(3)]
    await file(seeded, two, channel="WEB_HALL")

    first_page = await seeded.gql.data(LIST, {"first": 2}, token=one.token)
    cursor = first_page["myAppeals"]["pageInfo"]["endCursor"]
    second_page = await seeded.gql.data(LIST, {"first": 2, "after": cursor}, token=one.token)

    numbers = [e["node"]["number"] for e in first_page["myAppeals"]["edges"]]
    numbers += [e["node"]["number"] for e in second_page["myAppeals"]["edges"]]
    assert numbers == [a["number"] for a in reversed(mine)]
    assert first_page["myAppeals"]["pageInfo"]["hasNextPage"] is True
    assert second_page["myAppeals"]["pageInfo"]["hasNextPage"] is False


async def test_the_status_filter_and_the_page_cap(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    await file(seeded, program, channel="WEB_HALL")
    await file(seeded, program, channel="WEB_HALL", categoryCode="0404", content="停电了")

    queued = await seeded.gql.data(LIST, {"status": "SUBMITTED"}, token=program.token)
    too_many = await seeded.gql(LIST, {"first": 51}, token=program.token)
    bad_cursor = await seeded.gql(LIST, {"after": "bm90LWEtY3Vyc29y"}, token=program.token)
    anonymous = await seeded.gql(LIST, {})

    assert [e["node"]["status"] for e in queued["myAppeals"]["edges"]] == ["SUBMITTED"]
    assert too_many.error_codes == ["BAD_USER_INPUT"]
    assert bad_cursor.error_codes == ["BAD_USER_INPUT"]
    assert anonymous.error_codes == ["UNAUTHENTICATED"]


async def test_the_list_costs_the_same_statements_for_2_and_for_8_appeals(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    from tests.appeals.conftest import photo

    picture = await photo(program)
    for _ in range(8):
        await file(seeded, program, channel="WEB_HALL", documentIds=[picture])

    with count_statements() as small:
        await seeded.gql.data(LIST, {"first": 2}, token=program.token)
    with count_statements() as large:
        await seeded.gql.data(LIST, {"first": 8}, token=program.token)

    assert data_statements(large) == data_statements(small), large.texts
