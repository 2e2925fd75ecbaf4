"""The page of rows a service answers a list with. The schema turns it into a Relay connection
without knowing the storage layer that built it."""

from __future__ import annotations

from storage.repositories.pagination import Page, Scalar

__all__ = ["Page", "Scalar"]
