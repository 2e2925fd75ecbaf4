"""The machine's move after the lock: the table, the actor, compare-and-set, the event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.workflow import APPLICATION_WORKFLOW, Action
from resolvers.policy import Action as Do
from resolvers.workflow import Machine, NotTheActor
from storage.models.applications import ApplicationStatus as S
from storage.models.applications import EventType as E

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@dataclass
class FakeRow:
    status: S
    id: UUID = field(default_factory=uuid4)


@dataclass
class Store:
    """Stands in for a repository: what was written, and whether the status still matched."""

    stale: bool = False
    writes: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[E, S, dict[str, Any]]] = field(default_factory=list)

    async def lock(self, row_id: UUID) -> FakeRow | None:
        return None

    async def compare_and_set(self, row_id: UUID, *, expected: S, **changes: Any) -> bool:
        self.writes.append({"expected": expected, **changes})
        return not self.stale

    async def record(self, row: FakeRow, type: E, status: S, **fields: Any) -> None:
        self.events.append((type, status, fields))

    async def authorize(self, *args: Any) -> None:
        return None


def machine(store: Store) -> Machine[FakeRow, S, Action, E]:
    return Machine(
        APPLICATION_WORKFLOW,
        lock=store.lock,
        compare_and_set=store.compare_and_set,
        record=store.record,
        authorize=store.authorize,
        not_found=Code.NOT_FOUND,
        conflict=Code.CONFLICT,
    )


async def test_a_move_sets_the_status_where_it_still_was_and_writes_the_event() -> None:
    store = Store()
    row = FakeRow(S.SUBMITTED)
    moved = await machine(store).apply(
        row,
        Action.REJECT,
        by=Do.APPLICATION_REJECT,
        at=NOW,
        actor_id=None,
        note="材料不全",
        changes={"reason": "材料不全"},
    )
    assert (moved.source, moved.target, moved.event) == (
        S.SUBMITTED,
        S.NOT_ACCEPTED,
        E.NOT_ACCEPTED,
    )
    assert row.status is S.NOT_ACCEPTED
    assert store.writes == [
        {"expected": S.SUBMITTED, "status": S.NOT_ACCEPTED, "reason": "材料不全"}
    ]
    assert store.events == [
        (E.NOT_ACCEPTED, S.NOT_ACCEPTED, {"at": NOW, "actor_id": None, "note": "材料不全"})
    ]


async def test_a_row_moved_meanwhile_is_the_domains_conflict_and_writes_no_event() -> None:
    store = Store(stale=True)
    with pytest.raises(ApplicationError) as raised:
        await machine(store).apply(
            FakeRow(S.SUBMITTED), Action.ACCEPT, by=Do.APPLICATION_ACCEPT, at=NOW, actor_id=None
        )
    assert raised.value.code is Code.CONFLICT
    assert store.events == []


async def test_a_move_that_stays_and_changes_nothing_writes_only_its_event() -> None:
    store = Store()
    await machine(store).apply(
        FakeRow(S.ACCEPTED),
        Action.PROGRESS,
        by=Do.APPLICATION_RECORD_PROGRESS,
        at=NOW,
        actor_id=None,
        task_id=None,
    )
    assert store.writes == []
    assert [event for event, _, _ in store.events] == [E.PROGRESS]


async def test_a_move_out_of_turn_is_invalid_state_and_writes_nothing() -> None:
    store = Store()
    with pytest.raises(ApplicationError) as raised:
        await machine(store).apply(
            FakeRow(S.COMPLETED), Action.ACCEPT, by=Do.APPLICATION_ACCEPT, at=NOW, actor_id=None
        )
    assert raised.value.code is Code.INVALID_STATE
    assert store.writes == []
    assert store.events == []


async def test_the_actor_must_be_one_the_table_names() -> None:
    store = Store()
    with pytest.raises(NotTheActor):
        await machine(store).apply(
            FakeRow(S.SUBMITTED), Action.ACCEPT, by=Do.APPLICATION_REJECT, at=NOW, actor_id=None
        )
    with pytest.raises(NotTheActor):  # people accept; the platform never does by itself
        await machine(store).apply(
            FakeRow(S.SUBMITTED), Action.ACCEPT, by=None, at=NOW, actor_id=None
        )
    assert store.writes == []
