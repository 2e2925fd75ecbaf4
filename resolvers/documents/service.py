"""The document wallet: upload tickets, checks on confirmation, reuse, deletion, e-licences."""

from __future__ import annotations

import hashlib
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import IO
from uuid import UUID

import anyio.to_thread

from integrations.scanner import ScannerUnavailable
from resolvers import policy
from resolvers.documents import checks, images
from resolvers.documents.errors import DocumentError
from resolvers.documents.errors import DocumentErrorCode as Code
from resolvers.principal import ClientInfo, Principal
from resolvers.resources import Resources
from storage.cache import Keys, RedisError, hit_rate_limit
from storage.models.documents import (
    AccessAction,
    Document,
    DocumentKind,
    DocumentStatus,
    RejectionReason,
    TrustLevel,
)
from storage.objects import ObjectMissing, ObjectStore, StorageUnavailable, UploadTicket
from storage.repositories import documents as repo
from storage.repositories.pagination import Page, Scalar
from storage.transactions import atomic

log = logging.getLogger(__name__)

# A confirmation holds its document this long at most (a crash frees it after that).
CLAIM_SECONDS = 120
# How long past a ticket's expiry the sweep waits before cleaning up after it.
SWEEP_GRACE = timedelta(minutes=5)
MAX_NOTE = 200
_SPOOL_IN_MEMORY = 1024 * 1024


def _now() -> datetime:
    return datetime.now(UTC)


def quarantine_key(owner_id: UUID, document_id: UUID) -> str:
    return f"quarantine/{owner_id}/{document_id}"


def document_key(owner_id: UUID, document_id: UUID) -> str:
    return f"documents/{owner_id}/{document_id}"


async def _subject(principal: Principal, document: Document) -> policy.Subject:
    """The document as the policy sees it: its owner, and the caller's department when a
    case it handles (an application, an appeal) uses the document."""
    departments: frozenset[UUID] = frozenset()
    if (
        principal.department_id is not None
        and principal.account_id != document.owner_id
        and await repo.handling_reason(principal, document.id) is not None
    ):
        departments = frozenset({principal.department_id})
    return policy.Subject(owner_id=document.owner_id, departments=departments)


async def _own(
    resources: Resources, principal: Principal, document_id: UUID, action: policy.Action
) -> Document:
    """The caller's own document, for what only its owner does; NOT_FOUND for anyone
    else's (whether it exists is not revealed)."""
    document = await repo.owned(document_id, principal.account_id) if principal.account_id else None
    await policy.authorize_seen(
        resources,
        principal,
        action,
        policy.Subject(owner_id=document.owner_id) if document else None,
        seen_by=policy.Action.DOCUMENT_DOWNLOAD,
        hidden=DocumentError(Code.NOT_FOUND, "documentId"),
        field="documentId",
    )
    assert document is not None
    return document


# -- requesting an upload


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    document: Document
    ticket: UploadTicket
    max_size: int


async def request_upload(
    resources: Resources,
    principal: Principal,
    *,
    kind: DocumentKind,
    file_name: str,
    content_type: str,
    size: int,
    client: ClientInfo,
) -> IssuedTicket:
    """A POST ticket for one file straight to storage, and its PENDING document."""
    await policy.authorize(resources, principal, policy.Action.DOCUMENT_REQUEST_UPLOAD)
    assert principal.account_id is not None
    owner_id = principal.account_id
    settings = resources.settings
    name = checks.clean_file_name(file_name)
    if name is None:
        raise DocumentError(Code.INVALID_FILE_NAME, "fileName")
    declared = checks.normalise_content_type(content_type)
    if declared not in checks.ALLOWED[kind]:
        raise DocumentError(Code.UNSUPPORTED_CONTENT_TYPE, "contentType")
    max_size = settings.document_max_for(kind.value)
    if size < 1:
        raise DocumentError(Code.INVALID_INPUT, "size")
    if size > max_size:
        raise DocumentError(Code.FILE_TOO_LARGE, "size")
    await _limit_uploads(resources, owner_id)

    document_id = uuid.uuid4()
    key = quarantine_key(owner_id, document_id)
    expires_at = _now() + timedelta(seconds=settings.document_upload_ttl)
    # The pending row reserves its declared size: the quota holds however many requests
    # and confirmations run at once (a confirmation only ever shrinks it to the real size).
    # The row comes before the ticket, so that no signed form exists for a refused file.
    document = await repo.reserve(
        owner_id,
        quota=settings.document_wallet_quota_bytes,
        size=size,
        id=document_id,
        kind=kind,
        file_name=name,
        declared_content_type=declared,
        declared_size=size,
        status=DocumentStatus.PENDING,
        trust_level=TrustLevel.C,
        object_key=key,
        upload_expires_at=expires_at,
    )
    if document is None:
        raise DocumentError(Code.QUOTA_EXCEEDED, "size")
    try:
        ticket = await resources.objects.presign_upload(
            key, content_type=declared, max_size=size, expires_at=expires_at
        )
    except StorageUnavailable:
        await repo.delete_if_pending(document.id)  # storage is down: no row is left behind
        raise DocumentError(Code.STORAGE_UNAVAILABLE) from None
    except BaseException:
        await repo.delete_if_pending(document.id)
        raise
    return IssuedTicket(document=document, ticket=ticket, max_size=size)


async def _limit_uploads(resources: Resources, owner_id: UUID) -> None:
    try:
        result = await hit_rate_limit(
            resources.redis,
            Keys.rate("document-upload", str(owner_id)),
            limit=resources.settings.document_uploads_per_hour,
            window=3600,
        )
    except RedisError:
        # Limits fail closed: without Redis we cannot tell a flood from a resident.
        raise DocumentError(Code.SERVICE_UNAVAILABLE) from None
    if not result.allowed:
        raise DocumentError(Code.RATE_LIMITED, retry_after=result.retry_after)


# -- confirming it


class _Rejected(Exception):
    def __init__(self, reason: RejectionReason, signature: str | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.signature = signature


_REJECTION_CODES = {
    RejectionReason.TYPE_MISMATCH: Code.TYPE_MISMATCH,
    RejectionReason.TOO_LARGE: Code.FILE_TOO_LARGE,
    RejectionReason.EMPTY: Code.EMPTY_FILE,
    RejectionReason.MALWARE: Code.MALWARE_FOUND,
    RejectionReason.IMAGE_TOO_LARGE: Code.IMAGE_TOO_LARGE,
    RejectionReason.IMAGE_UNREADABLE: Code.IMAGE_UNREADABLE,
    RejectionReason.QUOTA_EXCEEDED: Code.QUOTA_EXCEEDED,
}


@dataclass(frozen=True, slots=True)
class Inspection:
    """What was uploaded (size, SHA-256, type) and, for an image, the copy to keep instead."""

    size: int
    sha256: str
    content_type: str
    cleaned: bytes | None = None

    @property
    def stored_size(self) -> int:
        return self.size if self.cleaned is None else len(self.cleaned)

    @property
    def stored_sha256(self) -> str:
        return self.sha256 if self.cleaned is None else hashlib.sha256(self.cleaned).hexdigest()


async def inspect(
    resources: Resources,
    chunks: AsyncIterator[bytes],
    *,
    kind: DocumentKind,
    declared_type: str,
    max_size: int,
    clean_images: bool = False,
) -> Inspection:
    """Reads a file once: size, SHA-256, magic bytes against the kind's allow-list and the
    declared type, and the malware scan. Raises _Rejected with the first failure.

    With `clean_images`, an image that passed is also re-encoded without its metadata
    (location, device): `cleaned` is what to store."""
    hasher = hashlib.sha256()
    size = 0
    head = b""
    detected: str | None = None
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 (closed below)

    def check_head() -> None:
        nonlocal detected
        detected = checks.sniff(head)
        allowed = {checks.ZIP if t == checks.OFD else t for t in checks.ALLOWED[kind]}
        wanted = checks.ZIP if declared_type == checks.OFD else declared_type
        if detected is None or detected not in allowed or detected != wanted:
            raise _Rejected(RejectionReason.TYPE_MISMATCH)

    async def measured() -> AsyncIterator[bytes]:
        nonlocal size, head
        async for chunk in chunks:
            size += len(chunk)
            if size > max_size:
                raise _Rejected(RejectionReason.TOO_LARGE)
            hasher.update(chunk)
            if detected is None:
                head += chunk[: checks.HEAD_BYTES]
                if len(head) >= checks.HEAD_BYTES:
                    check_head()  # as early as possible: a wrong file is not scanned
            if detected == checks.ZIP or (clean_images and images.cleanable(detected or "")):
                spool.write(chunk)  # OFD: the package's directory is at its end
            yield chunk

    with spool:
        scanner = resources.scanner
        if scanner is not None:
            verdict = await scanner.scan(measured())
        else:
            async for _ in measured():
                pass
        if size == 0:
            raise _Rejected(RejectionReason.EMPTY)
        if detected is None:
            check_head()
        if detected == checks.ZIP:
            spool.seek(0)
            if not await anyio.to_thread.run_sync(checks.is_ofd, spool):
                raise _Rejected(RejectionReason.TYPE_MISMATCH)
            detected = checks.OFD
        if scanner is not None and not verdict.clean:
            raise _Rejected(RejectionReason.MALWARE, verdict.signature)
        assert detected is not None
        cleaned = None
        if clean_images and images.cleanable(detected):
            # Only a file that passed the scan is decoded.
            spool.seek(0)
            cleaned = await _strip(resources, spool, detected)
    return Inspection(size=size, sha256=hasher.hexdigest(), content_type=detected, cleaned=cleaned)


async def _strip(resources: Resources, source: IO[bytes], content_type: str) -> bytes:
    max_pixels = resources.settings.document_image_max_pixels
    try:
        return await anyio.to_thread.run_sync(
            lambda: images.strip_metadata(source, content_type, max_pixels=max_pixels)
        )
    except images.ImageRefused as refused:
        reason = (
            RejectionReason.IMAGE_TOO_LARGE
            if refused.too_large
            else RejectionReason.IMAGE_UNREADABLE
        )
        raise _Rejected(reason) from None


def _require_scanner(resources: Resources) -> None:
    if resources.scanner is None and resources.settings.scanner_required:
        raise DocumentError(Code.SCANNER_UNAVAILABLE)


async def confirm_upload(
    resources: Resources, principal: Principal, document_id: UUID, client: ClientInfo
) -> Document:
    """Checks the uploaded object and moves it out of quarantine, or rejects and deletes it.

    Confirming an available document again returns it unchanged; two confirmations at
    once leave one doing the work (the row is claimed with a conditional update).
    """
    document = await _own(resources, principal, document_id, policy.Action.DOCUMENT_CONFIRM_UPLOAD)
    owner_id = document.owner_id
    if document.status is DocumentStatus.AVAILABLE:
        return document
    if document.status is DocumentStatus.REJECTED:
        raise DocumentError(Code.DOCUMENT_REJECTED, "documentId")
    _require_scanner(resources)
    now = _now()
    if not await repo.claim_for_confirmation(
        document.id, now=now, until=now + timedelta(seconds=CLAIM_SECONDS)
    ):
        again = await repo.owned(document_id, owner_id)
        if again is not None and again.status is DocumentStatus.AVAILABLE:
            return again
        raise DocumentError(Code.CONFIRMATION_IN_PROGRESS, "documentId")
    try:
        return await _check_and_move(resources, document, now)
    except StorageUnavailable:
        await repo.release_claim(document.id)
        raise DocumentError(Code.STORAGE_UNAVAILABLE) from None
    except ScannerUnavailable:
        await repo.release_claim(document.id)
        raise DocumentError(Code.SCANNER_UNAVAILABLE) from None
    except DocumentError:
        raise
    except BaseException:
        await repo.release_claim(document.id)
        raise


async def _check_and_move(resources: Resources, document: Document, now: datetime) -> Document:
    store = resources.objects
    source = quarantine_key(document.owner_id, document.id)
    target = document_key(document.owner_id, document.id)
    stored = await store.stat(source)
    if stored is None and await store.stat(target) is not None:
        source = target  # moved by an earlier attempt that failed before recording it
    elif stored is None:
        expired = document.upload_expires_at is None or document.upload_expires_at <= now
        if expired and await repo.delete_if_pending(document.id):
            raise DocumentError(Code.UPLOAD_EXPIRED, "documentId")
        await repo.release_claim(document.id)
        raise DocumentError(Code.NOT_UPLOADED, "documentId")

    try:
        found = await inspect(
            resources,
            store.read(source),
            kind=document.kind,
            declared_type=document.declared_content_type,
            max_size=document.declared_size,
            clean_images=True,
        )
        # A re-encoded image may come out larger than what its ticket reserved: the wallet
        # must have room for the difference, decided atomically before anything is stored.
        if found.stored_size > document.size and not await repo.grow_reservation(
            document.id,
            document.owner_id,
            quota=resources.settings.document_wallet_quota_bytes,
            size=found.stored_size,
        ):
            raise _Rejected(RejectionReason.QUOTA_EXCEEDED)
    except ObjectMissing:
        await repo.release_claim(document.id)
        raise DocumentError(Code.NOT_UPLOADED, "documentId") from None
    except _Rejected as rejected:
        # The object goes first: if that fails the document stays pending, never a
        # REJECTED row that still has a file somewhere.
        await store.remove(source)
        await repo.finish_pending(
            document.id,
            status=DocumentStatus.REJECTED,
            rejection_reason=rejected.reason,
            confirmed_at=_now(),
        )
        log.info("document rejected: %s", rejected.reason.value)
        raise DocumentError(_REJECTION_CODES[rejected.reason], "documentId") from None

    if found.cleaned is not None:
        # The cleaned copy is stored; the upload stays in quarantine until the record says
        # so, so that a failure in between can start again from the original.
        await store.put(target, found.cleaned, content_type=found.content_type)
    elif source != target:
        await store.move(source, target)
    await repo.finish_pending(
        document.id,
        status=DocumentStatus.AVAILABLE,
        object_key=target,
        size=found.stored_size,
        sha256=found.stored_sha256,
        original_size=found.size,
        original_sha256=found.sha256,
        detected_content_type=found.content_type,
        confirmed_at=_now(),
    )
    if found.cleaned is not None and source != target:
        try:
            await store.remove(source)
        except StorageUnavailable:
            # The ticket's sweep removes what is left in quarantine (it has the location).
            log.warning("quarantine kept an original after its confirmation")
    confirmed = await repo.by_id(document.id)
    assert confirmed is not None
    return confirmed


# -- deleting


async def delete_document(
    resources: Resources, principal: Principal, document_id: UUID, client: ClientInfo
) -> UUID:
    """Removes a document and its object; refused while an open application uses it."""
    document = await _own(resources, principal, document_id, policy.Action.DOCUMENT_DELETE)
    owner_id = document.owner_id
    if await repo.in_use_by_open_application(document.id):
        raise DocumentError(Code.IN_USE, "documentId")
    if document.status is DocumentStatus.PENDING:
        now = _now()
        # Hold it like a confirmation would, so a confirmation cannot run alongside.
        if not await repo.claim_for_confirmation(
            document.id, now=now, until=now + timedelta(seconds=CLAIM_SECONDS)
        ):
            raise DocumentError(Code.CONFIRMATION_IN_PROGRESS, "documentId")
    try:
        # The objects first: a failure leaves the row, so the resident can try again. The
        # quarantine key too, whatever the status: an S3 form used again after confirmation
        # may have put a file back there, and without the row the sweep would not find it.
        await resources.objects.remove(document.object_key)
        await resources.objects.remove(quarantine_key(owner_id, document.id))
    except StorageUnavailable:
        await repo.release_claim(document.id)
        raise DocumentError(Code.STORAGE_UNAVAILABLE) from None
    await repo.delete(document.id)
    return document.id


# -- reading


async def readable(principal: Principal, ids: list[UUID | None]) -> list[Document]:
    """The documents among `ids` that this principal may read (unknown ids are skipped)."""
    return await repo.readable_by_ids(principal, [i for i in ids if i is not None])


async def wallet(
    principal: Principal,
    *,
    kind: DocumentKind | None,
    status: DocumentStatus | None,
    first: int,
    after: Sequence[Scalar] | None,
) -> Page[Document]:
    """A page of the signed-in resident's own documents, newest first. The policy (READ_OWN)
    lets only accounts ask. Raises ValueError for a cursor of another list."""
    owner_id = principal.account_id
    assert owner_id is not None
    return await repo.page_of_owner(owner_id, kind=kind, status=status, first=first, after=after)


async def download_url(
    resources: Resources, principal: Principal, document: Document, client: ClientInfo
) -> str | None:
    """A short-lived URL for those allowed to read the document, else None. Staff reads of
    someone else's document are written to the access log with who, when and why."""
    if document.status is not DocumentStatus.AVAILABLE or principal.account_id is None:
        return None
    if principal.account_id != document.owner_id:
        reason = await repo.handling_reason(principal, document.id)
        subject = policy.Subject(
            owner_id=document.owner_id,
            departments=frozenset({principal.department_id})
            if reason is not None and principal.department_id is not None
            else frozenset(),
        )
        if reason is None or not await policy.allows(
            resources, principal, policy.Action.DOCUMENT_DOWNLOAD, subject
        ):
            return None
        await repo.log_access(
            document.id,
            actor_id=principal.account_id,
            action=AccessAction.DOWNLOAD,
            reason=reason,
            request_id=client.request_id,
        )
    expires_at = _now() + timedelta(seconds=resources.settings.document_download_ttl)
    try:
        return await resources.objects.presign_download(
            document.object_key,
            file_name=document.file_name,
            content_type=document.detected_content_type or document.declared_content_type,
            expires_at=expires_at,
        )
    except StorageUnavailable:
        raise DocumentError(Code.STORAGE_UNAVAILABLE) from None


async def accepts_upload(key: str) -> bool:
    """For the local store's upload endpoint: is a document still waiting for this object?"""
    _, _, tail = key.rpartition("/")
    try:
        document = await repo.by_id(UUID(tail))
    except ValueError:
        return False
    return (
        document is not None
        and document.status is DocumentStatus.PENDING
        and document.object_key == key
    )


# -- trust


async def verify_original(
    resources: Resources,
    principal: Principal,
    document_id: UUID,
    note: str,
    client: ClientInfo,
) -> Document:
    """Staff at a window compared the resident's original with the document: C/D -> B.
    Only staff whose department handles a case using the document (who may read it, as
    node() does) may: anyone else is told it does not exist, and learns nothing of it."""
    reason = " ".join(note.split())
    if not reason:
        raise DocumentError(Code.REASON_REQUIRED, "note")
    if len(reason) > MAX_NOTE:
        raise DocumentError(Code.INVALID_INPUT, "note")
    document = await repo.by_id(document_id)
    await policy.authorize_seen(
        resources,
        principal,
        policy.Action.DOCUMENT_VERIFY_ORIGINAL,
        await _subject(principal, document) if document else None,
        seen_by=policy.Action.DOCUMENT_DOWNLOAD,
        hidden=DocumentError(Code.NOT_FOUND, "documentId"),
        field="documentId",
    )
    assert document is not None
    assert principal.account_id is not None
    if document.status is not DocumentStatus.AVAILABLE:
        raise DocumentError(Code.NOT_AVAILABLE, "documentId")
    if document.trust_level is TrustLevel.A:
        raise DocumentError(Code.ALREADY_TRUSTED, "documentId")
    async with atomic():
        await repo.raise_trust(
            document.id,
            to=TrustLevel.B,
            below=[TrustLevel.C, TrustLevel.D],
            verified_at=_now(),
            verified_by_id=principal.account_id,
        )
        await repo.log_access(
            document.id,
            actor_id=principal.account_id,
            action=AccessAction.VERIFY_ORIGINAL,
            reason=reason,
            request_id=client.request_id,
        )
    verified = await repo.by_id(document.id)
    assert verified is not None
    return verified


async def issue_document(
    resources: Resources,
    *,
    owner_id: UUID,
    issuer_id: UUID,
    file_name: str,
    content_type: str,
    data: bytes,
    kind: DocumentKind = DocumentKind.CERTIFICATE,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> Document:
    """Puts a result issued by a department into the resident's wallet as trust level A.

    Called by the applications domain's issueResult. The same content checks as uploads
    apply; the wallet quota does not (the resident did not choose to store it).
    """
    name = checks.clean_file_name(file_name)
    if name is None:
        raise DocumentError(Code.INVALID_FILE_NAME, "fileName")
    declared = checks.normalise_content_type(content_type)
    if declared not in checks.ALLOWED[kind]:
        raise DocumentError(Code.UNSUPPORTED_CONTENT_TYPE, "contentType")
    if valid_from and valid_until and valid_until < valid_from:
        raise DocumentError(Code.INVALID_INPUT, "validUntil")
    _require_scanner(resources)

    async def one_chunk() -> AsyncIterator[bytes]:
        yield data

    try:
        found = await inspect(
            resources,
            one_chunk(),
            kind=kind,
            declared_type=declared,
            max_size=resources.settings.document_max_for(kind.value),
        )
    except _Rejected as rejected:
        raise DocumentError(_REJECTION_CODES[rejected.reason]) from None
    except ScannerUnavailable:
        raise DocumentError(Code.SCANNER_UNAVAILABLE) from None
    document_id = uuid.uuid4()
    key = document_key(owner_id, document_id)
    try:
        await resources.objects.put(key, data, content_type=found.content_type)
    except StorageUnavailable:
        raise DocumentError(Code.STORAGE_UNAVAILABLE) from None
    try:
        return await repo.create(
            id=document_id,
            owner_id=owner_id,
            kind=kind,
            file_name=name,
            declared_content_type=declared,
            detected_content_type=found.content_type,
            declared_size=found.size,
            size=found.size,
            sha256=found.sha256,
            original_size=found.size,
            original_sha256=found.sha256,
            status=DocumentStatus.AVAILABLE,
            trust_level=TrustLevel.A,
            issuer_id=issuer_id,
            valid_from=valid_from,
            valid_until=valid_until,
            object_key=key,
            confirmed_at=_now(),
        )
    except BaseException:
        await resources.objects.remove(key)  # no object without its row
        raise


# -- housekeeping


async def sweep_expired_tickets(
    objects: ObjectStore, *, now: datetime | None = None, limit: int = 200
) -> int:
    """Cleans up after upload tickets that have expired: pending documents never confirmed
    lose their row and any quarantined object; finished ones lose whatever a re-used S3 form
    put back into quarantine. Returns how many tickets it closed. Meant for the worker: it
    needs only the object store and the ORM."""
    before = (now or _now()) - SWEEP_GRACE
    closed = 0
    for document in await repo.expired_tickets(before, limit):
        try:
            await objects.remove(quarantine_key(document.owner_id, document.id))
        except StorageUnavailable:
            log.warning("sweep stopped: storage unavailable")
            break
        if document.status is DocumentStatus.PENDING:
            await repo.delete_if_pending(document.id)
        else:
            await repo.close_ticket(document.id)
        closed += 1
    return closed
