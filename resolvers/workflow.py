"""One shape for every status workflow (applications, appeals, providers' services).

A domain declares its transitions as data, a `Table` of `Rule`s: from which status an action
goes to which status, the timeline event it writes, and who may take it (the policy actions of
resolvers/policy.py that allow a person to, and whether the platform takes it by itself). The
table answers "may this row take this action now" and draws itself as a Mermaid diagram, so
the docs are generated from what the code runs.

A `Machine` binds a table to its domain: how to lock a row, compare-and-set its status, write
its timeline event and ask the policy about it. Every move then has the same steps, in one
transaction:

    lock the row ─▶ the policy allows the actor ─▶ the table allows the action from the
    current status ─▶ the domain's own checks and writes ─▶ compare-and-set of the status
    ─▶ the timeline event ─▶ the outbox rows (messages, pushes, webhooks)

`run` does all of it; `apply` is the part after the lock, for moves that happen inside a
transaction the service already holds (a dispatch right after filing, a bundle's parent
following its child, several rows locked together).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar
from uuid import UUID

from resolvers import policy
from resolvers.errors import DomainError
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.transactions import atomic

S = TypeVar("S", bound=Enum)  # the status
A = TypeVar("A", bound=Enum)  # the action
E = TypeVar("E", bound=Enum)  # the timeline event's type
R = TypeVar("R")  # the row
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rule(Generic[S, A, E]):
    """`action` takes a row from `source` to `target` and writes `event` on its timeline.

    `resume`, when given, names the statuses the row would go back to after a pause (补正
    stops an application's clock, then it resumes where it was): the rule holds only while
    the row would resume to one of them, and a `target` of None moves it back there.
    """

    source: S
    action: A
    target: S | None
    event: E
    by: tuple[policy.Action, ...] = ()  # the policy actions that allow a person to take it
    system: bool = False  # the platform takes it by itself (a check, a scanner, a child's move)
    resume: tuple[S, ...] = ()

    def __post_init__(self) -> None:
        if not self.by and not self.system:
            raise ValueError(f"nobody may take {self.action.name} from {self.source.name}")
        if self.target is None and not self.resume:
            raise ValueError(f"{self.action.name} from {self.source.name} goes nowhere")


class NotTheActor(Exception):
    """A service moved a row on behalf of an actor the table does not name for that move:
    a mistake in the code, never an answer for a client."""


class Table(Generic[S, A, E]):
    """A domain's transitions; looking one up that is not there is the domain's
    INVALID_STATE."""

    def __init__(
        self,
        name: str,
        rules: Iterable[Rule[S, A, E]],
        *,
        error: type[DomainError],
        invalid_state: Enum,
        field: str,
        initial: Iterable[S] = (),
    ) -> None:
        self.name = name
        self.error = error
        self.invalid_state = invalid_state
        self.field = field
        self.initial = tuple(initial)
        self.rules: dict[tuple[S, A], Rule[S, A, E]] = {}
        for rule in rules:
            key = (rule.source, rule.action)
            if key in self.rules:
                raise ValueError(f"two rules for {rule.action.name} from {rule.source.name}")
            self.rules[key] = rule
        # The policy checks an action before the row's status is known: every rule of one
        # action names the same people.
        self._by: dict[A, tuple[policy.Action, ...]] = {}
        for rule in self.rules.values():
            if self._by.setdefault(rule.action, rule.by) != rule.by:
                raise ValueError(f"{rule.action.name} is allowed to different people by status")

    def rule(
        self, status: S, action: A, *, resume: S | None = None, field: str | None = None
    ) -> Rule[S, A, E]:
        """The rule for `action` from `status` (and the status it would resume to), or the
        domain's INVALID_STATE."""
        found = self.rules.get((status, action))
        if found is None or (found.resume and resume not in found.resume):
            raise self.error(self.invalid_state, field or self.field)
        return found

    def target(
        self, status: S, action: A, *, resume: S | None = None, field: str | None = None
    ) -> S:
        """The status after `action`, or the domain's INVALID_STATE."""
        found = self.rule(status, action, resume=resume, field=field)
        if found.target is None:
            assert resume is not None  # `rule` checked it is one of found.resume
            return resume
        return found.target

    def allowed(self, status: S, action: A, *, resume: S | None = None) -> bool:
        found = self.rules.get((status, action))
        return found is not None and (not found.resume or resume in found.resume)

    def policy_actions(self, action: A) -> tuple[policy.Action, ...]:
        """The policy actions that allow a person to take `action` (from any status)."""
        return self._by.get(action, ())

    def mermaid(self) -> str:
        """The table as a Mermaid `stateDiagram-v2`: every status, every transition labelled
        with its action (and, for a conditional one, the status it resumes to)."""
        lines = ["stateDiagram-v2"]
        lines.extend(f"    [*] --> {status.name}" for status in self.initial)
        for rule in self.rules.values():
            label = rule.action.name
            if rule.target is None:
                for back in rule.resume:
                    lines.append(f"    {rule.source.name} --> {back.name}: {label} (resumes)")
                continue
            if rule.resume:
                label += " (if it resumes to " + ", ".join(s.name for s in rule.resume) + ")"
            lines.append(f"    {rule.source.name} --> {rule.target.name}: {label}")
        return "\n".join(lines) + "\n"


@dataclass(slots=True)
class Moved(Generic[R, S, E]):
    """A move that happened: the locked row (its `status` already the new one), where it
    came from, where it went and the event written."""

    row: R
    source: S
    target: S
    event: E
    at: datetime


RowT = TypeVar("RowT")

# How a domain locks a row (None: there is none), compare-and-sets its status
# (`(row_id, expected=status, status=target, **columns) -> bool`), writes its timeline event
# (`(row, event, status, at=, actor_id=, note=, **fields)`), and asks the policy about it
# (raising its refusal, or its NOT_FOUND for a caller who may not see the row).
Lock = Callable[[UUID], Awaitable[RowT | None]]
CompareAndSet = Callable[..., Awaitable[bool]]
Record = Callable[..., Awaitable[None]]
Authorize = Callable[[Resources, Principal, policy.Action, RowT | None], Awaitable[None]]


class Machine(Generic[RowT, S, A, E]):
    """A table bound to its domain's repository, timeline and policy questions."""

    def __init__(
        self,
        table: Table[S, A, E],
        *,
        lock: Lock[RowT],
        compare_and_set: CompareAndSet,
        record: Record,
        authorize: Authorize[RowT],
        not_found: Enum,
        conflict: Enum,
        guard: Callable[[RowT], None] | None = None,
    ) -> None:
        self.table = table
        self._lock = lock
        self._compare_and_set = compare_and_set
        self._record = record
        self._authorize = authorize
        self.not_found = not_found
        self.conflict = conflict
        self._guard = guard

    def _error(self, code: Enum, field: str | None) -> DomainError:
        return self.table.error(code, field or self.table.field)

    def _policy_action(self, action: A, by: policy.Action | None) -> policy.Action:
        allowed = self.table.policy_actions(action)
        if by is None:
            if len(allowed) != 1:
                raise NotTheActor(f"name the policy action for {action.name}")
            return allowed[0]
        if by not in allowed:
            raise NotTheActor(f"{by} does not allow {action.name}")
        return by

    async def lock(
        self,
        resources: Resources,
        principal: Principal | None,
        row_id: UUID,
        action: A,
        *,
        by: policy.Action | None = None,
        field: str | None = None,
    ) -> RowT:
        """Inside a transaction: the row, locked until commit, once the policy allows the
        caller (`principal`; None for the platform itself) to take `action` on it."""
        row = await self._lock(row_id)
        if principal is not None:
            await self._authorize(resources, principal, self._policy_action(action, by), row)
        if row is None:
            raise self._error(self.not_found, field)
        if self._guard is not None:
            self._guard(row)
        return row

    async def apply(
        self,
        row: RowT,
        action: A,
        *,
        by: policy.Action | None,
        at: datetime,
        actor_id: UUID | None,
        note: str = "",
        changes: Mapping[str, Any] | None = None,
        resume: S | None = None,
        event: E | None = None,
        field: str | None = None,
        **event_fields: Any,
    ) -> Moved[RowT, S, E]:
        """Inside the caller's transaction, on a row it locked: the table's check, the
        compare-and-set of the status (skipped for a move that stays where it is and changes
        nothing else), the timeline event. `by` is the policy action the caller was allowed
        by (None: the platform itself); `event` overrides the table's for a domain that names
        a move by its circumstances (a bundle's parent back from 补正)."""
        moving: Any = row  # a model row: its `id` and `status` columns
        source: S = moving.status
        rule = self.table.rule(source, action, resume=resume, field=field)
        if by is None and not rule.system:
            raise NotTheActor(f"{action.name} from {source.name} is not the platform's to take")
        if by is not None and by not in rule.by:
            raise NotTheActor(f"{by} does not allow {action.name} from {source.name}")
        target = self.table.target(source, action, resume=resume, field=field)
        changes = dict(changes or {})
        moves = target is not source or bool(changes)
        if moves and not await self._compare_and_set(
            moving.id, expected=source, status=target, **changes
        ):
            raise self._error(self.conflict, field)
        moving.status = target
        written = event or rule.event
        await self._record(
            row, written, target, at=at, actor_id=actor_id, note=note, **event_fields
        )
        return Moved(row=row, source=source, target=target, event=written, at=at)

    async def run(
        self,
        resources: Resources,
        principal: Principal | None,
        row_id: UUID,
        action: A,
        *,
        at: datetime,
        by: policy.Action | None = None,
        actor_id: UUID | None = None,
        note: str = "",
        changes: Mapping[str, Any] | None = None,
        prepare: Callable[[RowT], Awaitable[Mapping[str, Any] | None]] | None = None,
        outbox: Callable[[Moved[RowT, S, E]], Awaitable[T]] | None = None,
        resume_of: Callable[[RowT], S | None] | None = None,
        field: str | None = None,
        **event_fields: Any,
    ) -> tuple[Moved[RowT, S, E], T | None]:
        """The whole move in one transaction: lock, policy, table, `prepare` (the domain's
        own checks and writes on the locked row; returns the columns that change with the
        status, added to `changes`), compare-and-set, timeline event, `outbox` (the rows
        that tell others). The actor is the principal's account unless `actor_id` is given."""
        async with atomic():
            row = await self.lock(resources, principal, row_id, action, by=by, field=field)
            resume = resume_of(row) if resume_of is not None else None
            locked: Any = row
            self.table.rule(locked.status, action, resume=resume, field=field)
            if principal is not None:
                by = self._policy_action(action, by)
                if actor_id is None:
                    assert principal.account_id is not None  # the policy refused anonymous
                    actor_id = principal.account_id
            columns = dict(changes or {})
            if prepare is not None:
                columns.update(await prepare(row) or {})
            moved = await self.apply(
                row,
                action,
                by=by,
                at=at,
                actor_id=actor_id,
                note=note,
                changes=columns,
                resume=resume,
                field=field,
                **event_fields,
            )
            told = await outbox(moved) if outbox is not None else None
        return moved, told
