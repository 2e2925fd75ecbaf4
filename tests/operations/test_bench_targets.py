"""`make bench`'s verdicts read the way they were decided: a ratio just short of its target
is never printed as the target itself."""

from __future__ import annotations

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
