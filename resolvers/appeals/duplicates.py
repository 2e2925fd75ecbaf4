"""Likely duplicates (并单 candidates): the same category, within 200 m, filed within the
window, sharing enough keywords. Words are compared as keyed digests, never as text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from resolvers.appeals.keywords import similarity
from resolvers.geo import box_around, distance_meters
from resolvers.resources import Resources
from storage.models.appeals import Appeal
from storage.repositories import appeals as repo

MAX_SUGGESTIONS = 10
# How many nearby appeals of the category are compared at most (newest first): a busy
# corner gets many reports of one thing, and the newest are the likeliest duplicates.
MAX_CANDIDATES = 200


@dataclass(frozen=True, slots=True)
class Duplicate:
    appeal: Appeal
    distance_meters: float
    similarity: float


async def likely_duplicates(resources: Resources, appeal: Appeal) -> list[Duplicate]:
    """Most similar first, then nearest. Appeals without a location have no suggestions."""
    settings = resources.settings
    if appeal.latitude is None or appeal.longitude is None:
        return []
    radius = settings.appeal_duplicate_radius_meters
    box = box_around(appeal.latitude, appeal.longitude, radius)
    window = timedelta(days=settings.appeal_duplicate_window_days)
    candidates = await repo.nearby_candidates(
        category_id=appeal.category_id,
        south=box.south,
        west=box.west,
        north=box.north,
        east=box.east,
        since=appeal.submitted_at - window,
        exclude=appeal.id,
        limit=MAX_CANDIDATES,
    )
    found: list[Duplicate] = []
    for other in candidates:
        if other.latitude is None or other.longitude is None:
            continue
        if other.submitted_at > appeal.submitted_at + window:
            continue
        distance = distance_meters(
            appeal.latitude, appeal.longitude, other.latitude, other.longitude
        )
        if distance > radius:
            continue
        score = similarity(appeal.keyword_digests, other.keyword_digests)
        if score < settings.appeal_duplicate_min_similarity:
            continue
        found.append(Duplicate(other, distance, score))
    found.sort(key=lambda d: (-d.similarity, d.distance_meters, d.appeal.number))
    return found[:MAX_SUGGESTIONS]
