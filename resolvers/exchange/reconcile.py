"""Reconciliation of one day (China time): our events and pushes against the province's
receipts and, when it answers, against the list of what the province holds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from integrations.provincial import ProvinceRecord, ProvinceRefused, ProvinceUnavailable
from resolvers.exchange import mapping
from resolvers.exchange.mapping import CHINA, STEPS
from resolvers.resources import Resources
from storage.models.exchange import ExchangeAcknowledgement
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.repositories import exchange as repo


class FindingKind(StrEnum):
    NOT_PUSHED = "NOT_PUSHED"  # an event the province should get has no message
    NOT_ACKNOWLEDGED = "NOT_ACKNOWLEDGED"  # a message without the province's receipt
    ACK_WITHOUT_EVENT = "ACK_WITHOUT_EVENT"  # a receipt (ours or theirs) with no local event
    NOT_HELD_BY_PROVINCE = "NOT_HELD_BY_PROVINCE"  # we hold a receipt, the province not the message
    OUT_OF_ORDER = "OUT_OF_ORDER"  # an application's steps acknowledged out of sequence
    PROVINCE_UNAVAILABLE = "PROVINCE_UNAVAILABLE"  # its list could not be read: not checked


class Finder(Protocol):
    """How the checks report what they find."""

    def __call__(
        self, kind: FindingKind, message: OutboxMessage | None, detail: str, **known: object
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    application: str  # the application number (or "-")
    sequence: int | None
    step: str
    message_id: str
    detail: str

    def line(self) -> str:
        sequence = "-" if self.sequence is None else str(self.sequence)
        return (
            f"{self.kind.value} application={self.application} sequence={sequence} "
            f"step={self.step or '-'} message={self.message_id or '-'}: {self.detail}"
        )


@dataclass(slots=True)
class Report:
    day: date
    events: int = 0
    messages: int = 0
    receipts: int = 0
    province_held: int | None = None  # None: the province was not asked (or did not answer)
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        held = "not checked" if self.province_held is None else str(self.province_held)
        return (
            f"reconciled {self.day.isoformat()}: {self.events} events, {self.messages} messages, "
            f"{self.receipts} receipts, province holds {held}; {len(self.findings)} findings"
        )


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=CHINA).astimezone(UTC)
    return start, start + timedelta(days=1)


async def reconcile(resources: Resources, day: date, *, ask_province: bool = True) -> Report:
    start, end = day_bounds(day)
    report = Report(day=day)
    events = await repo.events_between(start, end, list(STEPS))
    day_acks = await repo.acks_between(start, end)
    application_ids = {e.application_id for e in events} | {a.application_id for a in day_acks}
    applications = await repo.applications_by_ids(list(application_ids))
    numbers = {a.id: a.number for a in applications}
    # A bundle's parent is no 办件 of its own: its items are pushed, each with the bundle's
    # number, and reconciled like any other application.
    projects = {a.id for a in applications if mapping.is_project(a)}
    events = [e for e in events if e.application_id in projects]
    messages = await repo.messages_of_applications(sorted(application_ids, key=str))
    acks = {a.message_id: a for a in await repo.acks_of_messages([m.id for m in messages])}
    acks.update({a.message_id: a for a in day_acks})
    by_event = {m.payload.get("event_id"): m for m in messages}
    message_ids = {m.id for m in messages}
    event_ids = {e.id for e in events}
    report.events = len(events)
    report.receipts = len(day_acks)

    def finding(
        kind: FindingKind, message: OutboxMessage | None, detail: str, **known: object
    ) -> None:
        payload = message.payload if message is not None else {}
        application = known.get("application")
        report.findings.append(
            Finding(
                kind=kind,
                application=str(application or payload.get("number") or "-"),
                sequence=_int(known.get("sequence", payload.get("sequence"))),
                step=str(known.get("step", payload.get("step", ""))),
                message_id=str(known.get("message_id", message.id if message else "")),
                detail=detail,
            )
        )

    for event in events:
        message = by_event.get(str(event.id))
        if message is None:
            finding(
                FindingKind.NOT_PUSHED,
                None,
                f"event {event.type.value} at {event.at.isoformat()} has no message",
                application=numbers.get(event.application_id),
                step=STEPS[event.type].value,
            )
            continue
        report.messages += 1
        ack = acks.get(message.id)
        if message.status is not OutboxStatus.DELIVERED or ack is None:
            finding(FindingKind.NOT_ACKNOWLEDGED, message, _unacknowledged(message, ack))

    for ack in day_acks:
        if ack.message_id not in message_ids or ack.event_id not in event_ids:
            finding(
                FindingKind.ACK_WITHOUT_EVENT,
                None,
                f"receipt {ack.ack_id} has no local "
                + ("message" if ack.message_id not in message_ids else "event that day"),
                application=numbers.get(ack.application_id),
                sequence=ack.sequence,
                step=ack.step.value,
                message_id=str(ack.message_id),
            )

    _order(messages, acks, finding)

    if ask_province and resources.province is not None:
        try:
            held = await resources.province.received(day)
        except (ProvinceUnavailable, ProvinceRefused) as exc:
            finding(FindingKind.PROVINCE_UNAVAILABLE, None, f"its list could not be read: {exc}")
        else:
            report.province_held = len(held)
            _province_view(held, messages, day_acks, numbers, finding)
    return report


def _unacknowledged(message: OutboxMessage, ack: ExchangeAcknowledgement | None) -> str:
    if ack is not None:
        return f"receipt {ack.ack_id} but the message is {message.status.value}"
    if message.status is OutboxStatus.DELIVERED:
        return "DELIVERED, but no receipt is on record"
    error = f", last error: {message.last_error}" if message.last_error else ""
    return f"{message.status.value} after {message.attempts} attempts{error}"


def _order(
    messages: list[OutboxMessage],
    acks: dict[UUID, ExchangeAcknowledgement],
    finding: Finder,
) -> None:
    """Within one application: sequence numbers 1, 2, 3 ... once each, and no receipt for a
    step while an earlier step has none, or before the earlier step's receipt."""
    streams: dict[str, list[OutboxMessage]] = defaultdict(list)
    for message in messages:
        streams[message.key].append(message)
    for stream in streams.values():
        stream.sort(key=lambda m: int(m.payload.get("sequence", 0)))
        earlier_missing: OutboxMessage | None = None
        reported_gap = False
        previous_ack: ExchangeAcknowledgement | None = None
        for position, message in enumerate(stream, start=1):
            sequence = int(message.payload.get("sequence", 0))
            if sequence != position:
                finding(
                    FindingKind.OUT_OF_ORDER,
                    message,
                    f"sequence {sequence} where {position} was expected",
                )
            ack = acks.get(message.id)
            if ack is None:
                earlier_missing = earlier_missing or message
                continue
            if earlier_missing is not None:
                if not reported_gap:  # once per gap: what follows it tells the same story
                    missing = earlier_missing.payload.get("sequence")
                    finding(
                        FindingKind.OUT_OF_ORDER,
                        message,
                        f"acknowledged while sequence {missing} is not",
                    )
                    reported_gap = True
            elif previous_ack is not None and ack.acknowledged_at < previous_ack.acknowledged_at:
                finding(
                    FindingKind.OUT_OF_ORDER,
                    message,
                    f"acknowledged before sequence {previous_ack.sequence}",
                )
            previous_ack = ack


def _province_view(
    held: list[ProvinceRecord],
    messages: list[OutboxMessage],
    day_acks: list[ExchangeAcknowledgement],
    numbers: dict[UUID, str],
    finding: Finder,
) -> None:
    ours = {str(m.id): m for m in messages}
    theirs = {r.message_id: r for r in held}
    receipts = {str(a.message_id) for a in day_acks}
    for record in held:
        # A receipt of ours without its message is reported already, from our side.
        if record.message_id not in ours and record.message_id not in receipts:
            finding(
                FindingKind.ACK_WITHOUT_EVENT,
                None,
                f"the province holds receipt {record.ack_id} for a message we never sent",
                application=record.application_number or "-",
                sequence=record.sequence,
                step=record.step,
                message_id=record.message_id,
            )
    for ack in day_acks:
        if str(ack.message_id) not in theirs and str(ack.message_id) in ours:
            finding(
                FindingKind.NOT_HELD_BY_PROVINCE,
                ours[str(ack.message_id)],
                f"we hold receipt {ack.ack_id}, the province's list does not have the message",
            )
    by_application: dict[str, list[ProvinceRecord]] = defaultdict(list)
    for record in held:
        if record.received_at is not None:
            by_application[record.application_number].append(record)
    for number, records in by_application.items():
        records.sort(key=lambda r: (r.received_at, r.sequence))
        sequences = [r.sequence for r in records]
        if sequences != sorted(sequences):
            finding(
                FindingKind.OUT_OF_ORDER,
                None,
                f"the province received sequences in the order {sequences}",
                application=number,
                sequence=None,
            )


def _int(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
