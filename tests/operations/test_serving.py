"""A serving process moves what its start loaded (reference data, the search index, the
dictionaries: hundreds of thousands of objects that live as long as it does) out of the
cyclic collector's generations, so that no full collection walks them while requests wait.
The tests' own apps are not frozen: the suite builds and drops hundreds of them."""

from __future__ import annotations

import gc
import re
import warnings

from asgi_lifespan import LifespanManager

from api.app import create_app, serving
from resolvers.settings import Settings
from tests.conftest import RunningApp, ServiceLog


async def test_a_serving_app_freezes_what_its_start_loaded(settings: Settings) -> None:
    gc.unfreeze()
    try:
        with warnings.catch_warnings():
            # Files other tests left open may be finalised by the collection the app runs here.
            warnings.simplefilter("ignore", ResourceWarning)
            plain = create_app(settings)
            async with LifespanManager(plain):
                assert gc.get_freeze_count() == 0
            app = serving(create_app(settings))
            async with LifespanManager(app):
                assert gc.get_freeze_count() > 10_000
                # Nothing of it is left for a collection to walk but what came after start.
                assert len(gc.get_objects()) < gc.get_freeze_count()
    finally:
        # The rest of the suite runs with nothing frozen.
        gc.unfreeze()


async def test_a_serving_app_asks_itself_a_search_and_a_guide_before_taking_traffic(
    seeded: RunningApp, service_log: ServiceLog
) -> None:
    """The first requests of a fresh process cost twice what later ones do: a serving
    process pays that itself, with the mini-program's search and the first answer's guide,
    logged as its own requests."""
    gc.unfreeze()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            async with LifespanManager(serving(create_app(seeded.settings))):
                log = service_log()
    finally:
        gc.unfreeze()

    search = re.search(
        r"\[warm-up-1\] 127\.0\.0\.1:0 \"POST /graphql HTTP/1\.1\" (\d+) (\d+)B", log
    )
    guide = re.search(r"\[warm-up-2\] 127\.0\.0\.1:0 \"POST /graphql HTTP/1\.1\" (\d+) (\d+)B", log)
    assert search is not None, log[-2000:]
    assert guide is not None, log[-2000:]
    assert search.group(1) == guide.group(1) == "200"
    assert int(guide.group(2)) > 1000  # a whole guide, not an error
    assert log.index("warm-up-2") < log.index("ready: process")
