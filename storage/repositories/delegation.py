"""Queries on delegations, community helpers and their registers, the applications agents
submitted, and the delegation trail (the only place they are written). Row scoping: a
delegation is readable by its principal and its agent (`readable_by`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import Q, Subquery

from storage.models.accounts import Account
from storage.models.applications import Application, ApplicationEvent
from storage.models.catalogue import BaseItem, Implementation, Region
from storage.models.delegation import (
    CommunityHelper,
    DelegatedApplication,
    Delegation,
    DelegationEvent,
    HelperClient,
)
from storage.repositories.pagination import Page, Scalar, keyset_page
from storage.repositories.readers import Reader

ORDER = ("-granted_at",)
APPLICATION_ORDER = ("-submitted_at",)


# -- scoping


def readable_by(reader: Reader) -> Q | None:
    """The principal and the agent of a delegation; None: nothing."""
    if reader.account_id is None:
        return None
    return Q(principal_id=reader.account_id) | Q(agent_id=reader.account_id)


async def readable_one(reader: Reader, delegation_id: UUID) -> Delegation | None:
    scope = readable_by(reader)
    if scope is None:
        return None
    return await Delegation.filter(scope, id=delegation_id).first()


# -- people


async def account(account_id: UUID) -> Account | None:
    return await Account.get_or_none(id=account_id)


async def accounts(account_ids: Sequence[UUID]) -> list[Account]:
    if not account_ids:
        return []
    return await Account.filter(id__in=list(set(account_ids)))


async def account_by_phone_index(phone_index: str) -> Account | None:
    return await Account.get_or_none(phone_index=phone_index)


async def account_by_username(username: str) -> Account | None:
    return await Account.get_or_none(username=username)


async def region_by_code(code: str) -> Region | None:
    return await Region.get_or_none(code=code)


async def regions(region_ids: Sequence[UUID]) -> list[Region]:
    if not region_ids:
        return []
    return await Region.filter(id__in=list(set(region_ids)))


# -- community helpers and their registers


async def helper(helper_id: UUID) -> CommunityHelper | None:
    return await CommunityHelper.get_or_none(id=helper_id)


async def helper_of(community_id: UUID, account_id: UUID) -> CommunityHelper | None:
    return await CommunityHelper.get_or_none(community_id=community_id, account_id=account_id)


async def helpers(helper_ids: Sequence[UUID]) -> list[CommunityHelper]:
    if not helper_ids:
        return []
    return await CommunityHelper.filter(id__in=list(set(helper_ids)))


async def helpers_of_community(community_id: UUID, limit: int) -> list[CommunityHelper]:
    return (
        await CommunityHelper.filter(community_id=community_id)
        .order_by("created_at", "id")
        .limit(limit)
    )


async def create_helper(**fields: Any) -> CommunityHelper:
    return await CommunityHelper.create(**fields)


async def lock_helper(helper_id: UUID) -> CommunityHelper | None:
    return await CommunityHelper.filter(id=helper_id).select_for_update().first()


async def registered_client(helper_id: UUID, resident_id: UUID) -> HelperClient | None:
    """The resident's live entry on the helper's register, if any."""
    return await HelperClient.filter(
        helper_id=helper_id, resident_id=resident_id, removed_at__isnull=True
    ).first()


async def clients(helper_id: UUID, limit: int) -> list[HelperClient]:
    return (
        await HelperClient.filter(helper_id=helper_id, removed_at__isnull=True)
        .order_by("added_at", "id")
        .limit(limit)
    )


async def count_clients(helper_id: UUID) -> int:
    return await HelperClient.filter(helper_id=helper_id, removed_at__isnull=True).count()


async def add_client(**fields: Any) -> HelperClient:
    return await HelperClient.create(**fields)


async def remove_client(client_id: UUID, *, by: UUID, at: datetime) -> None:
    await HelperClient.filter(id=client_id).update(removed_by_id=by, removed_at=at)


# -- delegations


async def create(**fields: Any) -> Delegation:
    return await Delegation.create(**fields)


async def lock(delegation_id: UUID) -> Delegation | None:
    return await Delegation.filter(id=delegation_id).select_for_update().first()


async def update(delegation_id: UUID, **changes: Any) -> None:
    await Delegation.filter(id=delegation_id).update(**changes)


async def count_open_given(principal_id: UUID, today: Any) -> int:
    return await Delegation.filter(
        principal_id=principal_id,
        status__in=["PENDING", "ACTIVE"],
        valid_until__gte=today,
    ).count()


async def given(
    principal_id: UUID, *, first: int, after: Sequence[Scalar] | None
) -> Page[Delegation]:
    return await keyset_page(
        Delegation.filter(principal_id=principal_id), order=ORDER, first=first, after=after
    )


async def received(
    agent_id: UUID, *, first: int, after: Sequence[Scalar] | None
) -> Page[Delegation]:
    return await keyset_page(
        Delegation.filter(agent_id=agent_id), order=ORDER, first=first, after=after
    )


async def add_event(**fields: Any) -> DelegationEvent:
    return await DelegationEvent.create(**fields)


async def trails_of(delegation_ids: Sequence[UUID]) -> list[DelegationEvent]:
    """The trail of each delegation, oldest first (a handful of steps: granted, accepted,
    one per submission, revoked)."""
    if not delegation_ids:
        return []
    return await DelegationEvent.filter(delegation_id__in=list(delegation_ids)).order_by(
        "delegation_id", "seq"
    )


# -- applications submitted under a delegation


async def link_application(**fields: Any) -> DelegatedApplication:
    return await DelegatedApplication.create(**fields)


async def delegated_page(
    delegation_id: UUID, *, first: int, after: Sequence[Scalar] | None
) -> Page[DelegatedApplication]:
    return await keyset_page(
        DelegatedApplication.filter(delegation_id=delegation_id),
        order=APPLICATION_ORDER,
        first=first,
        after=after,
    )


async def delegated_one(delegation_id: UUID, application_id: UUID) -> DelegatedApplication | None:
    return await DelegatedApplication.get_or_none(
        delegation_id=delegation_id, application_id=application_id
    )


async def delegated_of(application_ids: Sequence[UUID]) -> list[DelegatedApplication]:
    if not application_ids:
        return []
    return await DelegatedApplication.filter(application_id__in=list(application_ids))


async def applications(application_ids: Sequence[UUID]) -> list[Application]:
    if not application_ids:
        return []
    return await Application.filter(id__in=list(application_ids))


async def application_events(application_ids: Sequence[UUID]) -> list[ApplicationEvent]:
    if not application_ids:
        return []
    return await ApplicationEvent.filter(application_id__in=list(application_ids)).order_by(
        "application_id", "seq"
    )


async def implementation_names(implementation_ids: Sequence[UUID | None]) -> dict[UUID, str]:
    ids = list({i for i in implementation_ids if i is not None})
    if not ids:
        return {}
    rows = await Implementation.filter(id__in=ids).values("id", "name")
    return {row["id"]: row["name"] for row in rows}


async def known_item_codes(codes: Sequence[str]) -> set[str]:
    """Which of `codes` name an item: a basic code (every region's implementation of it) or
    an implementation code."""
    if not codes:
        return set()
    basic = await BaseItem.filter(basic_code__in=list(codes)).values_list("basic_code", flat=True)
    implemented = await Implementation.filter(code__in=list(codes)).values_list("code", flat=True)
    return {str(c) for c in [*basic, *implemented]}


async def basic_code_of(base_id: UUID) -> str | None:
    base = await BaseItem.get_or_none(id=base_id)
    return base.basic_code if base else None


async def client(client_id: UUID) -> HelperClient | None:
    return await HelperClient.get_or_none(id=client_id)


async def helpers_of_resident(resident_id: UUID, limit: int) -> list[CommunityHelper]:
    helper_ids = HelperClient.filter(resident_id=resident_id, removed_at__isnull=True).values(
        "helper_id"
    )
    return (
        await CommunityHelper.filter(id__in=Subquery(helper_ids))
        .order_by("created_at", "id")
        .limit(limit)
    )
