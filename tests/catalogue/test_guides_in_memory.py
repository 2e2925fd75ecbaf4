"""Published guides kept in each process's memory: a guide read again costs no statement, a
publish in this process is read at once, one in another process once the version is checked
(at most a second later), a guide leaves at the end of its last valid day, and the memory is
bounded; each read gets rows of its own, and what is kept costs about its own size and
nothing to the garbage collector. The response cache is off here, so every answer is
computed."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, SafeUUID, uuid4

import httpx
import pytest

from resolvers.catalogue import guides as guides_module
from resolvers.catalogue import service
from resolvers.catalogue.guides import PublishedGuides
from resolvers.reference import VERSION_TTL_SECONDS
from storage.cache import bump_catalogue_version
from storage.models.catalogue import (
    Implementation,
    Material,
    MaterialSource,
    Necessity,
    PublicationStatus,
)
from tests.applications.conftest import verified_resident
from tests.catalogue.editing import guide_input, officer_of
from tests.catalogue.test_publish_implementation import OFFICE, draft, publish
from tests.conftest import RunningApp, postgres_only
from tests.processes import eventually
from tests.sql import count_statements

GUIDE = (
    "query Guide($code: String!) { service(code: $code) { code hours validUntil "
    "materials { name necessity } department { name } region { name } } }"
)


@pytest.fixture
def settings(settings_factory: Any) -> Any:
    return settings_factory(response_cache=False)


async def _guide(app: RunningApp, code: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await app.gql.data(GUIDE, {"code": code}))["service"]
    return found


async def _published_code(app: RunningApp) -> str:
    row = await Implementation.filter(status=PublicationStatus.PUBLISHED).order_by("code").first()
    assert row is not None
    return row.code


SEARCH = (
    "query Search($keyword: String!) { services(filter: {keyword: $keyword}, first: 20) "
    "{ nodes { code name hours region { name } } } }"
)


@postgres_only("statement counts are those of PostgreSQL (SQLite reads a guide in two)")
async def test_a_search_page_read_again_costs_no_statement(seeded: RunningApp) -> None:
    await seeded.gql.data(SEARCH, {"keyword": "结婚"})  # the index, for this version
    with count_statements() as first:
        computed = await seeded.gql.data(SEARCH, {"keyword": "身份证"})
    with count_statements() as again:
        answer = await seeded.gql.data(SEARCH, {"keyword": "身份证"})
    code = computed["services"]["nodes"][0]["code"]
    with count_statements() as guide:
        found = await _guide(seeded, code)  # its materials were never read

    assert computed["services"]["nodes"]
    assert (first.count, again.count, guide.count) == (1, 0, 1)
    assert answer == computed
    assert found is not None
    assert found["code"] == code


GUIDE_JSON = (
    "fee channels faqs { question answer } steps { name description } "
    "feeItems { name amountFen exemptions { code } } isFree"
)


async def test_a_search_page_kept_in_memory_shows_what_the_guide_shows(
    seeded: RunningApp,
) -> None:
    """A page's rows rebuilt from memory keep their JSON fields as text until read: asked for,
    the cards show them as the page read from the database and each guide show them."""
    search = (
        "query Search($keyword: String!) { services(filter: {keyword: $keyword}, first: 20) "
        f"{{ nodes {{ code {GUIDE_JSON} }} }} }}"
    )
    guide = f"query Guide($code: String!) {{ service(code: $code) {{ code {GUIDE_JSON} }} }}"
    read = (await seeded.gql.data(search, {"keyword": "身份证"}))["services"]["nodes"]
    with count_statements() as again:
        kept = (await seeded.gql.data(search, {"keyword": "身份证"}))["services"]["nodes"]
    guides = [(await seeded.gql.data(guide, {"code": n["code"]}))["service"] for n in read]

    assert again.count == 0
    assert any(n["faqs"] for n in read)
    assert any(n["feeItems"] for n in read)
    assert kept == read == guides


async def test_a_publish_in_this_process_reaches_the_search_page_at_once(
    seeded: RunningApp,
) -> None:
    token, department = await officer_of(seeded, OFFICE)
    code = (await draft(seeded, token, **guide_input(department.code, hours="9:00-17:00")))["code"]
    await publish(seeded, token, code)
    assert await _guide(seeded, code) is not None  # kept whole: the page must not reuse it
    keyword = (await Implementation.get(code=code, status=PublicationStatus.PUBLISHED)).name

    def hours(page: dict[str, Any]) -> list[str]:
        return [n["hours"] for n in page["services"]["nodes"] if n["code"] == code]

    before = hours(await seeded.gql.data(SEARCH, {"keyword": keyword}))
    await draft(seeded, token, **guide_input(department.code, hours="8:00-20:00"))
    await publish(seeded, token, code)
    after = hours(await seeded.gql.data(SEARCH, {"keyword": keyword}))

    assert before == ["9:00-17:00"]
    assert after == ["8:00-20:00"]


@postgres_only("statement counts are those of PostgreSQL (SQLite reads a guide in two)")
async def test_a_guide_read_again_costs_no_statement(seeded: RunningApp) -> None:
    code = await _published_code(seeded)
    with count_statements() as first:
        computed = await _guide(seeded, code)
    with count_statements() as again:
        answers = await asyncio.gather(*(_guide(seeded, code) for _ in range(8)))

    assert computed is not None
    assert computed["materials"]
    assert first.count >= 1  # the guide, and the region tree on a first request
    assert again.count == 0
    assert answers == [computed] * 8


async def test_a_publish_in_this_process_is_read_at_once(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, OFFICE)
    code = (await draft(seeded, token, **guide_input(department.code, hours="9:00-17:00")))["code"]
    await publish(seeded, token, code)
    before = await _guide(seeded, code)
    await draft(seeded, token, **guide_input(department.code, hours="8:00-20:00"))

    await publish(seeded, token, code)

    assert before is not None
    assert before["hours"] == "9:00-17:00"
    assert (await _guide(seeded, code) or {}).get("hours") == "8:00-20:00"


async def test_a_submission_applies_under_the_version_published_a_moment_before(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    """A submission takes the service from the guides kept in memory: one published in this
    process since the resident read the guide is the one they apply under."""
    token, department = await officer_of(seeded, OFFICE)
    first = guide_input(
        department.code,
        materials=[
            {"name": "经营场所照片", "necessity": "OPTIONAL", "source": "APPLICANT"},
        ],
    )
    code = (await draft(seeded, token, **first))["code"]
    await publish(seeded, token, code)
    program = await verified_resident(seeded, wechat, "applicant")
    assert (await _guide(seeded, code) or {}).get("materials") == [
        {"name": "经营场所照片", "necessity": "OPTIONAL"}
    ]  # now kept in this process's memory
    applied = await program.submit_application(code, [])
    assert applied["__typename"] == "Application", applied
    assert [m["name"] for m in applied["materials"]] == ["经营场所照片"]

    await draft(seeded, token, **(first | {"channels": ["SERVICE_HALL"]}))
    await publish(seeded, token, code)
    refused = await program.submit_application(code, [])

    # The latest version offers no mini-program channel: applying there is refused.
    assert (refused["__typename"], refused.get("code")) == (
        "SubmitApplicationError",
        "CHANNEL_NOT_ALLOWED",
    ), refused


async def test_a_change_another_process_made_is_read_once_the_version_is_checked(
    seeded: RunningApp,
) -> None:
    if seeded.settings.embedded_redis:
        pytest.skip("processes share the catalogue version through Redis")
    code = await _published_code(seeded)
    before = await _guide(seeded, code)
    # Another process's publish: the row changes, then the version moves.
    await Implementation.filter(code=code, status=PublicationStatus.PUBLISHED).update(
        hours="全天 0:00-24:00"
    )
    await bump_catalogue_version(seeded.resources.redis)

    async def new() -> bool:
        return (await _guide(seeded, code) or {}).get("hours") == "全天 0:00-24:00"

    await eventually(new, VERSION_TTL_SECONDS + 1, "the other process's change was read")
    assert before is not None
    assert before["hours"] != "全天 0:00-24:00"


async def test_a_guide_leaves_at_the_end_of_its_last_valid_day(
    seeded: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = await _published_code(seeded)
    today = service.today()
    await Implementation.filter(code=code, status=PublicationStatus.PUBLISHED).update(
        valid_until=today
    )
    on_the_day = await _guide(seeded, code)

    monkeypatch.setattr(service, "today", lambda: today + timedelta(days=1))

    assert on_the_day is not None
    assert on_the_day["validUntil"] == today.isoformat()
    assert await _guide(seeded, code) is None


# -- the memory itself, without a database


class _Version:
    def __init__(self) -> None:
        self.value = "v1"

    async def version(self) -> str:
        return self.value


REGION_ID, DEPARTMENT_ID = uuid4(), uuid4()


def _guide_rows(code: str) -> tuple[Implementation, list[Material]]:
    """A guide and a material as the database read gives them (the attributes that matter
    here: identifiers, enums, JSON, dates, text)."""
    row = Implementation.__new__(Implementation)
    vars(row).update(
        id=uuid4(),
        code=code,
        region_id=REGION_ID,
        department_id=DEPARTMENT_ID,
        name="居民身份证换领",
        status=PublicationStatus.PUBLISHED,
        steps=[{"name": "申请", "description": "持原证件"}, {"name": "受理"}],
        channels=["SERVICE_HALL", "MINI_PROGRAM"],
        fee_items=[{"name": "工本费", "amountFen": 2000}],
        valid_until=None,
        published_at=datetime(2026, 12, 6, 9, 0, tzinfo=UTC),
        _await_when_save={},
    )
    material = Material.__new__(Material)
    vars(material).update(
        id=uuid4(),
        implementation_id=row.id,
        name="原居民身份证",
        source=MaterialSource.APPLICANT,
        necessity=Necessity.REQUIRED,
        position=0,
    )
    return row, [material]


class _Loads:
    """A stand-in for the database read: counts the reads of each code."""

    def __init__(self, published: set[str]) -> None:
        self.published = published
        self.reads: list[str] = []

    def of(self, code: str) -> Any:
        async def load() -> Any:
            self.reads.append(code)
            return _guide_rows(code) if code in self.published else None

        return load


DAY = date(2026, 12, 6)


async def test_the_memory_keeps_the_most_recently_read_guides() -> None:
    guides = PublishedGuides(_Version(), entries=2)
    loads = _Loads({"a", "b", "c"})
    for code in ("a", "b", "a", "c", "a", "b"):
        await guides.get(code, DAY, loads.of(code))

    # "b" was the least recently read when "c" came; "a", read since, stayed.
    assert loads.reads == ["a", "b", "c", "b"]
    assert len(guides) == 2


async def test_a_code_with_nothing_published_is_read_each_time_and_not_kept() -> None:
    guides = PublishedGuides(_Version(), entries=8)
    loads = _Loads(set())
    for _ in range(3):
        assert await guides.get("made-up", DAY, loads.of("made-up")) is None

    assert loads.reads == ["made-up"] * 3
    assert len(guides) == 0


async def test_a_new_version_a_new_day_or_a_long_time_reads_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    version = _Version()
    guides = PublishedGuides(version, entries=8)
    loads = _Loads({"a"})
    clock = [1000.0]
    monkeypatch.setattr("resolvers.catalogue.guides.time.monotonic", lambda: clock[0])

    await guides.get("a", DAY, loads.of("a"))
    await guides.get("a", DAY, loads.of("a"))
    version.value = "v2"
    await guides.get("a", DAY, loads.of("a"))
    await guides.get("a", DAY + timedelta(days=1), loads.of("a"))
    clock[0] += guides_module.MAX_AGE_SECONDS - 1
    await guides.get("a", DAY + timedelta(days=1), loads.of("a"))  # still young enough
    clock[0] += 2
    await guides.get("a", DAY + timedelta(days=1), loads.of("a"))

    assert loads.reads == ["a"] * 4


async def test_a_read_overtaken_by_a_change_in_this_process_is_not_kept() -> None:
    guides = PublishedGuides(_Version(), entries=8)
    reads = []

    async def load_while_publishing() -> Any:
        reads.append("a")
        guides.forget()  # this process published while the read was on its way
        return _guide_rows("a")

    await guides.get("a", DAY, load_while_publishing)
    await guides.get("a", DAY, load_while_publishing)

    assert reads == ["a", "a"]


async def test_no_memory_reads_each_time() -> None:
    guides = PublishedGuides(_Version(), entries=0)
    loads = _Loads({"a"})
    for _ in range(3):
        await guides.get("a", DAY, loads.of("a"))

    assert loads.reads == ["a"] * 3


class _KeptGuide:
    """One guide, read once and so kept: `read` reads it again, from memory."""

    def __init__(self) -> None:
        self.guides = PublishedGuides(_Version(), entries=8)
        self.row, self.materials = _guide_rows("a")

    async def _load(self) -> Any:
        return self.row, self.materials

    async def read(self) -> tuple[Implementation, list[Material]]:
        found = await self.guides.get("a", DAY, self._load)
        assert found is not None
        return found


async def test_each_read_gets_the_guide_as_read_in_rows_of_its_own() -> None:
    kept = _KeptGuide()
    row, materials = kept.row, kept.materials
    await kept.read()
    first = await kept.read()
    first[0].steps.append({"name": "changed by one request"})
    first[1][0].name = "changed too"
    again = await kept.read()

    assert vars(again[0]) == vars(row)
    assert [vars(m) for m in again[1]] == [vars(m) for m in materials]
    assert again[0].status is PublicationStatus.PUBLISHED
    assert again[1][0].necessity is Necessity.REQUIRED
    assert isinstance(again[0].steps, list)
    assert again[0] is not first[0]
    # Identifiers come back as UUIDs that behave as the ones read: printed, hashed, compared.
    assert isinstance(again[0].id, UUID)
    assert str(again[0].id) == str(row.id)
    assert {row.id: "kept"}[again[0].id] == "kept"
    assert again[1][0].implementation_id == again[0].id
    assert again[0].id.is_safe is SafeUUID.unknown


async def test_rows_share_the_keys_of_reference_rows_and_nothing_of_their_own() -> None:
    """A region's or a department's key is one UUID however many rows name it. A guide's own
    id and its materials' are made afresh for each read, so that the keys shared stay as few
    as the reference rows, whatever guides the traffic reads."""
    kept = _KeptGuide()
    await kept.read()
    first = await kept.read()
    again = await kept.read()

    assert again[0].region_id == REGION_ID
    assert again[0].region_id is first[0].region_id
    assert again[0].department_id is first[0].department_id
    assert again[0].id == first[0].id
    assert again[0].id is not first[0].id
    assert again[1][0].id is not first[1][0].id
    assert again[1][0].implementation_id is not first[1][0].implementation_id


async def test_kept_guides_are_left_alone_by_the_garbage_collector() -> None:
    """A full collection walks every tracked object: kept as rows, each guide would add about
    twenty-five to every walk."""
    guides = PublishedGuides(_Version(), entries=1000)
    loads = _Loads({f"code-{n}" for n in range(500)})
    gc.collect()
    before = len(gc.get_objects())
    for n in range(500):
        await guides.get(f"code-{n}", DAY, loads.of(f"code-{n}"))
    loads.reads.clear()
    # Each collection that sees a tuple of plain values stops tracking it, and then the tuple
    # holding it, one level of nesting per collection.
    for _ in range(4):
        gc.collect()

    assert len(guides) == 500
    # Fewer than one new tracked object per guide kept (rows: about 25; the test's own
    # servers add a few meanwhile).
    assert len(gc.get_objects()) - before < len(guides)


async def test_a_kept_guide_costs_about_its_own_size() -> None:
    """What keeping adds per guide, beyond the values the rows already hold: a tuple of
    values and the short texts of its identifiers and JSON (JSON kept as orjson's bytes held
    a buffer of a kilobyte or more each, 270 MiB for 5,000 guides)."""
    guides = PublishedGuides(_Version(), entries=1000)
    loads = _Loads({f"code-{n}" for n in range(200)})
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for n in range(200):
            await guides.get(f"code-{n}", DAY, loads.of(f"code-{n}"))
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    kept = sum(
        difference.size_diff
        for difference in after.compare_to(before, "filename")
        if difference.traceback[0].filename == guides_module.__file__
    )

    assert 0 < kept / 200 < 2048


async def test_a_page_reads_only_the_rows_it_does_not_keep_under_their_own_ids() -> None:
    guides = PublishedGuides(_Version(), entries=8)
    a, b = _guide_rows("a")[0], _guide_rows("b")[0]
    newer_a = _guide_rows("a")[0]  # the same code published again: another row, another id
    read: list[list[Any]] = []

    def load(rows: list[Implementation]) -> Any:
        async def by_ids(ids: list[Any]) -> list[Implementation]:
            read.append(ids)
            return [r for r in rows if r.id in ids]

        return by_ids

    await guides.rows([a.id, b.id], "v1", DAY, load([a, b]))
    again = await guides.rows([a.id, b.id], "v1", DAY, load([a, b]))
    await guides.rows([newer_a.id], "v1", DAY, load([newer_a]))
    await guides.rows([a.id], "v1", DAY, load([a]))  # no longer the row kept for "a"

    assert read == [[a.id, b.id], [newer_a.id], [a.id]]
    assert {name: getattr(again[a.id], name) for name in vars(a)} == vars(a)
    assert again[a.id] is not a


async def test_a_page_row_decodes_its_json_only_when_read() -> None:
    guides = PublishedGuides(_Version(), entries=8)
    row = _guide_rows("a")[0]

    async def by_ids(ids: list[Any]) -> list[Implementation]:
        return [row]

    await guides.rows([row.id], "v1", DAY, by_ids)
    first = (await guides.rows([row.id], "v1", DAY, by_ids))[row.id]
    second = (await guides.rows([row.id], "v1", DAY, by_ids))[row.id]
    undecoded = {"steps", "channels", "fee_items"} - set(vars(first))

    assert undecoded == {"steps", "channels", "fee_items"}
    assert first.steps == row.steps
    assert "steps" in vars(first)  # decoded once, then an attribute like any other
    assert first.steps is not second.steps  # each read's lists are its own
    assert (first.channels, first.fee_items) == (row.channels, row.fee_items)
    with pytest.raises(AttributeError):
        _ = first.no_such_field  # type: ignore[attr-defined]
