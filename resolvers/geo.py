"""Distances on the earth's surface and the search boxes around a point."""

from __future__ import annotations

import math

from storage.repositories.catalogue import Box

EARTH_RADIUS_METERS = 6_371_008.8
# Search rings for "nearest": most residents find a centre within the first two.
RADII_METERS = (3_000.0, 12_000.0, 50_000.0, 200_000.0)


def distance_meters(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_METERS * math.asin(min(1.0, math.sqrt(a)))


def box_around(lat: float, lng: float, radius: float) -> Box:
    """The latitude/longitude box containing every point within `radius` of (lat, lng)."""
    d_lat = math.degrees(radius / EARTH_RADIUS_METERS)
    d_lng = math.degrees(radius / (EARTH_RADIUS_METERS * max(math.cos(math.radians(lat)), 0.01)))
    return Box(south=lat - d_lat, west=lng - d_lng, north=lat + d_lat, east=lng + d_lng)
