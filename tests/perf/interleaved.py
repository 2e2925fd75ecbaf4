"""What a switchable speed-up is worth, measured where a shared machine's drift cannot hide it.

`make bench-interleaved` (after `make bench`, on the database it leaves): one process
answers uncached guides through the whole ASGI stack, on PostgreSQL and Redis, in rounds of 400
requests (16 at a time), each a different guide. Every combination of the switches below runs
one round in turn, six times over, and the median of the process's CPU time per guide is
printed for each. Machine drift (another tenant, a throttled core) moves every combination
alike, where two full `make bench` runs an hour apart can differ by half.

- plans: the public catalogue's reads run by their plan (`schema.plans`), or executed;
- plain values: `schema.execution.PlainValues`, or strawberry's stock executor (what runs
  documents without a plan);
- ledger admissions: the cost ledger admitting a caller Redis admitted within SEEN_SECONDS
  without a round trip, or asking Redis every time;
- reference without awaiting: a guide's region and department read from the reference data
  at once while it is current (`Loaders.region_or_load`), or always through the loaders.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import time
from collections.abc import Callable

from asgi_lifespan import LifespanManager
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api import limits
from api.app import ask_self, create_app, schema_of, serving
from api.preparation import Preparer
from resolvers.reference import ReferenceData
from resolvers.settings import Settings
from schema.execution import PlainValues
from tests.perf.bench import GUIDE, REDIS, SERVER, guide_codes

ROUND = 400
AT_ONCE = 16
ROUNDS = int(os.environ.get("RONGBAN_INTERLEAVED_ROUNDS", "6"))


def _settings() -> Settings:
    return Settings(
        database_url=f"{SERVER.rsplit('/', 1)[0]}/rongban_bench",
        redis_url=REDIS,
        response_cache=False,
        # One process plays every resident: the budgets are lifted, as in the capacity runs.
        cost_budget_per_minute=100_000_000,
        execution_seconds_per_minute=86_400,
        max_concurrent_per_address=1000,
    )


async def measure() -> dict[str, list[float]]:
    settings = _settings()
    codes = await guide_codes(settings.database_url)
    schema = schema_of(settings)

    def executor(on: bool) -> None:
        schema.execution_context_class = (
            PlainValues if on else StrawberryGraphQLCoreExecutionContext
        )

    seen_seconds = limits.SEEN_SECONDS

    def admissions(on: bool) -> None:
        limits.SEEN_SECONDS = seen_seconds if on else -1.0  # every admission asks Redis

    current = ReferenceData._current

    def reference(on: bool) -> None:
        ReferenceData._current = current if on else (lambda self: False)  # type: ignore[method-assign]

    plan = Preparer.plan

    def plans(on: bool) -> None:
        Preparer.plan = plan if on else (lambda self, operation: None)  # type: ignore[method-assign]

    switches: dict[str, Callable[[bool], None]] = {
        "plans": plans,
        "plain values": executor,
        "ledger admissions": admissions,
        "reference without awaiting": reference,
    }
    app = serving(create_app(settings))
    async with LifespanManager(app, startup_timeout=120) as manager:

        async def guide(n: int) -> None:
            code = codes[n % len(codes)]
            answer = await ask_self(
                manager.app,
                {"query": GUIDE, "variables": {"code": code}},
                request_id=f"interleaved-{n}",
            )
            if "errors" in answer or not (answer.get("data") or {}).get("service"):
                raise SystemExit(f"the guide {code} answered {answer}")

        async def one_round(first: int) -> float:
            async def worker(offset: int) -> None:
                for i in range(offset, ROUND, AT_ONCE):
                    await guide(first + i)

            started = time.process_time()
            await asyncio.gather(*(worker(offset) for offset in range(AT_ONCE)))
            return (time.process_time() - started) / ROUND * 1e6

        await one_round(0)  # the pool's connections, the first statements
        results: dict[str, list[float]] = {}
        served = ROUND
        for _ in range(ROUNDS):
            for states in itertools.product((True, False), repeat=len(switches)):
                for (_, switch), on in zip(switches.items(), states, strict=True):
                    switch(on)
                name = ", ".join(
                    f"{'with' if on else 'without'} {label}"
                    for label, on in zip(switches, states, strict=True)
                )
                results.setdefault(name, []).append(await one_round(served))
                served += ROUND
        for switch in switches.values():
            switch(True)
    return results


def main() -> None:
    results = asyncio.run(measure())
    width = max(map(len, results))
    for name, runs in results.items():
        rounds = " ".join(f"{r:.0f}" for r in runs)
        print(f"{name:<{width}} {statistics.median(runs):7.0f} µs CPU per guide  ({rounds})")


if __name__ == "__main__":
    main()
