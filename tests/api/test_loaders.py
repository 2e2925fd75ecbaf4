"""The per-request loader registry builds a loader when a resolver first asks for it, once per
request, and every loader the registry declares can be built."""

from __future__ import annotations

import pytest
from strawberry.dataloader import DataLoader

from schema.loaders import Loaders, ProviderLoaders, _Lazy, create_loaders


def _declared(registry: type) -> set[str]:
    return {name for name in registry.__annotations__ if not name.startswith("_")}


@pytest.mark.parametrize("registry", [Loaders, ProviderLoaders])
def test_every_declared_loader_has_a_factory(registry: type[_Lazy]) -> None:
    assert _declared(registry) == set(registry._factories)


def test_a_request_builds_only_the_loaders_it_uses_and_each_once() -> None:
    loaders = create_loaders()
    assert not any(name in vars(loaders) for name in _declared(Loaders))
    region = loaders.region
    assert isinstance(region, DataLoader)
    assert loaders.region is region
    assert set(vars(loaders)) - {"_reference"} == {"region"}
    assert isinstance(loaders.providers.provider, DataLoader)
    # Two requests never share a loader: its cache holds rows one caller was allowed to see.
    assert create_loaders().region is not region


def test_an_unknown_loader_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        getattr(create_loaders(), "no_such_loader")  # noqa: B009
