"""Self-service terminals: registered by staff, signing in as TERMINAL devices."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from resolvers import policy
from resolvers.catalogue.drafts import Problems, TerminalData
from resolvers.catalogue.editing import catalogue_changed
from resolvers.catalogue.errors import CatalogueError, CatalogueErrorCode
from resolvers.catalogue.service import today
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.catalogue import RegionLevel, Terminal
from storage.repositories import accounts as account_repo
from storage.repositories import catalogue as repo
from storage.transactions import IntegrityError, atomic


@dataclass(frozen=True, slots=True)
class Registration:
    terminal: Terminal
    credential: str  # shown once; only its keyed hash is kept


async def register_terminal(
    resources: Resources, principal: Principal, data: TerminalData
) -> Registration:
    """ADMIN, or staff whose region scope holds the community, registers a terminal."""
    problems = Problems()
    data.validate(problems)
    if problems.items:
        raise CatalogueError(
            CatalogueErrorCode.INVALID_INPUT, problems.items[0].field, violations=problems.items
        )
    communities = await repo.regions_by_codes([data.community_code])
    if not communities or communities[0].level is not RegionLevel.COMMUNITY:
        raise CatalogueError(CatalogueErrorCode.UNKNOWN_REGION, "communityCode")
    community = communities[0]
    await policy.authorize(
        resources,
        principal,
        policy.Action.TERMINAL_REGISTER,
        policy.Subject(region_id=community.id),
        field="communityCode",
    )
    known = {i.code for i in await repo.published_by_codes(data.service_codes, today())}
    for index, code in enumerate(data.service_codes):
        if code not in known:
            raise CatalogueError(CatalogueErrorCode.NOT_FOUND, f"serviceCodes[{index}]")
    credential = "rbt_" + secrets.token_urlsafe(32)
    try:
        terminal = await create_terminal(
            data, community.id, resources.keyring.token_hash(credential)
        )
    except IntegrityError:
        raise CatalogueError(CatalogueErrorCode.TERMINAL_CODE_TAKEN, "code") from None
    await catalogue_changed(resources)
    return Registration(terminal, credential)


async def create_terminal(data: TerminalData, community_id: UUID, credential_hash: str) -> Terminal:
    """The terminal, its TERMINAL account and its services, in one transaction."""
    async with atomic():
        account = await account_repo.create_terminal_account(display_name=data.name)
        terminal = await repo.create_terminal(
            data.service_codes,
            code=data.code,
            name=data.name,
            community_id=community_id,
            placement=data.placement,
            address=data.address,
            latitude=data.latitude,
            longitude=data.longitude,
            hours=data.hours,
            account_id=account.id,
            credential_hash=credential_hash,
        )
    return terminal
