"""The request path's tallies: what they add to the prometheus metrics when flushed is
exactly what observing each value on the metric itself would have added, once."""

from __future__ import annotations

import os

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from storage.metrics import CounterTally, HistogramTally, flush_tallies

BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1)
# On a bound, between bounds, below the first, beyond the last (+Inf), and zero.
AMOUNTS = [0.002, 0.0031, 0.0001, 0.05, 0.07, 3.5, 0.0, 0.01, 0.01, 0.024999]


def _pair() -> tuple[CollectorRegistry, Histogram, CollectorRegistry, Histogram]:
    direct_registry, tallied_registry = CollectorRegistry(), CollectorRegistry()
    direct = Histogram("seconds", "s", ["route"], buckets=BUCKETS, registry=direct_registry)
    tallied = Histogram("seconds", "s", ["route"], buckets=BUCKETS, registry=tallied_registry)
    return direct_registry, direct, tallied_registry, tallied


def _exposed(registry: CollectorRegistry) -> list[str]:
    # Everything but the creation times, which differ by construction.
    return [
        line for line in generate_latest(registry).decode().splitlines() if "_created" not in line
    ]


def test_a_histogram_tally_adds_what_observing_each_value_adds() -> None:
    direct_registry, direct, tallied_registry, tallied = _pair()
    tally = HistogramTally(tallied.labels("graphql"))
    for amount in AMOUNTS:
        direct.labels("graphql").observe(amount)
        tally.observe(amount)
    assert _exposed(tallied_registry) != _exposed(direct_registry)  # nothing until flushed
    flush_tallies()
    assert _exposed(tallied_registry) == _exposed(direct_registry)
    flush_tallies()  # a second flush with nothing new adds nothing
    assert _exposed(tallied_registry) == _exposed(direct_registry)
    for amount in AMOUNTS[:3]:
        direct.labels("graphql").observe(amount)
        tally.observe(amount)
    tally.flush()
    assert _exposed(tallied_registry) == _exposed(direct_registry)


def test_a_counter_tally_adds_its_increments_once() -> None:
    registry = CollectorRegistry()
    counter = Counter("requests", "r", ["status"], registry=registry)
    tally = CounterTally(counter.labels("2xx"))
    for _ in range(7):
        tally.inc()
    tally.inc(3)
    assert registry.get_sample_value("requests_total", {"status": "2xx"}) == 0
    flush_tallies()
    flush_tallies()
    assert registry.get_sample_value("requests_total", {"status": "2xx"}) == 10


def test_a_forked_worker_does_not_flush_what_its_parent_counted() -> None:
    registry = CollectorRegistry()
    counter = Counter("forked", "f", registry=registry)
    histogram = Histogram("forked_seconds", "f", buckets=BUCKETS, registry=registry)
    counted, observed = CounterTally(counter), HistogramTally(histogram)
    counted.inc(5)
    observed.observe(0.003)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: counts its own, flushes, reports what its metrics hold
        try:
            counted.inc()
            observed.observe(0.2)
            flush_tallies()
            report = (
                f"{registry.get_sample_value('forked_total')} "
                f"{registry.get_sample_value('forked_seconds_count')} "
                f"{registry.get_sample_value('forked_seconds_sum')}"
            )
            os.write(write, report.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        report = pipe.read()
    os.waitpid(child, 0)
    assert report == "1.0 1.0 0.2"
    flush_tallies()  # the parent's own, still its own to flush
    assert registry.get_sample_value("forked_total") == 5
    assert registry.get_sample_value("forked_seconds_count") == 1


def test_tallies_feed_several_series_and_share_them() -> None:
    # A request counted by route and by operation: one tally, two series; two kinds of
    # request timed under one route: two tallies, one series.
    direct_registry, direct, tallied_registry, tallied = _pair()
    both = HistogramTally(tallied.labels("graphql"), tallied.labels("all"))
    other = HistogramTally(tallied.labels("all"))
    for amount in AMOUNTS:
        both.observe(amount)
        other.observe(amount / 2)
        direct.labels("graphql").observe(amount)
        direct.labels("all").observe(amount)
        direct.labels("all").observe(amount / 2)
    flush_tallies()
    assert _exposed(tallied_registry) == _exposed(direct_registry)


def test_a_tally_refuses_histograms_with_other_buckets() -> None:
    registry = CollectorRegistry()
    coarse = Histogram("coarse", "c", buckets=(1, 10), registry=registry)
    fine = Histogram("fine", "f", buckets=(1, 5, 10), registry=registry)
    with pytest.raises(ValueError, match="same buckets"):
        HistogramTally(coarse, fine)
