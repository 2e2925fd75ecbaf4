"""`make bench`'s verdicts read the way they were decided: a ratio just short of its target
is never printed as the target itself, and a scenario measured in rounds is reported by its
median round; the cores each part used never come out negative."""

from __future__ import annotations

import pytest

from tests.perf.bench import (
    BARE_BESIDE_GUIDES,
    Result,
    cores_between,
    median_round,
    paired_ratio,
    tabulate,
)
from tests.perf.report import Target, targets_text


def test_a_ratio_just_short_shows_the_decimals_that_make_it_short() -> None:
    short = Target("cached page >= 0.8x bare Starlette", 0.7954, 0.8)
    text = targets_text([short, Target("two workers >= 1.7x", 1.7012, 1.7)])

    assert text.splitlines() == [
        "NOT MET  cached page >= 0.8x bare Starlette: 0.795 (needs 0.80)",
        "met      two workers >= 1.7x: 1.70 (needs 1.70)",
    ]
    assert Target("x", 0.7999991, 0.8).shown == "0.799999"
    assert Target("x", 0.61, 0.5).shown == "0.61"


def test_rounds_in_turns_are_reported_by_their_median_round() -> None:
    rounds = [Result("page cached", rps, 1.0, 2.0) for rps in (21_600.0, 15_400.0, 20_100.0)]

    chosen = median_round(rounds)

    assert chosen.requests_per_second == 20_100.0
    assert chosen.note == "median of 3 rounds (15400-21600 req/s)"
    assert median_round(rounds[:2]).requests_per_second == 15_400.0  # the lower middle
    assert median_round(rounds[:1]).note == ""


def _in_turns(name: str, group: str, *rounds: float) -> Result:
    chosen = median_round([Result(name, rps, 1.0, 2.0) for rps in rounds])
    chosen.extra |= {"rounds": list(rounds), "turns": group}
    return chosen


def test_scenarios_run_in_turns_are_compared_round_by_round() -> None:
    # A slow spell in the second round slows both of its runs.
    one = _in_turns("guide signed in", "reads", 836.0, 643.0, 712.0)
    two = _in_turns("2 workers", "reads", 1500.0, 1100.0, 1200.0)
    elsewhere = _in_turns("bare Starlette", "page", 24_000.0, 23_700.0, 23_800.0)

    assert paired_ratio(two, one) == 1100.0 / 643.0  # the median of the rounds' own ratios
    assert paired_ratio(two, one) != two.requests_per_second / one.requests_per_second
    # Not run in turns with each other: the two reported figures.
    assert paired_ratio(one, elsewhere) == 712.0 / 23_800.0
    assert paired_ratio(one, Result("REST", 5000.0, 1.0, 2.0)) == 712.0 / 5000.0


def test_a_process_that_ends_between_two_readings_takes_its_seconds_out_of_neither() -> None:
    before = {("PostgreSQL", 10): 50.0, ("PostgreSQL", 11): 7.0, ("server", 20): 3.0, ("wrk", 0): 1}
    # Backend 10 closed its connection; backend 12 started (its seconds all count).
    after = {("PostgreSQL", 11): 9.0, ("PostgreSQL", 12): 1.0, ("server", 20): 13.0, ("wrk", 0): 2}

    cores = cores_between(before, after, elapsed=10.0)

    assert cores == pytest.approx({"server": 1.0, "PostgreSQL": 0.3, "Redis": 0.0, "wrk": 0.1})


def test_the_uncached_guide_is_compared_with_the_bare_starlette_of_its_own_rounds() -> None:
    """The machine slowed between the cached page's rounds and the guides': the guide's share
    of the machine is taken against bare Starlette measured beside it, in the table too."""
    results = {
        "bare Starlette": _in_turns("bare Starlette", "page", 32_000.0, 31_000.0, 31_500.0),
        "page cached": _in_turns("page cached", "page", 26_000.0, 25_000.0, 25_500.0),
        BARE_BESIDE_GUIDES: _in_turns(BARE_BESIDE_GUIDES, "reads", 28_000.0, 27_000.0, 26_000.0),
        "REST guide": _in_turns("REST guide", "reads", 7_000.0, 6_800.0, 6_500.0),
        "guide uncached": _in_turns("guide uncached", "reads", 4_480.0, 4_320.0, 4_030.0),
        **{
            name: _in_turns(name, "reads", 3_000.0, 2_900.0, 2_800.0)
            for name in (
                "guide signed in",
                "guide signed in, 2 workers",
                "search Chinese",
                "search pinyin",
                "search initials",
            )
        },
        "submitApplication at 50/s": Result("submitApplication at 50/s", 50.0, 10.0, 30.0),
        "fileAppeal at 20/s": Result("fileAppeal at 20/s", 20.0, 10.0, 30.0),
    }
    first = {"first_ms": 6.0, "hundredth_ms": 5.0, "errors": 0}

    rows, targets = tabulate(results, {}, first, {})

    verdicts = {t.name: t.ratio for t in targets}
    assert verdicts["uncached guide >= 0.15x bare Starlette"] == pytest.approx(0.16)
    assert verdicts["uncached guide >= 1.5x REST guide"] == pytest.approx(4_320.0 / 6_800.0)
    guide_row = next(r for r in rows if r.scenario == "guide uncached")
    assert guide_row.x_bare == pytest.approx(4_320.0 / 27_000.0)
    page_row = next(r for r in rows if r.scenario == "page cached")
    assert page_row.x_bare == pytest.approx(25_500.0 / 31_500.0)
