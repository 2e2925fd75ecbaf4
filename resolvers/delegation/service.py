"""帮办代办: a resident (the principal) grants an agent a delegation of chosen items until a
day; the agent submits applications of those items for the principal and follows them while
the delegation is in force; the principal sees and revokes it. Community helpers (社区代办员)
are officers registered for a community, acting only for the residents on their register.

Decisions a resident would expect:
- an agent who is another resident must accept before acting (nobody becomes someone's agent
  without knowing it); a community helper's delegation is in force at once, because the
  community already put the resident on the helper's register;
- revocation takes effect at once: a submission locks the delegation row in its transaction
  and finds it revoked, and reads check it on every request;
- the applicant of an agent's application is the principal; the agent is recorded beside it
  and as the actor of its SUBMITTED event; every step on a delegation is in its trail with
  both sides named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.applications import service as applications
from resolvers.applications.errors import ApplicationError, ApplicationErrorCode
from resolvers.calendar.service import china_date
from resolvers.catalogue.service import published_service
from resolvers.delegation.errors import AgentSubmissionError, DelegationError
from resolvers.delegation.errors import DelegationErrorCode as Code
from resolvers.notifications.service import enqueue_inbox
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.accounts import Account, Role
from storage.models.applications import Application, EventType
from storage.models.catalogue import Channel, RegionLevel
from storage.models.delegation import (
    AgentKind,
    CommunityHelper,
    DelegatedApplication,
    Delegation,
    DelegationEventType,
    DelegationStatus,
    HelperClient,
)
from storage.repositories import applications as application_repo
from storage.repositories import delegation as repo
from storage.repositories.pagination import Page, Scalar
from storage.transactions import IntegrityError, atomic

MAX_SERVICES = 20  # items in one delegation
MAX_CODE = 96
MAX_DAYS = 366  # a delegation lasts at most about a year: long grants are forgotten grants
MAX_OPEN_GIVEN = 20  # pending or active delegations one resident has given
MAX_EVENTS = 100  # the trail of one delegation shown at once (a year of steps, in practice)
MAX_CLIENTS = 500  # residents on one helper's register
MAX_HELPERS = 50  # helpers of one community, listed at once
AGENT_SUBMIT_SCOPE = "submitApplicationAsAgent"
_SEPARATORS = re.compile(r"[\s\-()]")
_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")


class Direction(StrEnum):
    GIVEN = "GIVEN"  # the caller is the principal
    RECEIVED = "RECEIVED"  # the caller is the agent


def in_force(delegation: Delegation, today: date) -> bool:
    return delegation.status is DelegationStatus.ACTIVE and delegation.valid_until >= today


def _subject(owner_id: UUID) -> policy.Subject:
    return policy.Subject(owner_id=owner_id)


async def _readable(principal: Principal, delegation_id: UUID) -> Delegation:
    found = await repo.readable_one(principal, delegation_id)
    if found is None:
        raise DelegationError(Code.NOT_FOUND, "delegationId")
    return found


async def _event(
    delegation: Delegation,
    type: DelegationEventType,
    *,
    actor_id: UUID,
    at: datetime,
    application_id: UUID | None = None,
) -> None:
    await repo.add_event(
        delegation_id=delegation.id,
        type=type,
        at=at,
        actor_id=actor_id,
        principal_id=delegation.principal_id,
        agent_id=delegation.agent_id,
        application_id=application_id,
    )


async def _tell(
    delegation: Delegation, account_id: UUID, now: datetime, title: str, body: str, step: str
) -> None:
    await enqueue_inbox(
        key=f"delegation:{delegation.id}:{step}",
        now=now,
        topic="DELEGATION",
        title=title,
        body=body,
        subject_id=delegation.id,
        account_ids=[account_id],
    )


# -- checking input


async def clean_codes(codes: Sequence[str]) -> list[str]:
    """Item codes: 1 to MAX_SERVICES, each once, each a basic or an implementation code."""
    if not codes:
        raise DelegationError(Code.INVALID_INPUT, "serviceCodes")
    if len(codes) > MAX_SERVICES:
        raise DelegationError(Code.TOO_MANY_SERVICES, "serviceCodes")
    cleaned: list[str] = []
    for index, raw in enumerate(codes):
        code = raw.strip()
        if not 0 < len(code) <= MAX_CODE or not code.isprintable() or code in cleaned:
            raise DelegationError(Code.INVALID_INPUT, f"serviceCodes[{index}]")
        cleaned.append(code)
    known = await repo.known_item_codes(cleaned)
    for index, code in enumerate(cleaned):
        if code not in known:
            raise DelegationError(Code.UNKNOWN_SERVICE, f"serviceCodes[{index}]")
    return cleaned


def clean_until(valid_until: date, today: date) -> date:
    if not today <= valid_until <= today + timedelta(days=MAX_DAYS):
        raise DelegationError(Code.INVALID_VALID_UNTIL, "validUntil")
    return valid_until


def mobile_e164(raw: str, field: str) -> str:
    """A mainland mobile in the form accounts index their bound phone by (+86 and 11 digits):
    13800138000, +86 138 0013 8000 and 0086-13800138000 are the same number."""
    number = _SEPARATORS.sub("", raw) if len(raw) <= 32 else ""
    for prefix in ("+86", "0086", "86"):
        if number.startswith(prefix) and len(number) == 11 + len(prefix):
            number = number[len(prefix) :]
            break
    if not _MAINLAND_MOBILE.fullmatch(number):
        raise DelegationError(Code.INVALID_PHONE, field)
    return f"+86{number}"


def _verified(account: Account | None) -> bool:
    return account is not None and account.identity_verified_at is not None


# -- granting, accepting, revoking


async def grant(
    resources: Resources,
    principal: Principal,
    *,
    agent_phone: str | None,
    helper_id: UUID | None,
    service_codes: Sequence[str],
    valid_until: date,
) -> Delegation:
    """A delegation to a resident found by their bound phone (PENDING until they accept) or
    to a community helper whose register holds the caller (ACTIVE at once)."""
    await policy.authorize(resources, principal, policy.Action.DELEGATION_GRANT)
    principal_id = principal.account_id
    assert principal_id is not None
    if (agent_phone is None) == (helper_id is None):
        raise DelegationError(Code.AGENT_REQUIRED, "agentPhone")
    now = resources.clock()
    today = china_date(now)
    until = clean_until(valid_until, today)
    codes = await clean_codes(service_codes)
    if not _verified(await repo.account(principal_id)):
        raise DelegationError(Code.IDENTITY_NOT_VERIFIED)

    helper: CommunityHelper | None = None
    if agent_phone is not None:
        e164 = mobile_e164(agent_phone, "agentPhone")
        index = resources.keyring.blind_index(e164, purpose="phone")
        agent = await repo.account_by_phone_index(index)
        if agent is None or agent.disabled or Role.RESIDENT.value not in agent.roles:
            raise DelegationError(Code.AGENT_NOT_FOUND, "agentPhone")
        kind = AgentKind.RESIDENT
    else:
        assert helper_id is not None
        helper = await repo.helper(helper_id)
        if helper is None or await repo.registered_client(helper.id, principal_id) is None:
            # Not telling a resident off the register whether the helper exists.
            raise DelegationError(Code.NOT_ON_REGISTER, "helperId")
        agent = await repo.account(helper.account_id)
        if agent is None or agent.disabled:
            raise DelegationError(Code.NOT_ON_REGISTER, "helperId")
        kind = AgentKind.COMMUNITY_HELPER
    if agent.id == principal_id:
        raise DelegationError(Code.SELF_DELEGATION, "agentPhone")
    if await repo.count_open_given(principal_id, today) >= MAX_OPEN_GIVEN:
        raise DelegationError(Code.TOO_MANY_DELEGATIONS)

    active_at_once = kind is AgentKind.COMMUNITY_HELPER
    async with atomic():
        delegation = await repo.create(
            principal_id=principal_id,
            agent_id=agent.id,
            agent_kind=kind,
            helper_id=helper.id if helper else None,
            service_codes=codes,
            valid_until=until,
            status=DelegationStatus.ACTIVE if active_at_once else DelegationStatus.PENDING,
            granted_at=now,
            accepted_at=now if active_at_once else None,
        )
        await _event(delegation, DelegationEventType.GRANTED, actor_id=principal_id, at=now)
        await _tell(
            delegation,
            agent.id,
            now,
            "收到代办委托",
            "有居民委托您代为办理政务服务事项。"
            + ("委托已生效。" if active_at_once else "请在“我的委托”中确认接受。"),
            "granted",
        )
    return delegation


async def accept(resources: Resources, principal: Principal, delegation_id: UUID) -> Delegation:
    """The agent accepts a PENDING delegation that has not run out; it is then in force."""
    found = await _readable(principal, delegation_id)
    await policy.authorize(
        resources, principal, policy.Action.DELEGATION_ACCEPT, _subject(found.agent_id)
    )
    if not _verified(await repo.account(found.agent_id)):
        raise DelegationError(Code.IDENTITY_NOT_VERIFIED)
    now = resources.clock()
    async with atomic():
        delegation = await repo.lock(delegation_id)
        assert delegation is not None
        if delegation.status is not DelegationStatus.PENDING or delegation.valid_until < china_date(
            now
        ):
            raise DelegationError(Code.INVALID_STATE, "delegationId")
        await repo.update(delegation.id, status=DelegationStatus.ACTIVE, accepted_at=now)
        delegation.status, delegation.accepted_at = DelegationStatus.ACTIVE, now
        await _event(delegation, DelegationEventType.ACCEPTED, actor_id=found.agent_id, at=now)
        await _tell(
            delegation,
            delegation.principal_id,
            now,
            "代办委托已接受",
            "您的代办人已接受委托，可为您提交和跟进委托的事项。",
            "accepted",
        )
    return delegation


async def revoke(resources: Resources, principal: Principal, delegation_id: UUID) -> Delegation:
    """The principal ends the delegation at once: the agent can no longer submit or read.
    Revoking a revoked delegation changes nothing."""
    found = await _readable(principal, delegation_id)
    await policy.authorize(
        resources, principal, policy.Action.DELEGATION_REVOKE, _subject(found.principal_id)
    )
    now = resources.clock()
    async with atomic():
        delegation = await repo.lock(delegation_id)
        assert delegation is not None
        if delegation.status is DelegationStatus.REVOKED:
            return delegation
        await repo.update(delegation.id, status=DelegationStatus.REVOKED, revoked_at=now)
        delegation.status, delegation.revoked_at = DelegationStatus.REVOKED, now
        await _event(
            delegation, DelegationEventType.REVOKED, actor_id=delegation.principal_id, at=now
        )
        await _tell(
            delegation,
            delegation.agent_id,
            now,
            "代办委托已撤销",
            "委托人已撤销代办委托，您不能再为其提交或查看委托事项。",
            "revoked",
        )
    return delegation


# -- submitting as the agent


async def _still_registered(delegation: Delegation) -> bool:
    if delegation.helper_id is None:
        return True
    return await repo.registered_client(delegation.helper_id, delegation.principal_id) is not None


async def _delegated_item(delegation: Delegation, implementation: Any) -> bool:
    if implementation.code in delegation.service_codes:
        return True
    basic = await repo.basic_code_of(implementation.base_id)
    return basic is not None and basic in delegation.service_codes


async def submit_as_agent(
    resources: Resources,
    principal: Principal,
    *,
    delegation_id: UUID,
    service_code: str,
    region_code: str | None,
    form: Any,
    document_ids: Sequence[str],
    channel: Channel,
    idempotency_key: str | None,
) -> Application:
    """An application for the principal, by the agent, under the rules of an online
    submission: the form against the guide's schema, materials from the documents the agent
    names (their own uploads) and government-issued ones from the principal's wallet,
    idempotency by the agent's key. The delegation must be in force and name the item; it is
    locked while the application is written, so a revocation is never overtaken."""
    try:
        return await _submit_as_agent(
            resources,
            principal,
            delegation_id=delegation_id,
            service_code=service_code,
            region_code=region_code,
            form=form,
            document_ids=document_ids,
            channel=channel,
            idempotency_key=idempotency_key,
        )
    except (ApplicationError, DelegationError) as error:
        raise AgentSubmissionError.of(error) from None


async def _submit_as_agent(
    resources: Resources,
    principal: Principal,
    *,
    delegation_id: UUID,
    service_code: str,
    region_code: str | None,
    form: Any,
    document_ids: Sequence[str],
    channel: Channel,
    idempotency_key: str | None,
) -> Application:
    found = await _readable(principal, delegation_id)
    await policy.authorize(
        resources, principal, policy.Action.DELEGATION_SUBMIT, _subject(found.agent_id)
    )
    agent_id = found.agent_id
    owner_id = found.principal_id
    settings = resources.settings
    key = applications.clean_key(idempotency_key)
    digest = applications.request_hash(
        f"{delegation_id}:{service_code}", region_code, form, document_ids, channel
    )
    if key is not None:
        replay = await applications.replayed(agent_id, AGENT_SUBMIT_SCOPE, key, digest)
        if replay is not None:
            return replay

    now = resources.clock()
    if not in_force(found, china_date(now)) or not await _still_registered(found):
        raise DelegationError(Code.DELEGATION_NOT_IN_FORCE, "delegationId")
    await applications.require_real_name(owner_id)
    if found.agent_kind is AgentKind.RESIDENT:
        await applications.require_real_name(agent_id)
    applications.require_self_service(channel)
    service = await published_service(resources, service_code, region_code)
    if service is None:
        raise ApplicationError(ApplicationErrorCode.SERVICE_NOT_FOUND, "serviceCode")
    implementation, materials = service
    if not await _delegated_item(found, implementation):
        raise DelegationError(Code.SERVICE_NOT_DELEGATED, "serviceCode")
    if channel.value not in implementation.channels:
        raise ApplicationError(ApplicationErrorCode.CHANNEL_NOT_ALLOWED, "channel")
    form_text = applications.check_form(resources, form, implementation.form_schema)
    documents = await applications.chosen_documents(
        agent_id, document_ids, settings.application_max_documents
    )
    plan = await applications.plan_materials(owner_id, materials, documents)
    due = await applications.acceptance_due(
        china_date(now), settings.application_acceptance_days, 0
    )
    (number,) = await applications.reserve_numbers(now)
    try:
        async with atomic():
            delegation = await repo.lock(delegation_id)
            assert delegation is not None
            # Checked again under the lock: a revocation that committed meanwhile wins.
            if not in_force(delegation, china_date(now)):
                raise DelegationError(Code.DELEGATION_NOT_IN_FORCE, "delegationId")
            if key is not None and await application_repo.idempotency(
                agent_id, AGENT_SUBMIT_SCOPE, key
            ):
                raise applications.Replayed()
            application = await applications.create_submitted(
                resources,
                owner_id=owner_id,
                implementation=implementation,
                channel=channel,
                form_text=form_text,
                plan=plan,
                now=now,
                acceptance_due=due,
                number=number,
                actor_id=agent_id,
            )
            await repo.link_application(
                delegation_id=delegation.id,
                application_id=application.id,
                agent_id=agent_id,
                submitted_at=now,
            )
            await _event(
                delegation,
                DelegationEventType.SUBMITTED,
                actor_id=agent_id,
                at=now,
                application_id=application.id,
            )
            if key is not None:
                await applications.remember_key(
                    agent_id, AGENT_SUBMIT_SCOPE, key, digest, application.id
                )
    except (IntegrityError, applications.Replayed):
        if key is None:
            raise
        replay = await applications.replayed(agent_id, AGENT_SUBMIT_SCOPE, key, digest)
        if replay is None:
            raise
        return replay
    await applications.publish(
        resources,
        applications.StatusChange(application.id, EventType.SUBMITTED, application.status, now),
    )
    return application


# -- reading


async def mine(
    principal: Principal, direction: Direction, *, first: int, after: Sequence[Scalar] | None
) -> Page[Delegation]:
    """The delegations the caller gave (GIVEN) or received (RECEIVED), newest first.
    Raises ValueError for a cursor of another list."""
    account_id = principal.account_id
    assert account_id is not None
    if direction is Direction.GIVEN:
        return await repo.given(account_id, first=first, after=after)
    return await repo.received(account_id, first=first, after=after)


async def readable(principal: Principal, delegation_id: UUID) -> Delegation | None:
    return await repo.readable_one(principal, delegation_id)


@dataclass(frozen=True, slots=True)
class DelegatedPage:
    page: Page[DelegatedApplication]
    applications: dict[UUID, Application]


async def delegated_applications(
    resources: Resources,
    principal: Principal,
    delegation_id: UUID,
    *,
    first: int,
    after: Sequence[Scalar] | None,
) -> DelegatedPage | None:
    """The applications submitted under a delegation, newest first: for the principal
    always, for the agent only while it is in force (None: nothing to show)."""
    delegation = await repo.readable_one(principal, delegation_id)
    if delegation is None:
        return None
    if principal.account_id == delegation.agent_id and principal.account_id != (
        delegation.principal_id
    ):
        if not in_force(delegation, china_date(resources.clock())):
            return None
        if not await _still_registered(delegation):
            return None
    page = await repo.delegated_page(delegation.id, first=first, after=after)
    rows = await repo.applications([row.application_id for row in page.rows])
    return DelegatedPage(page=page, applications={row.id: row for row in rows})


# -- community helpers and their registers


def _community_subject(community_id: UUID) -> policy.Subject:
    return policy.Subject(region_id=community_id)


async def register_helper(
    resources: Resources, principal: Principal, *, community_code: str, username: str
) -> CommunityHelper:
    """Makes an officer account a 社区代办员 of a community; by staff whose region scope holds
    the community."""
    decision = await policy.gate(resources, principal, policy.Action.COMMUNITY_HELPER_REGISTER)
    if not decision.allowed:
        assert decision.code is not None
        raise policy.Refused(decision.code, policy.Action.COMMUNITY_HELPER_REGISTER)
    code = community_code.strip()
    community = await repo.region_by_code(code) if 0 < len(code) <= 12 else None
    if community is None or community.level is not RegionLevel.COMMUNITY:
        raise DelegationError(Code.NOT_A_COMMUNITY, "communityCode")
    await policy.authorize(
        resources,
        principal,
        policy.Action.COMMUNITY_HELPER_REGISTER,
        _community_subject(community.id),
        field="communityCode",
    )
    name = username.strip()
    account = await repo.account_by_username(name) if 0 < len(name) <= 64 else None
    if account is None or account.disabled or Role.STAFF.value not in account.roles:
        raise DelegationError(Code.NOT_STAFF, "username")
    if await repo.helper_of(community.id, account.id) is not None:
        raise DelegationError(Code.ALREADY_REGISTERED, "username")
    assert principal.account_id is not None
    try:
        return await repo.create_helper(
            community_id=community.id, account_id=account.id, registered_by_id=principal.account_id
        )
    except IntegrityError:
        raise DelegationError(Code.ALREADY_REGISTERED, "username") from None


async def _managed_helper(
    resources: Resources, principal: Principal, action: policy.Action, helper_id: UUID
) -> CommunityHelper:
    found = await repo.helper(helper_id)
    await policy.authorize_seen(
        resources,
        principal,
        action,
        _community_subject(found.community_id) if found else None,
        seen_by=action,
        hidden=DelegationError(Code.NOT_FOUND, "helperId"),
        field="helperId",
    )
    assert found is not None
    return found


async def add_client(
    resources: Resources, principal: Principal, *, helper_id: UUID, phone: str
) -> HelperClient:
    """Puts the resident holding `phone` on the helper's register (once)."""
    helper = await _managed_helper(
        resources, principal, policy.Action.COMMUNITY_HELPER_MANAGE, helper_id
    )
    e164 = mobile_e164(phone, "phone")
    resident = await repo.account_by_phone_index(
        resources.keyring.blind_index(e164, purpose="phone")
    )
    if resident is None or resident.disabled or Role.RESIDENT.value not in resident.roles:
        raise DelegationError(Code.AGENT_NOT_FOUND, "phone")
    assert principal.account_id is not None
    now = resources.clock()
    async with atomic():
        await repo.lock_helper(helper.id)  # one register change at a time: the cap holds
        if await repo.registered_client(helper.id, resident.id) is not None:
            raise DelegationError(Code.ALREADY_REGISTERED, "phone")
        if await repo.count_clients(helper.id) >= MAX_CLIENTS:
            raise DelegationError(Code.REGISTER_FULL, "helperId")
        return await repo.add_client(
            helper_id=helper.id,
            resident_id=resident.id,
            added_by_id=principal.account_id,
            added_at=now,
        )


async def remove_client(
    resources: Resources, principal: Principal, *, helper_id: UUID, client_id: UUID
) -> HelperClient:
    """Takes a resident off the register: the helper can no longer act for them, even under
    a delegation still in force. Removing twice changes nothing."""
    helper = await _managed_helper(
        resources, principal, policy.Action.COMMUNITY_HELPER_MANAGE, helper_id
    )
    assert principal.account_id is not None
    now = resources.clock()
    async with atomic():
        await repo.lock_helper(helper.id)
        entry = await repo.client(client_id)
        if entry is None or entry.helper_id != helper.id:
            raise DelegationError(Code.NOT_FOUND, "clientId")
        if entry.removed_at is None:
            await repo.remove_client(entry.id, by=principal.account_id, at=now)
            entry.removed_at, entry.removed_by_id = now, principal.account_id
    return entry


async def my_helpers(principal: Principal) -> list[CommunityHelper]:
    """The helpers whose register holds the caller: whom they can delegate to."""
    assert principal.account_id is not None
    return await repo.helpers_of_resident(principal.account_id, MAX_HELPERS)
