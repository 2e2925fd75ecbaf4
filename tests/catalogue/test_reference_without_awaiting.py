"""A guide's and a card's region and department come from the process's reference data, and a
guide's materials from what its own statement primed, without awaiting a loader: graphql-core
then completes the guide, and every card of a page, without gathering awaitables. While the
reference data is due a version check, the loaders answer instead, with the same answer."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from strawberry.dataloader import DataLoader

import resolvers.reference
from schema.loaders import known_or_load, then
from storage.models.catalogue import Region, RegionLevel
from tests.conftest import RunningApp

GUIDE = (
    "query Guide($code: String!) { service(code: $code) { code name steps { name } "
    "materials { name necessity } department { name region { name } } region { name code } } }"
)
PAGE = (
    'query Page { services(filter: {regionCode: "510104"}, first: 20) '
    "{ nodes { code name department { name } region { name } } } }"
)


@pytest.fixture
async def current(catalogue: RunningApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference data checked now, and current for the test's length whatever its speed
    (its version is otherwise checked at most once a second)."""
    reference = catalogue.resources.reference
    reference.forget_version()
    await reference.warm()
    monkeypatch.setattr(resolvers.reference, "VERSION_TTL_SECONDS", 3600.0)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every key any DataLoader is asked to load."""
    asked: list[Any] = []
    load = DataLoader.load

    def counted(self: DataLoader[Any, Any], key: Any) -> Any:
        asked.append(key)
        return load(self, key)

    monkeypatch.setattr(DataLoader, "load", counted)
    return asked


async def test_guides_and_cards_need_no_loader_while_the_reference_data_is_current(
    catalogue: RunningApp, current: None, loads: list[Any]
) -> None:
    page = await catalogue.gql.data(PAGE)
    codes = [node["code"] for node in page["services"]["nodes"]]
    assert len(codes) > 1
    assert all(
        node["region"]["name"] and node["department"]["name"] for node in page["services"]["nodes"]
    )
    for code in codes[:3]:
        guide = (await catalogue.gql.data(GUIDE, {"code": code}))["service"]
        assert guide["code"] == code
        assert guide["materials"]
        assert guide["department"]["region"]["name"]

    assert loads == []


async def test_due_a_version_check_the_loaders_give_the_same_answers(
    catalogue: RunningApp, current: None, loads: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = await catalogue.gql.data(PAGE)
    code = page["services"]["nodes"][0]["code"]
    guide = await catalogue.gql.data(GUIDE, {"code": code})
    assert loads == []

    monkeypatch.setattr(resolvers.reference, "VERSION_TTL_SECONDS", 0.0)  # always due

    async def nothing_kept(key: str) -> None:
        return None

    # The same answers computed again, not the response cache's.
    cache = catalogue.resources.response_cache
    monkeypatch.setattr(cache, "local", lambda key: None)
    monkeypatch.setattr(cache, "get", nothing_kept)
    assert await catalogue.gql.data(PAGE) == page
    assert await catalogue.gql.data(GUIDE, {"code": code}) == guide
    assert loads  # the regions and departments went through the loaders


async def test_known_or_load_answers_without_awaiting_only_what_the_request_has() -> None:
    asked: list[list[str]] = []

    async def fetch(keys: list[str]) -> list[Any]:
        asked.append(keys)
        return [ValueError(key) if key == "bad" else key.upper() for key in keys]

    loader: DataLoader[str, str] = DataLoader(fetch)
    loader.prime("primed", "PRIMED")
    assert known_or_load(loader, "primed") == "PRIMED"

    later = known_or_load(loader, "a")
    assert not isinstance(later, str)
    assert await later == "A"
    assert known_or_load(loader, "a") == "A"  # loaded before in this request: now

    with pytest.raises(ValueError, match="bad"):
        await known_or_load(loader, "bad")  # type: ignore[misc]
    with pytest.raises(ValueError, match="bad"):  # a failed load is not a value
        await known_or_load(loader, "bad")  # type: ignore[misc]
    assert asked == [["a"], ["bad"]]


async def test_then_applies_now_or_after_awaiting() -> None:
    def tenfold(n: int) -> int:
        return n * 10

    assert then(2, tenfold) == 20

    async def two() -> int:
        return 2

    later = then(two(), tenfold)
    assert not isinstance(later, int)
    assert await later == 20


async def test_a_row_is_a_value_though_tortoise_models_are_awaitable() -> None:
    """Tortoise's models define `__await__`: the region a card's reference data holds must
    still be applied now, not wrapped in a coroutine that makes the page gather its cards."""
    row = Region(code="510104", name="锦江区", level=RegionLevel.COUNTY)
    assert isinstance(row, Awaitable)

    assert then(row, lambda region: region.name) == "锦江区"

    loader: DataLoader[str, Region] = DataLoader(load_fn=_regions_of)

    def name_of(region: Region) -> str:
        return region.name

    pending = then(loader.load("510104"), name_of)
    assert not isinstance(pending, str)
    assert await pending == "锦江区"


async def _regions_of(codes: list[str]) -> list[Region]:
    return [Region(code=code, name="锦江区", level=RegionLevel.COUNTY) for code in codes]
