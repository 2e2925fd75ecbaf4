"""Third-party providers as the schema and other domains read them: the listing of social
services (overlay) and the providers, consents, delivery logs and nodes of reads, each scoped
to what the caller may see."""

from __future__ import annotations

from resolvers.providers.overlay import MAX_KEYWORD, ServiceListing, list_services
from resolvers.providers.reads import (
    consents,
    deliveries,
    providers,
    providers_of,
    readable_providers,
    readable_services,
)
from storage.repositories.providers import ServiceFilter

__all__ = [
    "MAX_KEYWORD",
    "ServiceFilter",
    "ServiceListing",
    "consents",
    "deliveries",
    "list_services",
    "providers",
    "providers_of",
    "readable_providers",
    "readable_services",
]
