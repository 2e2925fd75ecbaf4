"""Who is calling: the bearer token's principal, and whom budgets and limits count."""

from __future__ import annotations

from api.preparation import Caller
from resolvers.accounts import sessions
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.accounts import Role

# Staff, admins and providers run their own tools' documents, outside the residents' list.
_TRUSTED_ROLES = (Role.STAFF, Role.ADMIN, Role.PROVIDER)


async def principal_from_header(resources: Resources, header: str) -> Principal | None:
    """The principal of an `Authorization: Bearer …` value; None when it is not valid."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await sessions.authenticate(resources, token.strip())


def caller_of(principal: Principal, address: str) -> Caller:
    if principal.account_id is not None:
        return Caller(
            key=f"a:{principal.account_id}",
            signed_in=True,
            trusted=principal.has_any(_TRUSTED_ROLES),
        )
    return Caller(key=f"ip:{address}", signed_in=False, trusted=False)
