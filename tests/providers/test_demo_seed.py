"""The demo providers: approved, their services published, marked as demo data, their links
as valid as a provider's own, and seeded once."""

from __future__ import annotations

from api.seed import DEMO_PROVIDERS, seed_demo_providers
from resolvers.providers import validation
from storage.models.providers import LinkKind, Provider, ProviderService
from tests.conftest import RunningApp
from tests.providers.conftest import LIST


async def test_demo_providers_are_seeded_once_and_marked_as_demo(seeded: RunningApp) -> None:
    settings = seeded.settings.model_copy(update={"demo_data": True})

    first = await seed_demo_providers(settings)
    again = await seed_demo_providers(settings)
    found = await seeded.gql.data(LIST, {"filter": {"keyword": "shuidian"}})
    housekeeping = await seeded.gql.data(LIST, {"filter": {"category": "HOUSEKEEPING"}})

    assert first == {"demoProviders": 4, "demoProviderServices": 4}
    assert again == {"demoProviders": 0}
    assert all(p.demo and "演示" in p.name for p in await Provider.all())
    names = {edge["node"]["name"] for edge in found["providerServices"]["edges"]}
    assert {"自来水过户（演示）", "电力过户（演示）"} <= names
    assert [e["node"]["name"] for e in housekeeping["providerServices"]["edges"]] == [
        "家政保洁预约（演示）"
    ]
    for service in await ProviderService.all():
        checked = validation.link(
            service.link_kind,
            service.link_target,
            service.link_app_id or None,
            seeded.settings.provider_h5_domains,
        )
        assert checked.target == service.link_target
        assert service.link_kind in LinkKind
    assert len(DEMO_PROVIDERS) == 4
