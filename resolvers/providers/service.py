"""Third-party providers as the schema and other domains read them: the listing of social
services (overlay), the providers, consents, delivery logs and nodes of reads, and the open
invitations of a provider and of the caller's phone, each scoped to what the caller may see."""

from __future__ import annotations

from resolvers.providers.overlay import MAX_KEYWORD, ServiceListing, list_services
from resolvers.providers.reads import (
    consents,
    deliveries,
    my_invitations,
    open_invitations,
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
    "my_invitations",
    "open_invitations",
    "providers",
    "providers_of",
    "readable_providers",
    "readable_services",
]
