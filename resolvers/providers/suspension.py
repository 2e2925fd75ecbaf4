"""Suspending a whole provider, and reinstating it: a reviewer's decision, with a reason, moved
by the PROVIDERS machine (resolvers/providers/onboarding.py) and audited as provider events.

While a provider is SUSPENDED:
- its published services leave every public read at once (lists, search, themes, scenario
  plans, node look-ups and hand-offs read only services of APPROVED providers; the cached
  answers and search indexes are dropped after commit); they stay PUBLISHED, so they come
  back as they were on reinstatement;
- its API keys are refused with PROVIDER_SUSPENDED (keys.authenticate), and its members can
  no longer act for it;
- its webhook messages are held, not dropped (webhooks.deliver), and go back to the outbox
  on reinstatement.
Its members are told in their inbox, both ways.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.catalogue.service import catalogue_changed
from resolvers.notifications.service import enqueue_inbox
from resolvers.principal import Principal
from resolvers.providers import validation, webhooks
from resolvers.providers.onboarding import PROVIDERS, ProviderAction
from resolvers.resources import Resources
from storage.models.providers import Provider
from storage.repositories import providers as repo


async def suspend(
    resources: Resources, principal: Principal, provider_id: UUID, reason: str | None
) -> Provider:
    """An APPROVED provider becomes SUSPENDED, with a reason its members read."""
    text = validation.clean_reason(reason, required=True)
    now = resources.clock()

    async def tell(moved: Any) -> None:
        provider: Provider = moved.row
        await _tell_members(
            provider,
            now,
            title="服务机构已被暂停",
            body=f"“{provider.name}”已被暂停，其服务暂不向群众展示，API 密钥暂停使用。原因：{text}",
        )

    await PROVIDERS.run(
        resources,
        principal,
        provider_id,
        ProviderAction.SUSPEND,
        at=now,
        note=text,
        changes={"review_reason": text, "reviewed_by_id": principal.account_id, "reviewed_at": now},
        outbox=tell,
    )
    await catalogue_changed(resources)
    return await _fresh(provider_id)


async def reinstate(
    resources: Resources, principal: Principal, provider_id: UUID, reason: str | None
) -> Provider:
    """A SUSPENDED provider is APPROVED again: its published services, keys and held webhook
    messages come back. The reason is optional."""
    text = validation.clean_reason(reason, required=False)
    now = resources.clock()

    async def tell(moved: Any) -> None:
        provider: Provider = moved.row
        await webhooks.release_held(provider.id, now=now)
        await _tell_members(
            provider,
            now,
            title="服务机构已恢复",
            body=f"“{provider.name}”已恢复，其已发布的服务重新向群众展示，API 密钥恢复使用。",
        )

    await PROVIDERS.run(
        resources,
        principal,
        provider_id,
        ProviderAction.REINSTATE,
        by=policy.Action.PROVIDER_REINSTATE,
        at=now,
        note=text,
        changes={"review_reason": "", "reviewed_by_id": principal.account_id, "reviewed_at": now},
        outbox=tell,
    )
    await catalogue_changed(resources)
    return await _fresh(provider_id)


async def _tell_members(provider: Provider, now: Any, *, title: str, body: str) -> None:
    members = [m.account_id for m in await repo.members_of([provider.id])]
    await enqueue_inbox(
        key=f"provider:{provider.id}",
        now=now,
        topic="PROVIDER_STATUS",
        title=title,
        body=body[:200],
        subject_id=provider.id,
        account_ids=members,
    )


async def _fresh(provider_id: UUID) -> Provider:
    provider = await repo.provider_by_id(provider_id)
    assert provider is not None
    return provider
