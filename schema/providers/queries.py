"""Provider queries: thin resolvers over the providers' service (resolvers/providers/service.py)."""

from __future__ import annotations

import strawberry

from resolvers.policy import Action
from resolvers.providers import service
from schema.authorised import authorised
from schema.context import Info
from schema.error_codes import PublicError
from schema.ids import node_uuid
from schema.pagination import PageInfo, connection_of, page_request
from schema.providers.types import (
    MY_INVITATIONS,
    MY_PROVIDERS,
    HandoffConsent,
    HandoffConsentConnection,
    Provider,
    ProviderConnection,
    ProviderFilter,
    ProviderInvitation,
    ProviderService,
    ProviderServiceConnection,
    ProviderServiceFilter,
)


def _cap(info: Info) -> int:
    return info.context.resources.settings.max_page_size


def _bad_cursor() -> PublicError:
    return PublicError("分页游标无效。", "BAD_USER_INPUT", field="after")


def _no_services() -> ProviderServiceConnection:
    return ProviderServiceConnection(
        edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
    )


@strawberry.type
class ProviderQuery:
    @strawberry.field(
        extensions=authorised(Action.READ_PUBLIC),
        description=(
            "Third parties' social services (not government items: see `services`). Anyone: "
            "published ones of approved providers; members also their own in any status; staff "
            "everything but drafts. By name, or ranked for a keyword; `first` at most 50."
        ),
    )
    async def provider_services(
        self,
        info: Info,
        filter: ProviderServiceFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ProviderServiceConnection:
        wanted = filter or ProviderServiceFilter()
        keyword = (wanted.keyword or "").strip()
        if len(keyword) > service.MAX_KEYWORD:
            raise PublicError("关键词过长。", "BAD_USER_INPUT", field="filter.keyword")
        request = page_request(first, after, cap=_cap(info), kind="o" if keyword else "k")
        provider_id = None
        if wanted.provider_id is not None:
            provider_id = node_uuid(wanted.provider_id, "Provider")
            if provider_id is None:
                return _no_services()
        theme_code = wanted.theme_code.strip().upper() if wanted.theme_code is not None else None
        try:
            found = await service.list_services(
                info.context.resources,
                info.context.principal,
                service.ServiceFilter(
                    provider_id=provider_id,
                    status=wanted.status,
                    category=wanted.category,
                    theme_code=theme_code,
                ),
                region_code=wanted.region_code,
                keyword=keyword or None,
                first=request.first,
                after=request.after,
            )
        except ValueError:
            raise _bad_cursor() from None
        if found is None:
            return _no_services()
        edges, page_info = connection_of(found.page, ProviderService.of, found.kind)
        return ProviderServiceConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.READ_OWN),
        directives=MY_PROVIDERS.directives,
        description=(
            MY_PROVIDERS.describe(
                "The providers the signed-in account acts for (any status), by name."
            )
        ),
    )
    async def my_providers(
        self, info: Info, first: int | None = MY_PROVIDERS.default
    ) -> list[Provider]:
        size = MY_PROVIDERS.size(first)
        rows = await service.providers_of(info.context.principal, size)
        return [Provider.of(row) for row in rows]

    @strawberry.field(
        extensions=authorised(Action.READ_OWN),
        directives=MY_INVITATIONS.directives,
        description=MY_INVITATIONS.describe(
            "Invitations to act for a provider made to the signed-in account's bound phone, "
            "not yet accepted nor expired, newest first; empty without a bound phone."
        ),
    )
    async def my_provider_invitations(
        self, info: Info, first: int | None = MY_INVITATIONS.default
    ) -> list[ProviderInvitation]:
        size = MY_INVITATIONS.size(first)
        rows = await service.my_invitations(info.context.resources, info.context.principal)
        return [ProviderInvitation.of(row) for row in rows[:size]]

    @strawberry.field(
        extensions=authorised(Action.PROVIDERS_LIST),
        description="Staff: providers, oldest first (status PENDING: the review queue).",
    )
    async def providers(
        self,
        info: Info,
        filter: ProviderFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ProviderConnection:
        request = page_request(first, after, cap=_cap(info))
        try:
            page = await service.providers(
                (filter or ProviderFilter()).status, first=request.first, after=request.after
            )
        except ValueError:
            raise _bad_cursor() from None
        edges, page_info = connection_of(page, Provider.of, request.kind)
        return ProviderConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        extensions=authorised(Action.READ_OWN),
        description="The resident's hand-off consents, newest first. `first` at most 50.",
    )
    async def my_consents(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> HandoffConsentConnection:
        request = page_request(first, after, cap=_cap(info))
        try:
            page = await service.consents(
                info.context.principal, first=request.first, after=request.after
            )
        except ValueError:
            raise _bad_cursor() from None
        if page is None:
            return HandoffConsentConnection(
                edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None)
            )
        now = info.context.resources.clock()
        edges, page_info = connection_of(
            page, lambda row: HandoffConsent.of(row, now), request.kind
        )
        return HandoffConsentConnection(edges=edges, page_info=page_info)
