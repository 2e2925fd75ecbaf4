"""Electronic receipts (财政电子票据): the charging department issues one for every paid fee,
numbered per department and year, into the resident's wallet (trust level A)."""

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


async def _numbered(payment_id: str, now: datetime) -> PaymentReceipt | None:
    """The payment's receipt row, numbered once (the payment's lock keeps it single)."""
    async with atomic():
        payment = await repo.lock(UUID(payment_id))
        if payment is None or payment.status is not PaymentStatus.PAID:
            return None
        found = await repo.receipt_of(payment.id)
        if found is not None:
            return found
        departments = await repo.departments_by_ids([payment.department_id])
        code = departments[0].code if departments else "00000000"
        year = china_date(now).year
        sequence = await repo.next_receipt_number(payment.department_id, year)
        return await repo.create_receipt(
            payment_id=payment.id,
            number=receipt_number(code, year, sequence),
            amount_fen=payment.paid_fen,
            department_id=payment.department_id,
            issued_at=now,
        )


async def issue(resources: Resources, message: OutboxMessage) -> None:
    now = resources.clock()
    receipt = await _numbered(message.payload["payment_id"], now)
    if receipt is None or receipt.document_id is not None:
        return
    payment = await repo.by_id(receipt.payment_id)
    assert payment is not None
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
