"""The staff's extra roles: an ADMIN grants and revokes them (audited), here or by the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from resolvers import policy
from resolvers.accounts import sessions
from resolvers.accounts.errors import AccountError, AccountErrorCode
from resolvers.accounts.service import is_staff
from resolvers.principal import ClientInfo, Principal
from resolvers.resources import Resources
from storage.cache import Redis
from storage.models.accounts import Account, Role
from storage.repositories import accounts as repo

# Roles given to named officers on top of STAFF. ADMIN is not among them: administrators are
# made with `rongban staff-add --admin`, by someone with access to the servers.
GRANTABLE = frozenset({Role.REVIEWER})


@dataclass(frozen=True, slots=True)
class RoleChange:
    account: Account
    changed: bool  # False: the account already had (or lacked) the role


async def change_role(
    resources: Resources,
    principal: Principal,
    raw_username: str,
    role: Role,
    *,
    grant: bool,
    client: ClientInfo,
) -> RoleChange:
    """ADMIN: gives a staff account `role`, or takes it away. The admin's roles are read
    afresh (not from the session cache), and a refusal is audited too."""
    action = policy.Action.STAFF_ROLE_GRANT if grant else policy.Action.STAFF_ROLE_REVOKE
    admin = await repo.by_id(principal.account_id) if principal.account_id else None
    fresh = (
        sessions.principal_of(admin, principal.session_id)
        if admin is not None and not admin.disabled
        else Principal(account_id=principal.account_id, roles=frozenset())
    )
    try:
        await policy.authorize(resources, fresh, action)
    except policy.Refused:
        await policy.audit_refusal(fresh, action, client.request_id)
        raise
    if role not in GRANTABLE:
        raise AccountError(AccountErrorCode.ROLE_NOT_GRANTABLE, "role")
    username = raw_username.strip().lower()
    if not username or len(username) > 64:
        raise AccountError(AccountErrorCode.INVALID_INPUT, "username")
    account = await repo.by_username(username)
    if account is None or not is_staff(account):
        raise AccountError(AccountErrorCode.UNKNOWN_STAFF_ACCOUNT, "username")
    assert admin is not None
    return await apply_role(
        resources.redis,
        account,
        role,
        grant=grant,
        actor_id=admin.id,
        request_id=client.request_id,
        now=resources.clock(),
    )


async def apply_role(
    redis: Redis,
    account: Account,
    role: Role,
    *,
    grant: bool,
    actor_id: UUID | None,
    request_id: str,
    now: datetime,
) -> RoleChange:
    """Changes the role (also for `rongban staff-role`), audits it, and makes the account's
    very next request carry its new roles, without signing it out."""
    before = await repo.set_role(account.id, role.value, present=grant)
    if before is None:
        raise AccountError(AccountErrorCode.UNKNOWN_STAFF_ACCOUNT, "username")
    changed = (role.value in before) != grant
    await repo.audit(
        "STAFF_ROLE_GRANTED" if grant else "STAFF_ROLE_REVOKED",
        success=True,
        actor_id=actor_id,
        detail=f"account {account.id} {role.value}" + ("" if changed else " (unchanged)"),
        request_id=request_id,
    )
    if changed:
        await sessions.drop_cached_principals(redis, [account.id], now)
    updated = await repo.by_id(account.id)
    assert updated is not None
    return RoleChange(account=updated, changed=changed)
