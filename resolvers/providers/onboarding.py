"""Provider onboarding: a resident registers an organisation (and becomes its first member, an
OWNER), staff approve or reject it; approval gives every member the PROVIDER role at once.

A provider's status moves through the PROVIDERS machine (resolvers/workflow.py):

    PENDING ──approve──▶ APPROVED ──suspend──▶ SUSPENDED ──reinstate──▶ APPROVED
       └──reject──▶ REJECTED ──register (again, corrected)──▶ PENDING
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.accounts.service import sessions
from resolvers.notifications.service import enqueue_inbox
from resolvers.principal import Principal
from resolvers.providers import validation
from resolvers.providers.errors import ProviderError
from resolvers.providers.errors import ProviderErrorCode as Code
from resolvers.providers.webhooks import enqueue_event
from resolvers.resources import Resources
from resolvers.workflow import Machine, Rule, Table
from storage.cache import Keys, RedisError, hit_rate_limit
from storage.models.accounts import Role
from storage.models.providers import Provider, ProviderEventType, ProviderStatus, WebhookEvent
from storage.repositories import providers as repo
from storage.transactions import IntegrityError, atomic

log = logging.getLogger(__name__)


class Decision(StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"


class ProviderAction(StrEnum):
    REGISTER = "REGISTER"  # again, corrected, after a rejection
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    SUSPEND = "SUSPEND"
    REINSTATE = "REINSTATE"


P = ProviderStatus
PE = ProviderEventType
_REVIEW = (policy.Action.PROVIDER_REVIEW,)

PROVIDER_WORKFLOW: Table[P, ProviderAction, ProviderEventType] = Table(
    "provider",
    [
        Rule(P.PENDING, ProviderAction.APPROVE, P.APPROVED, PE.APPROVED, _REVIEW),
        Rule(P.PENDING, ProviderAction.REJECT, P.REJECTED, PE.REJECTED, _REVIEW),
        Rule(
            P.REJECTED,
            ProviderAction.REGISTER,
            P.PENDING,
            PE.REGISTERED,
            (policy.Action.PROVIDER_REGISTER,),
        ),
        Rule(
            P.APPROVED,
            ProviderAction.SUSPEND,
            P.SUSPENDED,
            PE.SUSPENDED,
            (policy.Action.PROVIDER_SUSPEND,),
        ),
        Rule(
            P.SUSPENDED,
            ProviderAction.REINSTATE,
            P.APPROVED,
            PE.REINSTATED,
            (policy.Action.PROVIDER_REINSTATE,),
        ),
    ],
    error=ProviderError,
    invalid_state=Code.INVALID_STATE,
    field="providerId",
    initial=[P.PENDING],
)


async def _staff_decides(
    resources: Resources, principal: Principal, action: policy.Action, provider: Any
) -> None:
    """Reviewers (and ADMIN) see every provider: the role decides."""
    await policy.authorize(resources, principal, action)
    if provider is None:
        raise ProviderError(Code.NOT_FOUND, "providerId")


async def _record(
    provider: Provider,
    type: ProviderEventType,
    status: P,
    *,
    at: datetime,
    actor_id: UUID | None = None,
    note: str = "",
) -> None:
    await repo.add_event(
        provider_id=provider.id,
        type=type,
        status=status.value,
        actor_id=actor_id,
        note=note,
        at=at,
    )


PROVIDERS: Machine[Provider, P, ProviderAction, ProviderEventType] = Machine(
    PROVIDER_WORKFLOW,
    lock=repo.lock_provider,
    compare_and_set=repo.move_provider,
    record=_record,
    authorize=_staff_decides,
    not_found=Code.NOT_FOUND,
    conflict=Code.CONFLICT,
)


@dataclass(frozen=True, slots=True)
class Registration:
    name: str
    credit_code: str
    contact_name: str
    contact_phone: str


async def limit(
    resources: Resources, bucket: str, subject: str, *, limit: int, window: int
) -> None:
    """One hit on a fixed-window limit; fails closed when Redis is away."""
    try:
        result = await hit_rate_limit(
            resources.redis, Keys.rate(bucket, subject), limit=limit, window=window
        )
    except RedisError:
        raise ProviderError(Code.SERVICE_UNAVAILABLE) from None
    if not result.allowed:
        raise ProviderError(Code.RATE_LIMITED, retry_after=max(result.retry_after, 1))


async def register(resources: Resources, principal: Principal, data: Registration) -> Provider:
    """Creates a PENDING provider with the caller as its first member. A rejected registrant
    may register the same credit code again with corrections: it goes back to PENDING."""
    # Residents only: officers review providers, they must not also act for one.
    await policy.authorize(resources, principal, policy.Action.PROVIDER_REGISTER)
    account_id = principal.account_id
    assert account_id is not None
    name = validation.organisation_name(data.name)
    code = validation.credit_code(data.credit_code)
    contact = validation.contact_name(data.contact_name)
    phone = validation.phone_number(data.contact_phone, "contact.phone")
    await limit(
        resources,
        "provider-register",
        str(account_id),
        limit=resources.settings.provider_registrations_per_day,
        window=86400,
    )
    keyring = resources.keyring
    fields = {
        "name": name,
        "contact_name_sealed": keyring.seal(contact, context="provider.contact_name"),
        "contact_name_masked": contact[0] + "*" * (len(contact) - 1),
        "contact_phone_sealed": keyring.seal(phone.digits, context="provider.contact_phone"),
        "contact_phone_masked": phone.masked,
    }
    now = resources.clock()
    try:
        async with atomic():
            existing = await repo.lock_provider_by_credit_code(code)
            if existing is not None:
                if (
                    existing.status is not ProviderStatus.REJECTED
                    or existing.created_by_id != account_id
                ):
                    raise ProviderError(Code.CREDIT_CODE_TAKEN, "creditCode")
                await PROVIDERS.apply(
                    existing,
                    ProviderAction.REGISTER,
                    by=policy.Action.PROVIDER_REGISTER,
                    at=now,
                    actor_id=account_id,
                    changes={
                        "review_reason": "",
                        "reviewed_at": None,
                        "reviewed_by_id": None,
                        **fields,
                    },
                    field="creditCode",
                )
                provider_id = existing.id
            else:
                created = await repo.create_provider(
                    credit_code=code, created_by_id=account_id, **fields
                )
                await repo.add_member(created.id, account_id, owner=True)
                provider_id = created.id
                await _record(
                    created, ProviderEventType.REGISTERED, P.PENDING, at=now, actor_id=account_id
                )
    except IntegrityError:
        # The same credit code registered by someone else a moment ago.
        raise ProviderError(Code.CREDIT_CODE_TAKEN, "creditCode") from None
    provider = await repo.provider_by_id(provider_id)
    assert provider is not None
    return provider


async def review(
    resources: Resources,
    principal: Principal,
    provider_id: UUID,
    decision: Decision,
    reason: str | None,
) -> Provider:
    """A reviewer decides on a PENDING provider; a rejection needs a reason the registrant
    reads."""
    await policy.authorize(resources, principal, policy.Action.PROVIDER_REVIEW)
    text = validation.clean_reason(reason, required=decision is Decision.REJECT)
    approve = decision is Decision.APPROVE
    target = ProviderStatus.APPROVED if approve else ProviderStatus.REJECTED
    now = resources.clock()
    members: list[UUID] = []

    async def tell(moved: Any) -> None:
        provider: Provider = moved.row
        members.extend(m.account_id for m in await repo.members_of([provider.id]))
        if approve:
            await repo.grant_role(members, Role.PROVIDER)
        await enqueue_inbox(
            key=f"provider:{provider.id}",
            now=now,
            topic="PROVIDER_REVIEW",
            title="服务机构审核通过" if approve else "服务机构审核未通过",
            body=(
                f"“{provider.name}”已通过审核，可以发布服务了。"
                if approve
                else f"“{provider.name}”未通过审核。原因：{text}"
            )[:200],
            subject_id=provider.id,
            account_ids=members,
        )
        await enqueue_event(
            provider.id,
            WebhookEvent.PROVIDER_REVIEWED,
            {"providerId": str(provider.id), "status": target.value, "reason": text},
            now=now,
        )

    await PROVIDERS.run(
        resources,
        principal,
        provider_id,
        ProviderAction.APPROVE if approve else ProviderAction.REJECT,
        at=now,
        note=text,
        changes={
            "review_reason": text,
            "reviewed_by_id": principal.account_id,
            "reviewed_at": now,
        },
        outbox=tell,
    )
    if approve:
        await sessions.refresh_principals(resources, members)
    reviewed = await repo.provider_by_id(provider_id)
    assert reviewed is not None
    return reviewed


async def authorize_member(
    resources: Resources,
    principal: Principal,
    action: policy.Action,
    provider_id: UUID | None,
    hidden: ProviderError,
) -> None:
    """The policy's answer for a member's `action` on something of provider `provider_id`
    (None: there is no such thing); `hidden` (NOT_FOUND) for anyone not acting for it, so that
    its existence is not revealed."""
    subject = await member_subject(provider_id) if provider_id is not None else None
    # Any member may see the provider's inside: an EDITOR trying an OWNER's action is
    # FORBIDDEN; whoever is no member learns nothing (NOT_FOUND).
    await policy.authorize_seen(
        resources,
        principal,
        action,
        subject,
        seen_by=policy.Action.PROVIDER_INSIDE_READ,
        hidden=hidden,
        field=hidden.field,
    )


async def member_subject(provider_id: UUID) -> policy.Subject:
    """What the policy needs to know about a provider: its members and its OWNERs."""
    members, owners = await repo.member_roles(provider_id)
    return policy.Subject(members=members, owners=owners)


async def acting_provider(
    resources: Resources,
    principal: Principal,
    provider_id: UUID | None,
    action: policy.Action,
    *,
    approved: bool = True,
) -> Provider:
    """The provider a member acts for: the one named, else their only one. NOT_FOUND for a
    provider they are no member of (its existence is not revealed); PROVIDER_SUSPENDED while
    staff have suspended it; PROVIDER_NOT_APPROVED before approval, unless `approved` is
    False."""
    if provider_id is None:
        # Their only provider: the look-up itself says they are a member of it.
        own = await repo.member_provider_ids(principal.account_id)
        if len(own) > 1:
            raise ProviderError(Code.PROVIDER_REQUIRED, "providerId")
        subject = await member_subject(own[0]) if own else policy.Subject()
        await policy.authorize(resources, principal, action, subject, field="providerId")
        provider_id = own[0]
    else:
        await authorize_member(
            resources, principal, action, provider_id, ProviderError(Code.NOT_FOUND, "providerId")
        )
    provider = await repo.provider_by_id(provider_id)
    if provider is None:
        raise ProviderError(Code.NOT_FOUND, "providerId")
    if provider.status is ProviderStatus.SUSPENDED:
        raise ProviderError(Code.PROVIDER_SUSPENDED, "providerId")
    if approved and provider.status is not ProviderStatus.APPROVED:
        raise ProviderError(Code.PROVIDER_NOT_APPROVED, "providerId")
    return provider
