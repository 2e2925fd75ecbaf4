"""`rongban backup` / `rongban restore`: the database with pg_dump's custom format, and a
manifest of the object keys the database points at (the objects themselves stay in the
versioned bucket; see README, "Backups")."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import anyio
import anyio.to_thread

from resolvers.settings import Settings
from storage.repositories import documents as document_repo

DUMP = "database.dump"
MANIFEST = "manifest.json"


def libpq_url(database_url: str) -> str:
    """The settings' URL as pg_dump reads it: Tortoise's pool options dropped."""
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit("backups need PostgreSQL (RONGBAN_DATABASE_URL=postgres://...)")
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (PostgreSQL's client tools, same major version)")
    return found


def _dump(database_url: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    # One consistent snapshot of every table (pg_dump runs in one repeatable-read transaction).
    subprocess.run(  # noqa: S603 (our own arguments, no shell)
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--file",
            str(folder / DUMP),
            libpq_url(database_url),
        ],
        check=True,
    )


async def backup(settings: Settings, folder: Path) -> dict[str, object]:
    """Writes `folder`/database.dump and `folder`/manifest.json (the database open);
    returns the manifest."""
    await anyio.to_thread.run_sync(_dump, settings.database_url, folder)
    keys = await document_repo.object_keys()
    manifest: dict[str, object] = {
        "taken_at": datetime.now(UTC).isoformat(),
        "bucket": settings.s3_bucket or settings.storage_url,
        "objects": keys,
    }
    text = json.dumps(manifest, indent=1)
    await anyio.Path(folder / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def restore(database_url: str, folder: Path) -> None:
    """Loads `folder`/database.dump into the (empty) database at `database_url`."""
    subprocess.run(  # noqa: S603
        [
            _tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            libpq_url(database_url),
            str(folder / DUMP),
        ],
        check=True,
    )
