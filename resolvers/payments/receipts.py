"""Electronic receipts (财政电子票据): each charging department issues one for what it charged
of a paid fee, numbered per department and year, into the resident's wallet (trust level A)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from resolvers.calendar.service import china_date
from resolvers.documents.errors import DocumentError
from resolvers.documents.service import issue_document
from resolvers.outbox.service import Handler, Retry
from resolvers.resources import Resources
from storage.models.documents import DocumentKind
from storage.models.outbox import OutboxMessage
from storage.models.payments import PaymentReceipt, PaymentStatus
from storage.repositories import payments as repo
from storage.transactions import atomic

RECEIPT = "payments.receipt"


def receipt_number(department_code: str, year: int, sequence: int) -> str:
    """The department's code (its last 8 characters), the year and a sequence of the year."""
    return f"{department_code[-8:]}-{year}-{sequence:08d}"


def _receipt_pdf(number: str, amount_fen: int, issued: datetime) -> bytes:
    """A minimal PDF standing in for the finance bureau's signed e-receipt."""
    text = f"Rongban fiscal e-receipt {number} CNY {amount_fen / 100:.2f} {issued.date()}".encode()
    body = (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% " + text + b"\ntrailer<</Root 1 0 R>>\n"
    )
    return body + b"%%EOF\n"


async def _numbered(payment_id: str, now: datetime) -> list[PaymentReceipt]:
    """The payment's receipts, one per charging department for what it charged, numbered
    once (the payment's lock keeps them single)."""
    async with atomic():
        payment = await repo.lock(UUID(payment_id))
        if payment is None or payment.status is not PaymentStatus.PAID:
            return []
        found = await repo.receipts_of_payment(payment.id)
        if found:
            return found
        charged: dict[UUID, int] = {}
        for item in await repo.items_of([payment.id]):
            if item.exempted_at is None:
                charged[item.department_id] = charged.get(item.department_id, 0) + item.amount_fen
        if sum(charged.values()) != payment.paid_fen:
            # What was paid is what the receipts say: a payment whose items no longer add
            # up to it (an exemption raced the payment) is receipted by its own department.
            charged = {payment.department_id: payment.paid_fen}
        codes = {d.id: d.code for d in await repo.departments_by_ids(list(charged))}
        year = china_date(now).year
        receipts = []
        for department_id in sorted(charged, key=lambda d: codes.get(d, "")):
            sequence = await repo.next_receipt_number(department_id, year)
            receipts.append(
                await repo.create_receipt(
                    payment_id=payment.id,
                    number=receipt_number(codes.get(department_id, "00000000"), year, sequence),
                    amount_fen=charged[department_id],
                    department_id=department_id,
                    issued_at=now,
                )
            )
        return receipts


async def issue(resources: Resources, message: OutboxMessage) -> None:
    now = resources.clock()
    receipts = [
        r for r in await _numbered(message.payload["payment_id"], now) if r.document_id is None
    ]
    if not receipts:
        return
    payment = await repo.by_id(receipts[0].payment_id)
    assert payment is not None
    for receipt in receipts:
        try:
            document = await issue_document(
                resources,
                owner_id=payment.owner_id,
                issuer_id=receipt.department_id,
                file_name=f"财政电子票据-{receipt.number}.pdf",
                content_type="application/pdf",
                data=_receipt_pdf(receipt.number, receipt.amount_fen, receipt.issued_at),
                kind=DocumentKind.RECEIPT,
                valid_from=china_date(receipt.issued_at),
            )
        except DocumentError as exc:
            raise Retry(f"receipt document: {exc.code.value}") from exc
        await repo.attach_receipt_document(receipt.id, document.id)


HANDLERS: dict[str, Handler] = {RECEIPT: issue}
