"""A seeded app shared by the read-only catalogue tests of one module: seeding the demo
catalogue takes most of a second, and these tests change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import resolvers.reference
from api.seed import seed_demo
from resolvers.catalogue.service import catalogue_changed
from tests.conftest import RunningApp, ServerThread, loopback, make_settings, start_app


@pytest.fixture
def reference_current(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference data checked once stays current for the test: a test counting statements
    counts the same whether its requests come a millisecond or two seconds apart (once a
    second, the first request checks the version through the loaders). Its own TTL is tested
    in test_reference_without_awaiting.py."""
    monkeypatch.setattr(resolvers.reference, "VERSION_TTL_SECONDS", 3600.0)


@pytest.fixture(scope="module")
async def catalogue(
    database_url: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    mock_wechat_server: ServerThread,
) -> AsyncIterator[RunningApp]:
    async for app in seeded_catalogue(
        database_url, redis_url, tmp_path_factory, mock_wechat_server
    ):
        yield app


async def seeded_catalogue(
    database_url: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    mock_wechat_server: ServerThread,
    **overrides: Any,
) -> AsyncIterator[RunningApp]:
    """The app with the demo catalogue, with these settings overridden."""
    settings = make_settings(
        database_url=database_url,
        redis_url=redis_url,
        storage=tmp_path_factory.mktemp("objects"),
        wechat_url=mock_wechat_server.url,
        **overrides,
    )
    loopback.post(f"{mock_wechat_server.url}/__mock__/reset").raise_for_status()
    async for app in start_app(settings):
        await seed_demo(settings)
        # Seeded behind the running app's back: its warm index and caches are of the empty
        # catalogue, as after any change a process did not make itself.
        await catalogue_changed(app.resources)
        # As `seeded` does: the statements a test counts must not include this process's
        # one-off load of the reference data, which otherwise falls on whichever test of the
        # module a worker happens to run first.
        await app.resources.reference.warm()
        yield app
