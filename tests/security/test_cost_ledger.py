"""The cost ledger on real Redis: a busy caller pays one round trip per SEEN_SECONDS, never
a request more than its budget in this process, and what other processes charged counts
once what Redis said has aged."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api import limits
from api.limits import Ledger
from api.preparation import Caller, Refused
from resolvers.settings import Settings
from storage import cache
from storage.cache import Keys, Redis, create_redis

pytestmark = pytest.mark.usefixtures("redis_url")


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = create_redis(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The callers whose admission went to Redis, one entry per round trip."""
    asked: list[str] = []
    original = cache.settle_and_admit

    async def counted(redis: Redis, buckets: Any, owed: Any) -> Any:
        asked.append(buckets[0].key)
        return await original(redis, buckets, owed)

    monkeypatch.setattr(limits, "settle_and_admit", counted)
    return asked


@pytest.fixture
def pipelines(redis: Redis, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """One entry per pipeline the client opens: a settling's round trips."""
    opened: list[None] = []
    original = type(redis).pipeline

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(None)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(redis), "pipeline", counted)
    return opened


class HeldSettle:
    """The settling task's pipeline, held on its way to Redis until `release` is set."""

    def __init__(self) -> None:
        self.sending, self.release = asyncio.Event(), asyncio.Event()

    async def settle(self, ledger: Ledger, redis: Redis) -> asyncio.Task[None]:
        """The ledger's settling, started and waiting to be released."""
        settling = asyncio.create_task(ledger.settle(redis))
        await self.sending.wait()
        return settling


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> HeldSettle:
    hold = HeldSettle()
    original = cache.spend_budgets

    async def slow(redis: Redis, charges: Any) -> Any:
        hold.sending.set()
        await hold.release.wait()
        return await original(redis, charges)

    monkeypatch.setattr(limits, "spend_budgets", slow)
    return hold


def _caller() -> Caller:
    return Caller(f"ip:test-{uuid.uuid4().hex}", signed_in=False, trusted=False)


def _ledger(per_minute: float = 6000, burst_seconds: float = 20) -> Ledger:
    # 6,000 points a minute with a 20 s burst: a bucket of 2,000 points.
    return Ledger(
        Settings(
            cost_budget_per_minute=per_minute,
            cost_burst_seconds=burst_seconds,
            execution_seconds_per_minute=60.0,
        )
    )


async def _charged_and_aged(
    redis: Redis, monkeypatch: pytest.MonkeyPatch, points: int, ledger: Ledger | None = None
) -> tuple[Ledger, Caller]:
    """A caller admitted once and charged `points`, whose answer from Redis has since aged:
    its next admission asks Redis again."""
    monkeypatch.setattr(limits, "SEEN_SECONDS", 0.05)
    ledger, caller = ledger or _ledger(), _caller()
    await ledger.admit(redis, caller)
    ledger.owe(caller, points, 0.001)
    await asyncio.sleep(0.1)
    return ledger, caller


async def _owing(redis: Redis, count: int) -> tuple[Ledger, list[Caller]]:
    """`count` callers admitted once, the nth owing n + 1 points."""
    ledger = _ledger()
    callers = [_caller() for _ in range(count)]
    for n, caller in enumerate(callers):
        await ledger.admit(redis, caller)
        ledger.owe(caller, n + 1, 0.001)
    return ledger, callers


async def _level(redis: Redis, caller: Caller) -> float:
    return float(await redis.hget(Keys.cost_budget(caller.key), "level") or 0)


async def test_a_busy_caller_is_admitted_without_a_round_trip_each_time(
    redis: Redis, round_trips: list[str]
) -> None:
    ledger, caller = _ledger(), _caller()
    remaining = []
    for _ in range(50):
        budget = await ledger.admit(redis, caller)
        assert budget is not None
        assert budget.allowed
        remaining.append(budget.levels[0].remaining)
        ledger.owe(caller, 10, 0.001)

    assert len(round_trips) == 1
    # Each admission counts what this process charged before it, as Redis would have.
    assert remaining[0] == pytest.approx(2000, abs=0.1)
    assert remaining[-1] == pytest.approx(2000 - 49 * 10, abs=0.5)
    assert [round(a - b) for a, b in itertools.pairwise(remaining)] == [10] * 49
    # Nothing charged here is lost: the settling task sends it.
    await ledger.settle(redis)
    assert await _level(redis, caller) == pytest.approx(500, abs=1)


async def test_what_redis_said_ages_and_is_asked_again(
    redis: Redis, round_trips: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, caller = await _charged_and_aged(redis, monkeypatch, 7)
    await ledger.admit(redis, caller)

    assert len(round_trips) == 2
    # The second round trip settled the first answer's charge.
    assert await _level(redis, caller) == pytest.approx(7, abs=0.5)


async def test_redis_decides_once_this_process_has_spent_the_room(
    redis: Redis, round_trips: list[str]
) -> None:
    # 60 points a minute, a 20 s burst: a bucket of 20 points.
    ledger, caller = _ledger(per_minute=60), _caller()
    await ledger.admit(redis, caller)
    ledger.owe(caller, 15, 0.001)
    here = await ledger.admit(redis, caller)  # 15 of 20 held: room, no round trip
    ledger.owe(caller, 10, 0.001)
    with pytest.raises(Refused) as refused:
        await ledger.admit(redis, caller)  # 25 held: Redis decides, and refuses

    assert here is not None
    assert here.levels[0].remaining == pytest.approx(5, abs=0.1)
    assert len(round_trips) == 2
    assert refused.value.code == "THROTTLED"
    assert await _level(redis, caller) == pytest.approx(25, abs=0.5)
    # Refused: the next admission asks Redis again rather than trusting an old answer.
    with pytest.raises(Refused):
        await ledger.admit(redis, caller)
    assert len(round_trips) == 3


async def test_another_process_charges_count_once_the_answer_has_aged(
    redis: Redis, round_trips: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "SEEN_SECONDS", 0.2)
    here, there, caller = _ledger(per_minute=60), _ledger(per_minute=60), _caller()
    await here.admit(redis, caller)
    # Another process spends the whole bucket and settles it.
    await there.admit(redis, caller)
    there.owe(caller, 30, 0.001)
    await there.settle(redis)

    # Within SEEN_SECONDS this process has not heard of it yet (the documented lag) ...
    assert await here.admit(redis, caller) is not None
    await asyncio.sleep(0.25)
    # ... and after it, Redis refuses the caller here too.
    with pytest.raises(Refused):
        await here.admit(redis, caller)


async def test_the_callers_remembered_are_bounded(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "_OWED_ENTRIES", 3)
    ledger = _ledger()
    for _ in range(5):
        await ledger.admit(redis, _caller())

    assert len(ledger._seen) == 3


async def test_every_owed_charge_is_settled_in_one_round_trip(
    redis: Redis, pipelines: list[None]
) -> None:
    ledger, callers = await _owing(redis, 40)
    # One caller's bucket is not a bucket (the script fails for it alone); and Redis has
    # forgotten the script, as after a restart.
    broken = callers[7]
    await redis.set(Keys.cost_budget(broken.key), "not a hash")
    await redis.script_flush()
    await ledger.settle(redis)

    assert len(pipelines) == 2  # by digest, then again with the text for the unknown script
    levels = [await _level(redis, caller) for caller in callers if caller is not broken]
    assert levels == [
        pytest.approx(n + 1, abs=0.5) for n, caller in enumerate(callers) if caller is not broken
    ]
    # The charge that could not be added stays owed, for the next settling or admission.
    assert list(ledger._owed) == [broken.key]
    assert ledger._owed[broken.key][1] == 8


async def test_many_principals_are_settled_by_a_few_runs_of_the_script_in_one_round_trip(
    redis: Redis, pipelines: list[None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run of the script charges many principals (a command each cost the process more
    than the round trip), and each answer goes back to its own principal; a principal whose
    key is not a bucket is left owing without costing the others of its run their charges."""
    monkeypatch.setattr(cache, "SETTLED_PER_SCRIPT", 16)
    ledger, callers = await _owing(redis, 40)
    broken = callers[20]  # in the middle of the second run
    await redis.set(Keys.cost_budget(broken.key), "not a hash")
    runs: list[int] = []
    original = cache._script_arguments

    def counted(charges: Any, *, check: bool) -> list[object]:
        runs.append(len(charges))
        return original(charges, check=check)

    monkeypatch.setattr(cache, "_script_arguments", counted)
    await ledger.settle(redis)

    assert (len(pipelines), runs) == (1, [16, 16, 8])
    for n, caller in enumerate(callers):
        if caller is broken:
            continue
        assert await _level(redis, caller) == pytest.approx(n + 1, abs=0.5)
        # What the settle's answer said of this caller is this caller's own level.
        assert ledger._seen[caller.key].levels[0] == pytest.approx(n + 1, abs=0.5)
    # Its other bucket is as its admission left it: nothing of its charge was added.
    assert await redis.hget(Keys.time_budget(broken.key), "level") == "0"
    assert list(ledger._owed) == [broken.key]
    assert ledger._owed[broken.key][1] == 21


async def test_an_admission_answered_while_charges_are_being_settled_counts_them(
    redis: Redis, held: HeldSettle, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Redis answers an admission while the settling task's pipeline is still on its way:
    # the answer may not count those charges, so what the process remembers does.
    # A bucket of 20 points; what Redis said has aged: the next admission asks again.
    ledger, caller = await _charged_and_aged(redis, monkeypatch, 15, _ledger(per_minute=60))
    settling = await held.settle(ledger, redis)
    admitted = await ledger.admit(redis, caller)  # Redis has not seen the 15 points yet
    monkeypatch.setattr(limits, "SEEN_SECONDS", 10.0)  # that answer decides from now on
    held.release.set()
    await settling
    ledger.owe(caller, 10, 0.001)

    assert admitted is not None
    assert admitted.levels[0].remaining == pytest.approx(20, abs=0.5)  # as Redis said
    # 15 being settled + 10 since: 25 of 20, so Redis decides, and refuses.
    with pytest.raises(Refused):
        await ledger.admit(redis, caller)


async def test_a_caller_whose_charges_were_settled_is_admitted_on_the_settles_answer(
    redis: Redis, round_trips: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settling task's answer says where the caller's buckets stand, as an admission's
    would: a caller busy here pays no round trip of its own while its requests keep coming,
    and what another process charged is heard of from that answer."""
    monkeypatch.setattr(limits, "SEEN_SECONDS", 0.2)
    here, there, caller = _ledger(per_minute=60), _ledger(per_minute=60), _caller()  # 20 points
    await here.admit(redis, caller)
    here.owe(caller, 5, 0.001)
    await asyncio.sleep(0.15)
    await here.settle(redis)
    await asyncio.sleep(0.1)  # what the admission said has aged; what the settle said has not

    budget = await here.admit(redis, caller)
    assert len(round_trips) == 1
    assert budget is not None
    assert budget.levels[0].remaining == pytest.approx(15, abs=0.5)

    # Another process spends the bucket; this one hears of it with its next settle.
    await there.admit(redis, caller)
    there.owe(caller, 18, 0.001)
    await there.settle(redis)
    here.owe(caller, 1, 0.001)
    await here.settle(redis)  # 5 + 18 + 1 of 20 (a point drains per second)
    with pytest.raises(Refused):  # the room is spent: Redis decides, and refuses
        await here.admit(redis, caller)
    assert len(round_trips) == 3  # there's admission, and here's once the room was spent


async def test_a_settles_answer_does_not_replace_an_admissions_heard_since(
    redis: Redis, held: HeldSettle, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, caller = await _charged_and_aged(redis, monkeypatch, 15)
    settling = await held.settle(ledger, redis)
    await ledger.admit(redis, caller)  # answered before the settle's charge reached Redis
    heard = ledger._seen[caller.key]
    held.release.set()
    await settling

    assert ledger._seen[caller.key] is heard
