"""The inbox and the subscribe-message grants a resident gives through the mini-program."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from resolvers import policy
from resolvers.notifications.errors import NotificationError
from resolvers.notifications.errors import NotificationErrorCode as Code

# What other domains use to tell a resident something, inside their own transaction.
from resolvers.notifications.handlers import enqueue_inbox as enqueue_inbox
from resolvers.notifications.handlers import enqueue_wechat as enqueue_wechat
from resolvers.notifications.wechat_values import wechat_time as wechat_time
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.notifications import Notification, SubscriptionGrant
from storage.repositories import notifications as repo
from storage.repositories.pagination import Page, Scalar

MAX_RESULTS = 10  # wx.requestSubscribeMessage takes at most 3 templates at a time
# Subscribe-message templates offered (one per event the platform sends; three today).
MAX_TEMPLATES = 20
MAX_MARKED = 50  # ids in one markNotificationsRead
ACCEPT = "accept"


@dataclass(frozen=True, slots=True)
class TemplateOffer:
    event: str
    template_id: str


def subscription_templates(resources: Resources) -> list[TemplateOffer]:
    offered = sorted(resources.settings.wechat_subscription_templates.items())
    return [
        TemplateOffer(event=event, template_id=template)
        for event, template in offered[:MAX_TEMPLATES]
    ]


async def grant_subscriptions(
    resources: Resources, principal: Principal, results: Sequence[tuple[str, str]]
) -> list[SubscriptionGrant]:
    """Records what wx.requestSubscribeMessage returned: each "accept" allows one message of
    that template; "reject", "ban" and "filter" allow none."""
    await policy.authorize(resources, principal, policy.Action.NOTIFICATIONS_GRANT_SUBSCRIPTIONS)
    account_id = principal.account_id
    assert account_id is not None
    if len(results) > MAX_RESULTS:
        raise NotificationError(Code.TOO_MANY_ITEMS, "results")
    known = set(resources.settings.wechat_subscription_templates.values())
    counts: dict[str, int] = {}
    for index, (template_id, result) in enumerate(results):
        if template_id not in known:
            raise NotificationError(Code.UNKNOWN_TEMPLATE, f"results[{index}].templateId")
        if len(result) > 16:
            raise NotificationError(Code.INVALID_INPUT, f"results[{index}].result")
        if result == ACCEPT:
            counts[template_id] = counts.get(template_id, 0) + 1
    if counts and await repo.openid_of(account_id) is None:
        raise NotificationError(Code.NOT_A_WECHAT_ACCOUNT, "results")
    await repo.add_grants(account_id, counts, cap=resources.settings.wechat_max_grants_per_template)
    return await repo.grants_of(account_id, MAX_TEMPLATES)


async def inbox(
    principal: Principal, *, unread: bool | None, first: int, after: Sequence[Scalar] | None
) -> Page[Notification]:
    """A page of the signed-in account's inbox, newest first; `unread` filters. The policy
    (READ_OWN) lets only accounts ask. Raises ValueError for a cursor of another list."""
    account_id = principal.account_id
    assert account_id is not None
    return await repo.page_of(
        account_id, unread=unread, first=first, after=repo.typed_cursor(after)
    )


async def mark_read(resources: Resources, principal: Principal, ids: Sequence[str] | None) -> int:
    """Marks the account's unread messages among `ids` (all of them for None) read; how many."""
    await policy.authorize(resources, principal, policy.Action.NOTIFICATIONS_MARK_READ)
    account_id = principal.account_id
    assert account_id is not None
    wanted: list[UUID] | None = None
    if ids is not None:
        if len(ids) > MAX_MARKED:
            raise NotificationError(Code.TOO_MANY_ITEMS, "ids")
        try:
            wanted = [UUID(str(i)) for i in ids]
        except ValueError:
            raise NotificationError(Code.INVALID_INPUT, "ids") from None
    return await repo.mark_read(account_id, wanted, now=resources.clock())
