"""Callbacks from departments' own business systems: verify the signed envelope (300 s window,
nonce remembered in Redis, signature under the system's key), then apply the callback once,
through the same workflow functions as staff actions, with the system as the actor.

The body is JSON:

    {"applicationNumber": "CD20240603000001",
     "kind": "PROGRESS" | "TASK_OUTCOME" | "RESULT_DOCUMENT",
     "note": "...",                      (PROGRESS: required; DENIED: required)
     "outcome": "APPROVED" | "DENIED",   (TASK_OUTCOME)
     "document": {"fileName": "...", "contentType": "application/pdf",
                  "content": "<base64>"}} (RESULT_DOCUMENT)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import AsyncIterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import anyio
import orjson

from integrations.provincial import envelope
from integrations.provincial.envelope import EnvelopeError, Signer
from resolvers.applications import service as applications
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as AppCode
from resolvers.callbacks.errors import CallbackCode as Code
from resolvers.callbacks.errors import CallbackRefused
from resolvers.documents.errors import DocumentError
from resolvers.exchange.service import (
    HmacSha256,
    InvalidKey,
    RotatingHmac,
    Sm2Sm3,
    platform_signer,
)
from resolvers.policy import Refused
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.cache import Keys, RedisError, hit_rate_limit
from storage.crypto import SealError
from storage.models.accounts import Role
from storage.models.applications import TaskStatus
from storage.models.exchange import CallbackKind, ExchangeCallback, ExchangeSystem, SigningAlgorithm
from storage.repositories import applications as application_repo
from storage.repositories import exchange as repo
from storage.transactions import IntegrityError, atomic

log = logging.getLogger(__name__)

SECRET_CONTEXT = "exchange.system.secret"  # noqa: S105 (a sealing context, not a secret)
MAX_NOTE = 500
_DOCUMENT_UNAVAILABLE = {"STORAGE_UNAVAILABLE", "SCANNER_UNAVAILABLE"}


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer to a callback. Once the caller is authenticated it is signed (the same
    envelope as the request) with the key the caller holds, so the department's system can
    tell our answer from anything else on the way back."""

    status: int
    body: dict[str, Any]
    signer: Signer | None = None
    message_id: str = ""
    retry_after: int | None = None

    def rendered(self, system_id: str) -> tuple[bytes, dict[str, str]]:
        content = orjson.dumps(self.body)
        headers = {"content-type": "application/json"}
        if self.retry_after is not None:
            headers["retry-after"] = str(self.retry_after)
        if self.signer is not None:
            headers.update(
                envelope.seal(
                    self.signer, system=system_id, message_id=self.message_id, body=content
                )
            )
        return content, headers


@dataclass(frozen=True, slots=True)
class Callback:
    application_number: str
    kind: CallbackKind
    note: str
    outcome: TaskStatus | None
    file: applications.ResultFile | None


async def receive(
    resources: Resources, headers: Mapping[str, str], chunks: AsyncIterable[bytes]
) -> Answer:
    """Reads the body (up to the configured cap) and answers the callback."""
    try:
        body = await _read_capped(chunks, resources.settings.exchange_callback_max_bytes)
    except CallbackRefused as refused:
        log.warning("exchange callback refused: %s", refused.code.value)
        return _refusal(refused)
    try:
        return await handle(resources, headers, body)
    except Exception:  # the database or storage is down: they send it again later
        log.exception("exchange callback failed")
        return _refusal(CallbackRefused(Code.UNAVAILABLE))


async def handle(resources: Resources, headers: Mapping[str, str], body: bytes) -> Answer:
    """The answer to one callback; every refusal is logged (codes and ids, never the body)."""
    system_key = "-"
    message_id = "-"
    answer_signer: Signer | None = None
    try:
        found = envelope.read(headers)
        system_key, message_id = found.system, found.message_id
        system, answer_signer = await _authenticate(resources, found, body)
        answer = await _apply_once(resources, system, found.message_id, body)
    except EnvelopeError as exc:
        log.warning("exchange callback refused: %s (%s)", Code.BAD_ENVELOPE.value, exc)
        return _refusal(CallbackRefused(Code.BAD_ENVELOPE, detail=str(exc)))
    except CallbackRefused as refused:
        log.warning(
            "exchange callback refused: %s%s system=%s message=%s",
            refused.code.value,
            f" ({refused.detail})" if refused.detail else "",
            system_key,
            message_id,
        )
        answer = _refusal(refused)
    if answer_signer is None:
        return answer  # nobody proved who they are: there is no key of theirs to sign with
    return replace(answer, signer=answer_signer, message_id=message_id)


def _refusal(refused: CallbackRefused) -> Answer:
    answer: dict[str, Any] = {
        "status": "REFUSED",
        "code": refused.code.value,
        "message": refused.message,
        "field": refused.field,
    }
    if refused.detail:
        answer["detail"] = refused.detail
    return Answer(refused.status, answer, retry_after=refused.retry_after)


def signer_of(resources: Resources, system: ExchangeSystem) -> RotatingHmac | Sm2Sm3:
    """How a system's requests are verified: its SM2 public key, or its shared secret (and,
    for the grace period after a rotation, the secret it replaced)."""
    if system.algorithm is SigningAlgorithm.SM2_SM3:
        return Sm2Sm3(public_key=system.public_key or "")
    current = resources.keyring.open(system.secret_sealed or "", context=SECRET_CONTEXT)
    previous = None
    if system.previous_secret_sealed and system.previous_secret_until is not None:
        opened = resources.keyring.open(system.previous_secret_sealed, context=SECRET_CONTEXT)
        previous = HmacSha256(opened.encode())
    return RotatingHmac(
        HmacSha256(current.encode()), previous, system.previous_secret_until, resources.clock
    )


def _verified_by(signer: RotatingHmac | Sm2Sm3, found: envelope.Envelope, body: bytes) -> bool:
    return envelope.verify(signer, found, body)


def _answer_signer(
    resources: Resources, signer: RotatingHmac | Sm2Sm3, found: envelope.Envelope, body: bytes
) -> Signer | None:
    """The key to sign the answer with: the very HMAC secret the request was signed with
    (the one the system holds, old or new), or our SM2 key for an SM2 system (None when this
    platform has none configured: the answer then goes unsigned)."""
    if isinstance(signer, RotatingHmac):
        data = envelope.canonical(
            found.message_id, found.timestamp, found.nonce, signer.digest(body)
        )
        return signer.verifying_key(data, found.signature)
    settings = resources.settings
    if settings.exchange_algorithm == SigningAlgorithm.SM2_SM3.value:
        return platform_signer(settings)
    return None


async def _within_rate(resources: Resources, system: ExchangeSystem) -> None:
    """A share per system, counted only for requests that proved who sent them (nobody can
    spend another system's share) and before the nonce is spent (a refused request can be
    sent again as it is, once the window has room)."""
    try:
        limit = await hit_rate_limit(
            resources.redis,
            Keys.rate("exchange-callback", system.key_id),
            limit=resources.settings.exchange_callbacks_per_minute,
            window=60,
        )
    except RedisError:
        raise CallbackRefused(Code.UNAVAILABLE, detail="rate store unavailable") from None
    if not limit.allowed:
        raise CallbackRefused(Code.RATE_LIMITED, retry_after=max(limit.retry_after, 1))


async def _authenticate(
    resources: Resources, found: envelope.Envelope, body: bytes
) -> tuple[ExchangeSystem, Signer | None]:
    settings = resources.settings
    if not envelope.fresh(found, window=settings.exchange_callback_window_seconds):
        raise CallbackRefused(Code.STALE_TIMESTAMP)
    system = await repo.system_by_key(found.system)
    if system is None:
        raise CallbackRefused(Code.UNKNOWN_SYSTEM)
    try:
        signer = signer_of(resources, system)
    except (InvalidKey, SealError):
        # Our side is broken (a key rotated away, a bad stored key): tell them to come back.
        log.error("exchange system %s has credentials we cannot use", system.key_id)
        raise CallbackRefused(Code.UNAVAILABLE, detail="credentials unusable") from None
    if not await anyio.to_thread.run_sync(_verified_by, signer, found, body):
        raise CallbackRefused(Code.BAD_SIGNATURE)
    answer_signer = _answer_signer(resources, signer, found, body)
    await _within_rate(resources, system)
    # Only a verified request may spend a nonce: nobody can burn another system's nonces.
    # Kept twice the window: a timestamp that is still fresh can never find its nonce gone.
    try:
        fresh = await resources.redis.set(
            Keys.exchange_nonce(system.key_id, found.nonce),
            "1",
            nx=True,
            ex=2 * settings.exchange_callback_window_seconds,
        )
    except RedisError:
        # Without the nonce store a replay cannot be told apart: refuse, and let them retry.
        raise CallbackRefused(Code.UNAVAILABLE, detail="nonce store unavailable") from None
    if not fresh:
        raise CallbackRefused(Code.REPLAYED_NONCE)
    return system, answer_signer


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _repeat(seen: ExchangeCallback, body: bytes) -> Answer:
    if seen.body_sha256 != _digest(body):
        raise CallbackRefused(Code.MESSAGE_ID_REUSED)
    return Answer(200, {"status": "APPLIED", "messageId": seen.message_id, "duplicate": True})


async def _apply_once(
    resources: Resources, system: ExchangeSystem, message_id: str, body: bytes
) -> Answer:
    seen = await repo.callback(system.id, message_id)
    if seen is not None:
        return _repeat(seen, body)
    callback = parse(body, resources.settings.document_max_for("CERTIFICATE"))
    # The system acts as an officer of its department: the same scoping and workflow rules.
    principal = Principal(
        account_id=system.id,
        roles=frozenset({Role.STAFF}),
        department_id=system.department_id,
    )
    applications_found = await repo.applications_by_numbers([callback.application_number])
    application = (
        await application_repo.readable_one(principal, applications_found[0].id)
        if applications_found
        else None
    )
    if application is None:
        raise CallbackRefused(Code.UNKNOWN_APPLICATION, "applicationNumber")
    try:
        async with atomic():
            # The ledger row first: a twin sent at the same moment waits on its unique key,
            # then fails once this one commits, and is answered as a repeat.
            await repo.record_callback(
                system_id=system.id,
                message_id=message_id,
                body_sha256=_digest(body),
                kind=callback.kind,
                application_id=application.id,
                received_at=resources.clock(),
            )
            await _apply(resources, principal, system, application.id, callback)
    except IntegrityError:
        twin = await repo.callback(system.id, message_id)
        if twin is None:
            raise
        return _repeat(twin, body)
    except ApplicationError as error:
        raise _refused_by_workflow(error) from None
    except Refused:
        # The policy refused the department this step (a task's department issuing the
        # result): the same answer as a step its workflow does not allow.
        raise CallbackRefused(Code.NOT_ALLOWED, "kind") from None
    log.info(
        "exchange callback applied: %s system=%s message=%s",
        callback.kind.value,
        system.key_id,
        message_id,
    )
    return Answer(200, {"status": "APPLIED", "messageId": message_id, "duplicate": False})


async def _apply(
    resources: Resources,
    principal: Principal,
    system: ExchangeSystem,
    application_id: UUID,
    callback: Callback,
) -> None:
    if callback.kind is CallbackKind.PROGRESS:
        await applications.record_progress(resources, principal, application_id, callback.note)
    elif callback.kind is CallbackKind.TASK_OUTCOME:
        assert callback.outcome is not None
        task = await repo.task_of_department(application_id, system.department_id)
        if task is None:
            raise ApplicationError(AppCode.INVALID_STATE, "kind")
        await applications.complete_task(
            resources, principal, task.id, callback.outcome, callback.note or None
        )
    else:
        await applications.issue_result(
            resources, principal, application_id, callback.note or None, callback.file
        )


def _refused_by_workflow(error: ApplicationError) -> CallbackRefused:
    code = error.code
    if code is AppCode.NOT_FOUND:
        return CallbackRefused(Code.UNKNOWN_APPLICATION, "applicationNumber")
    if code is AppCode.TASK_ALREADY_DONE:
        return CallbackRefused(Code.TASK_ALREADY_DONE)
    if code in (AppCode.INVALID_INPUT, AppCode.REASON_REQUIRED):
        return CallbackRefused(Code.BAD_CALLBACK, "note", detail=code.value)
    if code is AppCode.CONFLICT:
        return CallbackRefused(Code.UNAVAILABLE, detail=code.value)
    if code is AppCode.RESULT_UNAVAILABLE:
        cause = error.__cause__
        reason = cause.code.value if isinstance(cause, DocumentError) else ""
        if reason in _DOCUMENT_UNAVAILABLE or not reason:
            return CallbackRefused(Code.UNAVAILABLE, detail=reason)
        return CallbackRefused(Code.RESULT_REFUSED, "document", detail=reason)
    return CallbackRefused(Code.INVALID_STATE, detail=code.value)


def parse(body: bytes, max_file_bytes: int) -> Callback:
    """The callback, or BAD_CALLBACK naming the field at fault."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise CallbackRefused(Code.NOT_JSON) from None
    if not isinstance(data, dict):
        raise CallbackRefused(Code.BAD_CALLBACK)
    number = data.get("applicationNumber")
    if not isinstance(number, str) or not 0 < len(number) <= 24 or not number.isalnum():
        raise CallbackRefused(Code.BAD_CALLBACK, "applicationNumber")
    try:
        kind = CallbackKind(str(data.get("kind")))
    except ValueError:
        raise CallbackRefused(Code.BAD_CALLBACK, "kind") from None
    note = data.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise CallbackRefused(Code.BAD_CALLBACK, "note")
    outcome = None
    file = None
    if kind is CallbackKind.PROGRESS and not note.strip():
        raise CallbackRefused(Code.BAD_CALLBACK, "note")
    if kind is CallbackKind.TASK_OUTCOME:
        if data.get("outcome") not in ("APPROVED", "DENIED"):
            raise CallbackRefused(Code.BAD_CALLBACK, "outcome")
        outcome = TaskStatus(data["outcome"])
    if kind is CallbackKind.RESULT_DOCUMENT:
        file = _file(data.get("document"), max_file_bytes)
    return Callback(application_number=number, kind=kind, note=note, outcome=outcome, file=file)


def _file(value: object, max_bytes: int) -> applications.ResultFile:
    if not isinstance(value, dict):
        raise CallbackRefused(Code.BAD_CALLBACK, "document")
    name, content_type, content = (
        value.get("fileName"),
        value.get("contentType"),
        value.get("content"),
    )
    if not isinstance(name, str) or not 0 < len(name) <= 128:
        raise CallbackRefused(Code.BAD_CALLBACK, "document.fileName")
    if not isinstance(content_type, str) or not 0 < len(content_type) <= 100:
        raise CallbackRefused(Code.BAD_CALLBACK, "document.contentType")
    if not isinstance(content, str) or len(content) > (max_bytes * 4) // 3 + 4:
        raise CallbackRefused(Code.BAD_CALLBACK, "document.content")
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise CallbackRefused(Code.BAD_CALLBACK, "document.content") from None
    if not data or len(data) > max_bytes:
        raise CallbackRefused(Code.BAD_CALLBACK, "document.content")
    return applications.ResultFile(file_name=name, content_type=content_type, data=data)


async def _read_capped(chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """The request body, or TOO_LARGE as soon as it passes `limit` bytes."""
    received = bytearray()
    async for chunk in chunks:
        received.extend(chunk)
        if len(received) > limit:
            raise CallbackRefused(Code.TOO_LARGE)
    return bytes(received)
