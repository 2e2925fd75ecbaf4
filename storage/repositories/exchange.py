"""Queries of the provincial exchange: pushed messages (outbox rows of kind exchange.push),
the province's acknowledgements, department systems and their callback ledger (the only
place these queries are written)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise import connections
from tortoise.exceptions import DoesNotExist, IntegrityError

from storage.database import hot_statement
from storage.models.applications import (
    Application,
    ApplicationEvent,
    ApplicationTask,
    EventType,
    Rating,
)
from storage.models.catalogue import BaseItem, Department, Implementation, Region
from storage.models.exchange import (
    CallbackKind,
    ExchangeAcknowledgement,
    ExchangeCallback,
    ExchangeStep,
    ExchangeSystem,
    SigningAlgorithm,
)
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.repositories.pagination import Page, Scalar, keyset_page

PUSH = "exchange.push"
KEY_PREFIX = "province:"
PAGE_ORDER = ("-seq",)


def stream_key(application_id: UUID) -> str:
    """One strict stream per application, apart from its notifications: a province outage
    must not hold back the resident's messages, nor a WeChat outage the province's."""
    return f"{KEY_PREFIX}{application_id}"


# -- writing messages (inside the workflow's transaction)


async def stream_tail(application_id: UUID) -> OutboxMessage | None:
    return (
        await OutboxMessage.filter(key=stream_key(application_id), kind=PUSH)
        .order_by("-seq")
        .first()
    )


# The application and its implementation with the rows the message names, in one statement:
# each related row comes as a value of its own table's row type, decoded by the driver like any
# row of it. Built by the ORM, the two reads spent more on writing their SQL (joins over four
# wide tables) than the rest of a submission's push: about 3 ms of CPU.
_FACTS = hot_statement(
    "SELECT a.*, (SELECT p FROM application p WHERE p.id = a.parent_id) AS parent__row, "
    "i AS implementation__row, b AS base__row, r AS region__row, d AS department__row "
    "FROM application a JOIN implementation i ON i.id = a.implementation_id "
    "JOIN base_item b ON b.id = i.base_id JOIN region r ON r.id = i.region_id "
    "JOIN department d ON d.id = i.department_id WHERE a.id = $1",
    UUID(int=0),
)


async def facts_rows(
    application_id: UUID, task_id: UUID | None
) -> tuple[Application, Implementation, ApplicationTask | None]:
    """The application as it is now (after the event's own update) with its bundle parent,
    its implementation with base item, region and organ, and the task of the event (with its
    department)."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        rows = await connection.execute_query_dict(_FACTS, [application_id])
        if not rows:
            raise DoesNotExist(Application)
        row = rows[0]
        parent = row.pop("parent__row")
        implementation = Implementation._init_from_db(**dict(row.pop("implementation__row")))
        implementation.base = BaseItem._init_from_db(**dict(row.pop("base__row")))
        implementation.region = Region._init_from_db(**dict(row.pop("region__row")))
        implementation.department = Department._init_from_db(**dict(row.pop("department__row")))
        application = Application._init_from_db(**row)
        application.parent = Application._init_from_db(**dict(parent)) if parent else None
    else:  # the embedded mode's SQLite
        application = await Application.filter(id=application_id).select_related("parent").get()
        implementation = (
            await Implementation.filter(id=application.implementation_id)
            .select_related("base", "region", "department")
            .get()
        )
    task = None
    if task_id is not None:
        task = await ApplicationTask.filter(id=task_id).select_related("department").first()
    return application, implementation, task


async def rating_of(application_id: UUID) -> Rating | None:
    return await Rating.get_or_none(application_id=application_id)


# -- acknowledgements


async def record_ack(
    *,
    message_id: UUID,
    payload: dict[str, Any],
    ack_id: str,
    acknowledged_at: datetime,
    province_received_at: datetime | None,
    duplicate: bool,
) -> None:
    """Once per message: a second receipt (a resend after a crash) keeps the first."""
    if await ExchangeAcknowledgement.exists(message_id=message_id):
        return
    try:
        await ExchangeAcknowledgement.create(
            message_id=message_id,
            application_id=UUID(payload["application_id"]),
            event_id=UUID(payload["event_id"]),
            sequence=int(payload["sequence"]),
            step=ExchangeStep(payload["step"]),
            event_at=datetime.fromisoformat(payload["event_at"]),
            ack_id=ack_id,
            acknowledged_at=acknowledged_at,
            province_received_at=province_received_at,
            duplicate=duplicate,
        )
    except IntegrityError:  # another worker recorded the same receipt first
        return


async def acks_of_messages(message_ids: Sequence[UUID]) -> list[ExchangeAcknowledgement]:
    return await ExchangeAcknowledgement.filter(message_id__in=list(message_ids))


async def acks_between(start: datetime, end: datetime) -> list[ExchangeAcknowledgement]:
    return await ExchangeAcknowledgement.filter(event_at__gte=start, event_at__lt=end)


# -- reading messages (admins)


async def message_page(
    *,
    application_id: UUID | None,
    status: OutboxStatus | None,
    first: int,
    after: Sequence[Scalar] | None,
) -> Page[OutboxMessage]:
    """Newest first. Filtered by application, the stream key index does the work."""
    query = OutboxMessage.filter(kind=PUSH)
    if application_id is not None:
        query = query.filter(key=stream_key(application_id))
    if status is not None:
        query = query.filter(status=status)
    typed = None if after is None else _typed(after)
    return await keyset_page(query, order=PAGE_ORDER, first=first, after=typed)


def _typed(after: Sequence[Scalar]) -> list[Any]:
    if len(after) != 2 or not isinstance(after[0], int) or not isinstance(after[1], str):
        raise ValueError("cursor does not fit this list")
    return [after[0], UUID(after[1])]


async def messages_by_ids(ids: Sequence[UUID]) -> list[OutboxMessage]:
    return await OutboxMessage.filter(id__in=list(ids), kind=PUSH)


async def messages_of_applications(application_ids: Sequence[UUID]) -> list[OutboxMessage]:
    keys = [stream_key(a) for a in application_ids]
    if not keys:
        return []
    return await OutboxMessage.filter(kind=PUSH, key__in=keys).order_by("seq")


# -- re-sending dead letters


async def dead_messages(ids: Sequence[UUID] | None) -> list[OutboxMessage]:
    """DEAD pushes: the given ones, or all of them."""
    query = OutboxMessage.filter(kind=PUSH, status=OutboxStatus.DEAD)
    if ids is not None:
        query = query.filter(id__in=list(ids))
    return await query.order_by("seq")


async def dead_in_streams(keys: Sequence[str]) -> list[OutboxMessage]:
    if not keys:
        return []
    return await OutboxMessage.filter(
        kind=PUSH, status=OutboxStatus.DEAD, key__in=list(keys)
    ).order_by("seq")


# -- reconciliation


async def events_between(
    start: datetime, end: datetime, types: Sequence[EventType]
) -> list[ApplicationEvent]:
    return await ApplicationEvent.filter(at__gte=start, at__lt=end, type__in=list(types)).order_by(
        "seq"
    )


async def applications_by_ids(ids: Sequence[UUID]) -> list[Application]:
    return await Application.filter(id__in=list(ids))


async def applications_by_numbers(numbers: Sequence[str]) -> list[Application]:
    return await Application.filter(number__in=list(numbers))


# -- department systems and their callbacks


async def system_by_key(key_id: str) -> ExchangeSystem | None:
    return await ExchangeSystem.get_or_none(key_id=key_id, active=True)


async def all_systems() -> list[ExchangeSystem]:
    return await ExchangeSystem.all().select_related("department").order_by("key_id")


async def add_system(
    *,
    key_id: str,
    department_id: UUID,
    name: str,
    algorithm: SigningAlgorithm,
    secret_sealed: str | None,
    public_key: str | None,
) -> ExchangeSystem:
    return await ExchangeSystem.create(
        key_id=key_id,
        department_id=department_id,
        name=name,
        algorithm=algorithm,
        secret_sealed=secret_sealed,
        public_key=public_key,
    )


async def revoke_system(key_id: str, *, now: datetime) -> bool:
    return bool(
        await ExchangeSystem.filter(key_id=key_id, active=True).update(active=False, revoked_at=now)
    )


async def rotate_system_secret(
    key_id: str, *, secret_sealed: str, previous_until: datetime
) -> bool:
    """Replaces an active HMAC system's secret, keeping the one it replaces until
    `previous_until`; False when there is no such system. One statement: two rotations at
    once cannot both keep the same previous secret."""
    system = await ExchangeSystem.get_or_none(
        key_id=key_id, active=True, algorithm=SigningAlgorithm.HMAC_SHA256
    )
    if system is None or system.secret_sealed is None:
        return False
    return bool(
        await ExchangeSystem.filter(id=system.id, secret_sealed=system.secret_sealed).update(
            secret_sealed=secret_sealed,
            previous_secret_sealed=system.secret_sealed,
            previous_secret_until=previous_until,
        )
    )


async def department_by_code(code: str) -> Department | None:
    return await Department.get_or_none(code=code)


async def callback(system_id: UUID, message_id: str) -> ExchangeCallback | None:
    return await ExchangeCallback.get_or_none(system_id=system_id, message_id=message_id)


async def record_callback(
    *,
    system_id: UUID,
    message_id: str,
    body_sha256: str,
    kind: CallbackKind,
    application_id: UUID,
    received_at: datetime,
) -> ExchangeCallback:
    """Inside the transaction that applies it: the unique (system, message id) makes a
    concurrent twin fail with IntegrityError once this one commits."""
    return await ExchangeCallback.create(
        system_id=system_id,
        message_id=message_id,
        body_sha256=body_sha256,
        kind=kind,
        application_id=application_id,
        received_at=received_at,
    )


async def callback_page(*, first: int, after: Sequence[Scalar] | None) -> Page[ExchangeCallback]:
    query = ExchangeCallback.all()
    typed: list[Any] | None = None
    if after is not None:
        if len(after) != 2 or not isinstance(after[0], str) or not isinstance(after[1], str):
            raise ValueError("cursor does not fit this list")
        typed = [datetime.fromisoformat(after[0]), UUID(after[1])]
    return await keyset_page(query, order=("-received_at",), first=first, after=typed)


async def systems_by_ids(ids: Sequence[UUID]) -> list[ExchangeSystem]:
    return await ExchangeSystem.filter(id__in=list(ids)).select_related("department")


async def task_of_department(application_id: UUID, department_id: UUID) -> ApplicationTask | None:
    return await ApplicationTask.get_or_none(
        application_id=application_id, department_id=department_id
    )
