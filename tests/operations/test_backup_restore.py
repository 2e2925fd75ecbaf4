"""The restore drill: back up a database with applications, documents and outbox rows, restore
it into a fresh database, and find every one of them there (and every object key in the
manifest)."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from api.backup import MANIFEST, backup, libpq_url, restore
from storage.models.applications import Application
from storage.models.documents import Document
from storage.models.outbox import OutboxMessage
from tests.applications.conftest import submit, verified_resident
from tests.conftest import RunningApp

pytestmark = pytest.mark.skipif(
    shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
    reason="PostgreSQL's client tools are not installed",
)


async def _ids(url: str, table: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        return {str(row[0]) for row in await connection.fetch(f'SELECT id FROM "{table}"')}
    finally:
        await connection.close()


async def test_a_restored_backup_has_every_application_document_and_outbox_row(
    seeded: RunningApp, wechat: httpx.AsyncClient, tmp_path: Path
) -> None:
    running = seeded
    if not running.settings.database_url.startswith("postgres"):
        pytest.skip("backups are of PostgreSQL")
    program = await verified_resident(running, wechat, "backup-drill")
    submitted = await submit(running, program)
    assert submitted["__typename"] == "Application", submitted
    applications = {str(a) for a in await Application.all().values_list("id", flat=True)}
    documents = {str(d) for d in await Document.all().values_list("id", flat=True)}
    keys = sorted(await Document.all().values_list("object_key", flat=True))
    outbox = {str(m) for m in await OutboxMessage.all().values_list("id", flat=True)}
    assert applications
    assert len(documents) >= 2
    assert outbox

    manifest = await backup(running.settings, tmp_path / "backup")

    assert manifest["objects"] == keys
    assert json.loads((tmp_path / "backup" / MANIFEST).read_text())["objects"] == keys
    source = libpq_url(running.settings.database_url)
    fresh = f"rongban_restore_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(source)
    await admin.execute(f'CREATE DATABASE "{fresh}"')
    target = source.rsplit("/", 1)[0] + f"/{fresh}"
    try:
        restore(target, tmp_path / "backup")

        assert await _ids(target, "application") == applications
        assert await _ids(target, "document") == documents
        assert await _ids(target, "outbox_message") == outbox
        connection = await asyncpg.connect(target)
        try:
            restored_keys = [
                row[0]
                for row in await connection.fetch("SELECT object_key FROM document ORDER BY 1")
            ]
        finally:
            await connection.close()
        assert restored_keys == keys
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
        await admin.close()


def test_backups_refuse_sqlite(settings: Any) -> None:
    with pytest.raises(SystemExit):
        libpq_url("sqlite://var/rongban.sqlite3")
