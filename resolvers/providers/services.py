"""Providers' services and their lifecycle as an explicit table: providers write drafts and
submit them, staff publish or reject them (with a reason) and may suspend published ones.

    DRAFT ──submit──▶ SUBMITTED ──approve──▶ PUBLISHED ──suspend──▶ SUSPENDED
                           └──reject (staff, or WeChat's check)──▶ REJECTED
    any status ──update──▶ DRAFT   (a changed service is reviewed again before residents see it)

Every transition goes through the SERVICES machine (resolvers/workflow.py): it locks the row,
compare-and-sets the status, writes its event and its outbox rows (webhooks, inbox) in one
transaction; residents' cached answers are dropped after commit when visibility changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.catalogue.service import catalogue_changed
from resolvers.ids import global_id
from resolvers.notifications.service import enqueue_inbox
from resolvers.outbox.service import Handler, Retry
from resolvers.principal import Principal
from resolvers.providers import content, onboarding, validation
from resolvers.providers.errors import ProviderError
from resolvers.providers.errors import ProviderErrorCode as Code
from resolvers.providers.onboarding import Decision
from resolvers.providers.webhooks import enqueue_event
from resolvers.resources import Resources
from resolvers.workflow import Machine, Rule, Table
from storage.models.outbox import OutboxMessage
from storage.models.providers import (
    ContentCheck,
    LinkKind,
    ProviderCategory,
    ProviderEventType,
    ProviderService,
    ProviderServiceStatus,
    WebhookEvent,
)
from storage.repositories import catalogue as catalogue_repo
from storage.repositories import outbox as outbox_repo
from storage.repositories import providers as repo
from storage.transactions import atomic

S = ProviderServiceStatus
MAX_THEMES = 5
MAX_REGIONS = 30
CONTENT_CHECK = "provider.content_check"
RISKY_REASON = "内容安全检测未通过，请修改服务名称或介绍后重新提交。"


class Action(StrEnum):
    SUBMIT = "SUBMIT"
    APPROVE = "APPROVE"
    REJECT = "REJECT"
    SUSPEND = "SUSPEND"
    UPDATE = "UPDATE"


E = ProviderEventType
_SUBMIT = (policy.Action.PROVIDER_SERVICE_SUBMIT,)
_REVIEW = (policy.Action.PROVIDER_SERVICE_REVIEW,)
_SUSPEND = (policy.Action.PROVIDER_SERVICE_SUSPEND,)
_UPDATE = (policy.Action.PROVIDER_SERVICE_UPDATE,)

PROVIDER_SERVICE_WORKFLOW: Table[S, Action, ProviderEventType] = Table(
    "provider service",
    [
        Rule(S.DRAFT, Action.SUBMIT, S.SUBMITTED, E.SERVICE_SUBMITTED, _SUBMIT),
        Rule(S.SUBMITTED, Action.APPROVE, S.PUBLISHED, E.SERVICE_PUBLISHED, _REVIEW),
        # WeChat's check rejects risky text by itself, as a reviewer would.
        Rule(S.SUBMITTED, Action.REJECT, S.REJECTED, E.SERVICE_REJECTED, _REVIEW, system=True),
        Rule(S.PUBLISHED, Action.SUSPEND, S.SUSPENDED, E.SERVICE_SUSPENDED, _SUSPEND),
        # A changed service is reviewed again before residents see it, whatever it was.
        *(Rule(status, Action.UPDATE, S.DRAFT, E.SERVICE_UPDATED, _UPDATE) for status in S),
    ],
    error=ProviderError,
    invalid_state=Code.INVALID_STATE,
    field="serviceId",
    initial=[S.DRAFT],
)


async def _reviewed(
    resources: Resources, principal: Principal, action: policy.Action, service: Any
) -> None:
    """Staff see every service but drafts, which stay the provider's own."""
    await policy.authorize(resources, principal, action)
    if service is None or service.status is S.DRAFT:
        raise ProviderError(Code.NOT_FOUND, "serviceId")


async def _record(
    service: ProviderService,
    type: ProviderEventType,
    status: S,
    *,
    at: Any,
    actor_id: UUID | None = None,
    api_key_id: UUID | None = None,
    note: str = "",
) -> None:
    await repo.add_event(
        provider_id=service.provider_id,
        service_id=service.id,
        type=type,
        status=status.value,
        actor_id=actor_id,
        api_key_id=api_key_id,
        note=note,
        at=at,
    )


SERVICES: Machine[ProviderService, S, Action, ProviderEventType] = Machine(
    PROVIDER_SERVICE_WORKFLOW,
    lock=repo.lock_service,
    compare_and_set=repo.move_service,
    record=_record,
    authorize=_reviewed,
    not_found=Code.NOT_FOUND,
    conflict=Code.CONFLICT,
)


@dataclass(frozen=True, slots=True)
class ProviderActor:
    """Who acts for a provider: a member the policy allowed (onboarding.acting_provider), or
    one of its systems (an API key with the scope, api/providers.py)."""

    provider_id: UUID
    account_id: UUID | None = None
    api_key_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class LinkData:
    kind: LinkKind
    target: str
    app_id: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceData:
    """A new service (all of name, description, regionCodes, link) or the changes to one
    (None: unchanged)."""

    name: str | None = None
    description: str | None = None
    category: ProviderCategory | None = None
    theme_codes: Sequence[str] | None = None
    region_codes: Sequence[str] | None = None
    for_persons: bool | None = None
    for_organisations: bool | None = None
    opening_hours: str | None = None
    link: LinkData | None = None


@dataclass(slots=True)
class _Checked:
    fields: dict[str, Any]
    theme_codes: list[str] | None
    region_ids: list[UUID] | None


async def _checked(resources: Resources, data: ServiceData) -> _Checked:
    fields: dict[str, Any] = {}
    if data.name is not None:
        fields["name"] = validation.clean_text(
            data.name, shortest=2, longest=40, field="name", code=Code.INVALID_NAME
        )
    if data.description is not None:
        fields["description"] = validation.clean_text(
            data.description,
            shortest=10,
            longest=1000,
            field="description",
            code=Code.INVALID_DESCRIPTION,
        )
    if data.opening_hours is not None:
        fields["opening_hours"] = (
            validation.clean_text(
                data.opening_hours, longest=100, field="openingHours", code=Code.INVALID_HOURS
            )
            if data.opening_hours.strip()
            else ""
        )
    if data.category is not None:
        fields["category"] = data.category
    if data.for_persons is not None:
        fields["for_persons"] = data.for_persons
    if data.for_organisations is not None:
        fields["for_organisations"] = data.for_organisations
    if data.link is not None:
        link = validation.link(
            data.link.kind,
            data.link.target,
            data.link.app_id,
            resources.settings.provider_h5_domains,
        )
        fields.update(link_kind=link.kind, link_target=link.target, link_app_id=link.app_id)
    themes = None
    if data.theme_codes is not None:
        themes = list(dict.fromkeys(code.strip().upper() for code in data.theme_codes))
        if len(themes) > MAX_THEMES:
            raise ProviderError(Code.TOO_MANY_ITEMS, "themeCodes")
        known = await repo.existing_theme_codes(themes) if themes else set()
        for index, code in enumerate(themes):
            if code not in known:
                raise ProviderError(Code.UNKNOWN_THEME, f"themeCodes[{index}]")
    regions = None
    if data.region_codes is not None:
        codes = list(dict.fromkeys(code.strip() for code in data.region_codes))
        if not codes:
            raise ProviderError(Code.UNKNOWN_REGION, "regionCodes")
        if len(codes) > MAX_REGIONS:
            raise ProviderError(Code.TOO_MANY_ITEMS, "regionCodes")
        plausible = [c for c in codes if 0 < len(c) <= 12 and c.isalnum()]
        found = {r.code: r for r in await catalogue_repo.regions_by_codes(plausible)}
        regions = []
        for index, code in enumerate(codes):
            region = found.get(code)
            if region is None or region.retired:
                raise ProviderError(Code.UNKNOWN_REGION, f"regionCodes[{index}]")
            regions.append(region.id)
    return _Checked(fields=fields, theme_codes=themes, region_ids=regions)


def _text_changed(service: ProviderService | None, fields: dict[str, Any]) -> bool:
    if service is None:
        return True
    return any(
        name in fields and fields[name] != getattr(service, name)
        for name in ("name", "description", "opening_hours")
    )


async def _openids(provider_id: UUID, first: UUID | None) -> list[str]:
    """The acting member's openid first, then the other members' (owner first)."""
    members = [m.account_id for m in await repo.members_of([provider_id])]
    if first is not None and first in members:
        members = [first, *(m for m in members if m != first)]
    found = await repo.openids_of(members)
    return [found[m] for m in members if m in found]


async def _content_verdict(
    resources: Resources, actor: ProviderActor, text: str, *, everyone: bool
) -> content.Verdict:
    """`everyone`: any member's recent visit will do (at submission); otherwise only the
    acting member's own (while writing the draft)."""
    openids = await _openids(actor.provider_id, actor.account_id)
    if not everyone:
        own = await repo.openids_of([actor.account_id]) if actor.account_id else {}
        openids = list(own.values())
    verdict = await content.check(resources, text, openids)
    if verdict.risky:
        raise ProviderError(Code.CONTENT_RISKY)
    return verdict


def _check_fields(verdict: content.Verdict) -> dict[str, Any]:
    return {
        "content_check": verdict.check,
        "content_label": verdict.label,
        "content_trace_id": verdict.trace_id,
    }


async def _own(actor: ProviderActor, service_id: UUID) -> ProviderService:
    service = await repo.service_by_id(service_id)
    if service is None or service.provider_id != actor.provider_id:
        raise ProviderError(Code.NOT_FOUND, "serviceId")
    return service


# -- the provider's side


async def create(resources: Resources, actor: ProviderActor, data: ServiceData) -> ProviderService:
    """A DRAFT. Its name and description go through WeChat's check first: risky text is
    refused outright; text WeChat could not judge yet is checked again at submission."""
    if data.name is None or data.description is None or data.link is None:
        raise ProviderError(Code.INVALID_INPUT)
    if data.region_codes is None:
        raise ProviderError(Code.UNKNOWN_REGION, "regionCodes")
    checked = await _checked(resources, data)
    fields = checked.fields
    fields.setdefault("category", ProviderCategory.OTHER)
    fields.setdefault("for_persons", True)
    if not fields.get("for_persons") and not fields.get("for_organisations"):
        raise ProviderError(Code.INVALID_INPUT, "audiences")
    verdict = await _content_verdict(
        resources,
        actor,
        content.text_of(fields["name"], fields["description"], fields.get("opening_hours", "")),
        everyone=False,
    )
    now = resources.clock()
    async with atomic():
        await repo.lock_provider(actor.provider_id)  # the service count is exact under it
        if await repo.count_services(actor.provider_id) >= resources.settings.provider_max_services:
            raise ProviderError(Code.TOO_MANY_SERVICES)
        service = await repo.create_service(
            {**fields, **_check_fields(verdict), "provider_id": actor.provider_id},
            checked.theme_codes or [],
            checked.region_ids or [],
        )
        await _record(
            service,
            ProviderEventType.SERVICE_CREATED,
            S.DRAFT,
            at=now,
            actor_id=actor.account_id,
            api_key_id=actor.api_key_id,
        )
    return service


async def update(
    resources: Resources, actor: ProviderActor, service_id: UUID, data: ServiceData
) -> ProviderService:
    """Changes a service and puts it back to DRAFT: whatever it was, a changed service is
    reviewed again before residents see it (a published one leaves their lists until then)."""
    before = await _own(actor, service_id)
    checked = await _checked(resources, data)
    fields = checked.fields
    if "for_persons" in fields or "for_organisations" in fields:
        persons = fields.get("for_persons", before.for_persons)
        organisations = fields.get("for_organisations", before.for_organisations)
        if not persons and not organisations:
            raise ProviderError(Code.INVALID_INPUT, "audiences")
    if _text_changed(before, fields):
        verdict = await _content_verdict(
            resources,
            actor,
            content.text_of(
                fields.get("name", before.name),
                fields.get("description", before.description),
                fields.get("opening_hours", before.opening_hours),
            ),
            everyone=False,
        )
        fields.update(_check_fields(verdict))
    now = resources.clock()

    async def own(service: ProviderService) -> dict[str, Any]:
        if service.provider_id != actor.provider_id:
            raise ProviderError(Code.NOT_FOUND, "serviceId")
        if _text_changed(service, fields) and "content_check" not in fields:
            raise ProviderError(Code.CONFLICT, "serviceId")  # changed under us: check again
        await repo.replace_links(service.id, checked.theme_codes, checked.region_ids)
        return {**fields, "review_reason": "", "submitted_at": None}

    # The provider's side: who acts was settled before (a member the policy allowed, or a
    # key with the scope), so the machine asks no policy; the service must be its own.
    moved, _ = await SERVICES.run(
        resources,
        None,
        service_id,
        Action.UPDATE,
        at=now,
        by=policy.Action.PROVIDER_SERVICE_UPDATE,
        actor_id=actor.account_id,
        prepare=own,
        api_key_id=actor.api_key_id,
    )
    if moved.source is S.PUBLISHED:
        await catalogue_changed(resources)
    return await _fresh(service_id)


async def submit(resources: Resources, actor: ProviderActor, service_id: UUID) -> ProviderService:
    """For review. A draft whose text WeChat has not judged is checked now with any member's
    recent visit; WeChat down: it is submitted, checked again later, and cannot be published
    before that."""
    before = await _own(actor, service_id)
    PROVIDER_SERVICE_WORKFLOW.rule(before.status, Action.SUBMIT)
    verdict = None
    if before.content_check in (ContentCheck.PENDING, ContentCheck.UNCHECKED):
        verdict = await _content_verdict(
            resources,
            actor,
            content.text_of(before.name, before.description, before.opening_hours),
            everyone=True,
        )
    now = resources.clock()
    changes: dict[str, Any] = {"submitted_at": now, "review_reason": ""}
    if verdict is not None:
        changes.update(_check_fields(verdict))
    async with atomic():
        # Lock and apply rather than run: what is submitted must be the draft checked above,
        # so any change since (its status too) is CONFLICT before the table is asked.
        service = await SERVICES.lock(resources, None, service_id, Action.SUBMIT)
        if service.updated_at != before.updated_at:
            raise ProviderError(Code.CONFLICT, "serviceId")
        await SERVICES.apply(
            service,
            Action.SUBMIT,
            by=policy.Action.PROVIDER_SERVICE_SUBMIT,
            at=now,
            actor_id=actor.account_id,
            changes=changes,
            api_key_id=actor.api_key_id,
        )
        if verdict is not None and verdict.check is ContentCheck.PENDING:
            await outbox_repo.enqueue(
                CONTENT_CHECK, f"content:{service.id}", {"service_id": str(service.id)}, now=now
            )
    return await _fresh(service.id)


# -- staff


async def _reviewer(resources: Resources, principal: Principal, action: policy.Action) -> UUID:
    """The reviewer taking `action` (REVIEWER, or ADMIN): not every officer reviews."""
    await policy.authorize(resources, principal, action)
    assert principal.account_id is not None
    return principal.account_id


async def review(
    resources: Resources,
    principal: Principal,
    service_id: UUID,
    decision: Decision,
    reason: str | None,
) -> ProviderService:
    """Publishes or rejects a SUBMITTED service. Text WeChat has not judged yet (PENDING)
    cannot be published; REVIEW and UNCHECKED text is the reviewer's to read."""
    staff_id = await _reviewer(resources, principal, policy.Action.PROVIDER_SERVICE_REVIEW)
    approve = decision is Decision.APPROVE
    text = validation.clean_reason(reason, required=not approve)
    now = resources.clock()

    async def check(service: ProviderService) -> dict[str, Any]:
        if approve and service.content_check is ContentCheck.PENDING:
            raise ProviderError(Code.CONTENT_CHECK_PENDING, "serviceId")
        return _decision(S.PUBLISHED if approve else S.REJECTED, text, now, staff_id)

    moved, _ = await SERVICES.run(
        resources,
        principal,
        service_id,
        Action.APPROVE if approve else Action.REJECT,
        at=now,
        note=text,
        prepare=check,
        outbox=_tell(text),
    )
    service = moved.row
    if approve:
        await catalogue_changed(resources)
    return await _fresh(service.id)


async def suspend(
    resources: Resources, principal: Principal, service_id: UUID, reason: str | None
) -> ProviderService:
    """Takes a PUBLISHED service off residents' lists at once, with the reason."""
    staff_id = await _reviewer(resources, principal, policy.Action.PROVIDER_SERVICE_SUSPEND)
    text = validation.clean_reason(reason, required=True)
    now = resources.clock()
    moved, _ = await SERVICES.run(
        resources,
        principal,
        service_id,
        Action.SUSPEND,
        at=now,
        note=text,
        changes=_decision(S.SUSPENDED, text, now, staff_id),
        outbox=_tell(text),
    )
    service = moved.row
    await catalogue_changed(resources)
    return await _fresh(service.id)


_WORDS = {S.PUBLISHED: "已发布", S.REJECTED: "未通过审核", S.SUSPENDED: "已被暂停展示"}


def _decision(target: S, reason: str, now: Any, staff_id: UUID | None) -> dict[str, Any]:
    """The columns a review decision sets with the status."""
    changes: dict[str, Any] = {"review_reason": reason, "reviewed_at": now}
    if staff_id is not None:
        changes["reviewed_by_id"] = staff_id
    if target is S.PUBLISHED:
        changes["published_at"] = now
    return changes


def _tell(reason: str) -> Callable[[Any], Awaitable[None]]:
    """Inside the transaction, after a review decision: the members' inbox and the webhook."""

    async def tell(moved: Any) -> None:
        await _told(moved.row, moved.target, reason, moved.at)

    return tell


async def _told(service: ProviderService, target: S, reason: str, at: Any) -> None:
    members = [m.account_id for m in await repo.members_of([service.provider_id])]
    extra = f"原因：{reason}" if reason and target is not S.PUBLISHED else ""
    await enqueue_inbox(
        key=f"provider:{service.provider_id}",
        now=at,
        topic="PROVIDER_SERVICE",
        title=f"服务{_WORDS[target]}",
        body=f"您的服务“{service.name}”{_WORDS[target]}。{extra}"[:200],
        subject_id=service.id,
        account_ids=members,
    )
    await enqueue_event(
        service.provider_id,
        WebhookEvent.SERVICE_SUSPENDED if target is S.SUSPENDED else WebhookEvent.SERVICE_REVIEWED,
        {
            "serviceId": global_id("ProviderService", service.id),
            "status": target.value,
            "reason": reason,
        },
        now=at,
    )


async def _fresh(service_id: UUID) -> ProviderService:
    service = await repo.service_by_id(service_id)
    assert service is not None
    return service


# -- the content check after a WeChat outage (outbox)


async def recheck_content(resources: Resources, message: OutboxMessage) -> None:
    """Retried with the dispatcher's backoff while WeChat is down; risky text is rejected by
    the system with a reason, as a reviewer would."""
    service = await repo.service_by_id(UUID(message.payload["service_id"]))
    if (
        service is None
        or service.status is not S.SUBMITTED
        or service.content_check is not ContentCheck.PENDING
    ):
        return  # changed or decided since
    openids = await _openids(service.provider_id, None)
    verdict = await content.check(
        resources,
        content.text_of(service.name, service.description, service.opening_hours),
        openids,
    )
    if verdict.check is ContentCheck.PENDING and not verdict.risky:
        raise Retry("wechat content check unavailable")
    now = resources.clock()
    async with atomic():
        locked = await repo.lock_service(service.id)
        if (
            locked is None
            or locked.updated_at != service.updated_at
            or locked.status is not S.SUBMITTED
        ):
            return
        if verdict.risky:
            await repo.set_service_fields(locked.id, content_label=verdict.label)
            moved = await SERVICES.apply(
                locked,
                Action.REJECT,
                by=None,
                at=now,
                actor_id=None,
                note=RISKY_REASON,
                changes=_decision(S.REJECTED, RISKY_REASON, now, None),
            )
            await _told(locked, moved.target, RISKY_REASON, now)
            return
        await repo.set_service_fields(locked.id, **_check_fields(verdict))
        await _record(locked, ProviderEventType.CONTENT_CHECKED, locked.status, at=now)


HANDLERS: dict[str, Handler] = {CONTENT_CHECK: recheck_content}


async def provider_of_service(
    resources: Resources, principal: Principal, service_id: UUID, action: policy.Action
) -> UUID:
    """The provider of a service the caller may act on (a member's); NOT_FOUND otherwise."""
    service = await repo.service_by_id(service_id)
    await onboarding.authorize_member(
        resources,
        principal,
        action,
        service.provider_id if service else None,
        ProviderError(Code.NOT_FOUND, "serviceId"),
    )
    assert service is not None
    return service.provider_id
