"""A serving process moves what its start loaded (reference data, the search index, the
dictionaries: hundreds of thousands of objects that live as long as it does) out of the
cyclic collector's generations, so that no full collection walks them while requests wait.
The tests' own apps are not frozen: the suite builds and drops hundreds of them."""

from __future__ import annotations

import gc
import warnings

from asgi_lifespan import LifespanManager

from api.app import create_app, serving
from resolvers.settings import Settings


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
