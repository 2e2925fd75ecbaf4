"""Exemptions (减免) granted by the single window under a rule the guide lists for the item
(e.g. 低保 residents exempt), with the reason recorded: before payment the amount due drops
(an open order for the old amount is closed); after payment the item is refunded."""

from __future__ import annotations

from uuid import UUID

from resolvers import inputs, policy
from resolvers.payments.errors import PaymentError
from resolvers.payments.errors import PaymentErrorCode as Code
from resolvers.payments.ledger import close_open_orders
from resolvers.payments.refunds import refund_order
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.payments import OPEN_PAYMENT_STATUSES, Payment, PaymentStatus
from storage.repositories import accounts as account_repo
from storage.repositories import payments as repo
from storage.transactions import atomic

MAX_NOTE = 200


async def _subject(application_id: UUID) -> policy.Subject | None:
    application = await repo.application(application_id)
    if application is None:
        return None
    return policy.Subject(
        owner_id=application.owner_id,
        department_id=application.department_id,
        region_id=application.region_id,
    )


async def exempt_item(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    position: int,
    rule: str,
    note: str | None,
) -> Payment:
    """Waives the fee item at `position` under the exemption `rule` of the guide."""
    await policy.authorize_seen(
        resources,
        principal,
        policy.Action.PAYMENT_EXEMPT,
        await _subject(application_id),
        seen_by=policy.Action.APPLICATION_READ,
        hidden=PaymentError(Code.NOT_FOUND, "applicationId"),
        field="applicationId",
    )
    text = inputs.clean_text(
        note, "note", error=PaymentError, invalid=Code.INVALID_INPUT, longest=MAX_NOTE
    )
    now = resources.clock()
    async with atomic():
        payment = await repo.lock_by_application(application_id)
        if payment is None:
            raise PaymentError(Code.NOTHING_DUE, "applicationId")
        items = {item.position: item for item in await repo.items_of([payment.id])}
        item = items.get(position)
        if item is None:
            raise PaymentError(Code.ITEM_NOT_FOUND, "position")
        allowed = {e.get("code"): e for e in item.exemptions}
        if rule not in allowed:
            raise PaymentError(Code.EXEMPTION_NOT_ALLOWED, "rule")
        if item.exempted_by_rule is not None:
            raise PaymentError(Code.ALREADY_EXEMPT, "position")
        if payment.status not in (*OPEN_PAYMENT_STATUSES, PaymentStatus.PAID):
            raise PaymentError(Code.INVALID_STATE, "applicationId")
        reason = str(allowed[rule].get("name", rule))
        if text:
            reason = f"{reason}：{text}"
        if not await repo.exempt_item(
            item.id,
            exempted_by_rule=rule,
            exemption_reason=reason[:300],
            exempted_at=now,
            exempted_by_id=principal.account_id,
        ):
            raise PaymentError(Code.ALREADY_EXEMPT, "position")
        if payment.status is PaymentStatus.PAID:
            await refund_order(payment, item.amount_fen, reason=f"减免：{reason}", now=now)
            refunded = payment.refunded_fen + item.amount_fen
            await repo.update(
                payment.id,
                refunded_fen=refunded,
                amount_fen=payment.amount_fen - item.amount_fen,
                status=PaymentStatus.REFUNDED if refunded >= payment.paid_fen else payment.status,
            )
        else:
            left = payment.amount_fen - item.amount_fen
            await repo.update(
                payment.id,
                amount_fen=left,
                status=PaymentStatus.EXEMPT if left <= 0 else payment.status,
            )
            # An order for the old amount can no longer be paid.
            await close_open_orders(payment.id, now=now)
        await account_repo.audit(
            "PAYMENT_ITEM_EXEMPTED",
            success=True,
            actor_id=principal.account_id,
            detail=f"payment={payment.id} position={position} rule={rule}",
        )
    found = await repo.by_id(payment.id)
    assert found is not None
    return found
