"""The database's life cycle: configuration, start-up and shutdown, migrations, a probe.

Everything above storage opens the database through this module (the app's lifespan, the
worker, the CLI commands), so the ORM stays a storage detail and one configuration serves
the app, the migrations and the tests.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as tortoise_migrate

log = logging.getLogger(__name__)

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
    config = expand_db_url(url)
    if config["engine"].endswith("asyncpg"):
        config["credentials"]["reset"] = _keep_session
        config["credentials"]["init"] = _prepare_hot_statements
    return config


# The statements the busiest reads run, with arguments that match nothing: run once on each
# connection the pool opens, before it serves a request. A statement is planned per
# connection, and asyncpg asks the server about every type it has not met on that connection
# (several round trips for an array of uuids or a row of another table), which a client's
# first request on that connection would otherwise wait for.
_HOT_STATEMENTS: list[tuple[str, tuple[Any, ...]]] = []


def hot_statement(sql: str, *nothing: Any) -> str:
    """Registers `sql` to be prepared on every new connection, run with `nothing`."""
    _HOT_STATEMENTS.append((sql, nothing))
    return sql


async def _prepare_hot_statements(connection: asyncpg.Connection) -> None:
    for sql, nothing in _HOT_STATEMENTS:
        try:
            await connection.fetch(sql, *nothing)
        except asyncpg.PostgresError:
            # Before the migrations have made the tables (the migrating command's own pool).
            log.debug("statement not prepared at connect: %s", sql, exc_info=True)


async def _keep_session(connection: object) -> None:
    """What a connection needs when it goes back to the pool, beyond the rollback of an open
    transaction that the pool always does: nothing. asyncpg's default sends a reset query
    (advisory locks, cursors, LISTEN, settings) on every release, a round trip per statement
    for session state this service never creates: it takes no advisory lock (its locks are
    row locks), its notifications go through Redis, and it changes no setting."""


@asynccontextmanager
async def database(database_url: str, *, pool_max: int = 10) -> AsyncIterator[None]:
    """The database, open for the duration of the block; its connections closed after.

    Open for every task of the process, not just the one that opened it: the app's lifespan
    runs in a task of its own, apart from the requests it serves.
    """
    await Tortoise.init(
        config=tortoise_config(database_url, pool_max=pool_max), _enable_global_fallback=True
    )
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def migrate(database_url: str) -> None:
    """Applies the migrations the database lacks, then closes its connections."""
    await tortoise_migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


async def ping() -> bool:
    """The open database answers a trivial query (raises when it does not)."""
    await connections.get("default").execute_query("SELECT 1")
    return True


# What a lost database looks like from here: the connection refused or reset (OSError's
# ConnectionError, which tortoise's DBConnectionError also is), dropped in the middle of a
# query, or the server shutting down or still starting up. A cancelled query (also "operator
# intervention") is the query's fault, not the server's absence.
_UNREACHABLE = (
    ConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
)


def unreachable(error: BaseException) -> bool:
    """True when `error` (or what it was raised from) means the database could not be
    reached: a condition to answer "try again shortly", not a bug to mask."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, _UNREACHABLE):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
