"""The Tortoise configuration, shared by the app, the migrations and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODELS_APP = "models"
MODEL_MODULES = ["storage.models"]
MIGRATIONS_MODULE = "storage.migrations"


def tortoise_config(database_url: str, *, pool_max: int = 10) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(database_url, pool_max)},
        "apps": {
            MODELS_APP: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(url: str, pool_max: int) -> str | dict[str, Any]:
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers proceed while one request writes.
        return {
            "engine": "tortoise.backends.sqlite",
            "credentials": {"file_path": path, "journal_mode": "WAL"},
        }
    separator = "&" if "?" in url else "?"
    if "maxsize=" not in url:
        url = f"{url}{separator}minsize=1&maxsize={pool_max}"
    return url
