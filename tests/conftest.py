"""Test fixtures: real services where configured, the mock WeChat server over real HTTP, and the
app driven through its ASGI interface with its lifespan, as clients reach it."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import io
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from tortoise import Tortoise, connections
from tortoise.context import TortoiseContext

from api.app import create_app
from api.cli import run_migrations
from api.logging import configure_logging
from integrations.tls import client_context
from mock_wechat.server import MockState, create_mock_app
from province_sandbox import SandboxState, create_sandbox_app
from resolvers.settings import Settings
from tests.graphql import GraphQLClient
from tests.processes import free_port

APP_ID = "wxtest00000000001"
APP_SECRET = "test-app-secret-0123456789"
SMS_SECRET = "test-sms-relay-secret"
REALNAME_SECRET = "test-realname-relay-secret"
SECRET_KEY = "test-secret-key-0123456789-0123456789-abcdef"
EXCHANGE_SYSTEM_ID = "rongban-test"
EXCHANGE_SECRET = "test-exchange-secret-0123456789-abcdef"


# One client for every call to the loopback test servers: each new httpx client builds a
# TLS context (~50 ms), which per test added up to minutes of the suite. It drops a pooled
# connection idle for a second, well before the servers' own keep-alive timeout (uvicorn's
# 5 s): reusing one the server is closing that moment fails with "Server disconnected
# without sending a response" (httpx's default expiry is the same 5 s).
loopback = httpx.Client(
    verify=client_context(),
    trust_env=False,
    timeout=30,
    limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=1.0),
)


class ServerThread:
    """A real uvicorn server on loopback in a thread, for peers that speak plain HTTP
    (wechatpy uses requests, which cannot call an in-process ASGI app)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def mock_wechat_app() -> Any:
    return create_mock_app(
        app_id=APP_ID, app_secret=APP_SECRET, sms_secret=SMS_SECRET, realname_secret=REALNAME_SECRET
    )


@pytest.fixture(scope="session")
def mock_wechat_server(mock_wechat_app: Any) -> Iterator[ServerThread]:
    with ServerThread(mock_wechat_app) as server:
        yield server


@pytest.fixture
def mock_state(mock_wechat_app: Any, mock_wechat_server: ServerThread) -> MockState:
    """The mock's state, reset before each test."""
    loopback.post(f"{mock_wechat_server.url}/__mock__/reset").raise_for_status()
    state: MockState = mock_wechat_app.state.mock
    return state


@pytest.fixture
async def wechat(
    mock_wechat_server: ServerThread, mock_state: MockState
) -> AsyncIterator[httpx.AsyncClient]:
    """The phone's side of the mock (wx.login, the phone-number button, ...)."""
    async with httpx.AsyncClient(
        base_url=mock_wechat_server.url, verify=client_context()
    ) as client:
        yield client


@pytest.fixture(scope="session")
def province_app() -> Any:
    return create_sandbox_app(system_id=EXCHANGE_SYSTEM_ID, secret=EXCHANGE_SECRET)


@pytest.fixture(scope="session")
def province_server(province_app: Any) -> Iterator[ServerThread]:
    with ServerThread(province_app) as server:
        yield server


@pytest.fixture
def province(province_app: Any, province_server: ServerThread) -> SandboxState:
    """The provincial sandbox's state, reset before each test (held requests let go)."""
    loopback.post(f"{province_server.url}/__sandbox__/reset").raise_for_status()
    state: SandboxState = province_app.state.sandbox
    return state


# -- database


# The embedded mode's SQLite runs the suite too (`make test` on a machine without
# PostgreSQL); what only PostgreSQL does is skipped there, saying so.
ON_POSTGRES = bool(os.environ.get("RONGBAN_TEST_DATABASE_URL"))


def postgres_only(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not ON_POSTGRES, reason=reason)


MIGRATIONS = Path(__file__).resolve().parent.parent / "storage" / "migrations"
_TEMPLATE_PREFIX = "rongban_template_"


def _migrations_digest() -> str:
    digest = hashlib.sha256()
    for migration in sorted(MIGRATIONS.glob("*.py")):
        digest.update(migration.name.encode() + b"\0" + migration.read_bytes())
    return digest.hexdigest()[:16]


def migrated_sqlite(destination: Path) -> None:
    """Writes a SQLite database holding every migration to `destination`: a copy of one
    migrated once for this set of migration files (some 20 s of tortoise's CPU each time
    otherwise), kept in the temporary folder. A file lock keeps parallel workers from
    building it twice; it is built under another name and renamed, so a half-built one is
    never copied. `rongban migrate` builds it, in its own process, as a deployment would."""
    cache = Path(tempfile.gettempdir()) / f"rongban-migrated-{_migrations_digest()}.sqlite3"
    with (cache.parent / "rongban-migrated.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.exists():
            building = cache.with_suffix(".building")
            building.unlink(missing_ok=True)
            env = {k: v for k, v in os.environ.items() if not k.startswith("RONGBAN_")}
            env["RONGBAN_DATABASE_URL"] = f"sqlite://{building}"
            subprocess.run(
                [sys.executable, "-m", "api.cli", "migrate"],
                cwd=MIGRATIONS.parents[1],
                env=env,
                check=True,
                capture_output=True,
                timeout=600,
            )
            building.rename(cache)
            for old in cache.parent.glob("rongban-migrated-*.sqlite3"):
                if old != cache:  # an older set of migrations
                    old.unlink(missing_ok=True)
    shutil.copyfile(cache, destination)


async def migrated_template(server_url: str) -> str:
    """The name of a database on the test server holding every migration, built once for
    this set of migration files and cloned by each test session (tortoise spends some 25 s of
    CPU rendering its model states for a fresh migration; a clone takes a tenth of a second).
    The name carries a digest of the migration files, so a changed migration builds a new one;
    an advisory lock keeps parallel sessions from building it twice, and it is built under
    another name and renamed, so a half-built template is never cloned."""
    template = f"{_TEMPLATE_PREFIX}{_migrations_digest()}"
    admin = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute("SELECT pg_advisory_lock(hashtext($1))", _TEMPLATE_PREFIX)
        try:
            if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", template):
                return template
            building = f"{template}_building"
            await admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{building}"')
            await run_migrations(f"{server_url.rpartition('/')[0]}/{building}")
            await admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
            # Templates of migrations that no longer exist are only clutter.
            for (old,) in await admin.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2",
                f"{_TEMPLATE_PREFIX}%",
                template,
            ):
                with contextlib.suppress(asyncpg.ObjectInUseError):  # an older checkout's run
                    await admin.execute(f'DROP DATABASE IF EXISTS "{old}"')
            return template
        finally:
            await admin.execute("SELECT pg_advisory_unlock(hashtext($1))", _TEMPLATE_PREFIX)
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A fresh, migrated database: PostgreSQL when RONGBAN_TEST_DATABASE_URL is set, cloned
    from a template migrated once for these migrations (`migrated_template`)."""
    server_url = os.environ.get("RONGBAN_TEST_DATABASE_URL")
    if not server_url:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        await asyncio.to_thread(migrated_sqlite, path)
        TortoiseContext().__enter__()  # as below
        yield f"sqlite://{path}"
        return
    name = f"rongban_test_{uuid.uuid4().hex[:10]}"
    template = await migrated_template(server_url)
    admin = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    base, _, _ = server_url.rpartition("/")
    url = f"{base}/{name}"
    # One ORM context for the session's apps, as a process has one (migrating used to leave
    # it behind): each app's start re-initialises it, so a test may start a second app beside
    # a fixture's without the two claiming tortoise's global fallback at once.
    TortoiseContext().__enter__()
    yield url
    admin = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    return worker_redis_url(os.environ.get("RONGBAN_TEST_REDIS_URL", "memory://"))


def worker_redis_url(url: str) -> str:
    """The Redis database of this pytest-xdist worker: tests flush their database between
    tests, so workers sharing one would wipe each other's sessions and limits. Worker gwN
    takes the configured database number minus N (CI configures 15: workers take 15, 14, …)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url.startswith("redis://") or not worker.startswith("gw"):
        return url
    base, _, number = url.rpartition("/")
    database = int(number or 0) - int(worker[2:])
    if database < 0:
        raise pytest.UsageError(f"{url} leaves no Redis database for xdist worker {worker}")
    return f"{base}/{database}"


def make_settings(
    *,
    database_url: str,
    redis_url: str,
    storage: Path,
    wechat_url: str,
    # The sandbox's URL; apps that never push (read-only modules) may leave the default,
    # where nothing listens.
    province_url: str = "http://127.0.0.1:9",
    **overrides: Any,
) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "storage_url": f"file://{storage}",
        "wechat_app_id": APP_ID,
        "wechat_app_secret": APP_SECRET,
        "wechat_api_base": wechat_url,
        "sms_url": f"{wechat_url}/__mock__/sms/send",
        "sms_secret": SMS_SECRET,
        "identity_relay_url": f"{wechat_url}/__mock__/realname",
        "identity_relay_secret": REALNAME_SECRET,
        "secret_key": SECRET_KEY,
        "wechat_timeout_seconds": 2.0,
        "demo_password": "demo-password-for-tests",
        "exchange_province_url": province_url,
        "exchange_system_id": EXCHANGE_SYSTEM_ID,
        "exchange_secret": EXCHANGE_SECRET,
        "exchange_timeout_seconds": 2.0,
        # Tests act as one principal in quick succession on a machine shared with other
        # runs: a whole worker's time each, so that only the budget's own tests (which set
        # their limits) are ever throttled.
        "execution_seconds_per_minute": 60.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings_factory(
    database_url: str,
    redis_url: str,
    tmp_path: Path,
    mock_wechat_server: ServerThread,
    province: SandboxState,
    province_server: ServerThread,
) -> Any:
    def build(**overrides: Any) -> Settings:
        return make_settings(
            database_url=database_url,
            redis_url=redis_url,
            storage=tmp_path / "objects",
            wechat_url=mock_wechat_server.url,
            province_url=province_server.url,
            **overrides,
        )

    return build


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    built: Settings = settings_factory()
    return built


# How many tests' cleanings go by between two VACUUMs of the test database.
VACUUM_EVERY = 20
_cleanings = 0
# The script that empties the PostgreSQL test database, worked out from the ORM's models the
# first time an app has initialised them (see `_emptying_script`).
_emptying: str | None = None
# Foreign keys are PostgreSQL triggers fired per row: each DELETE of a parent row looks for
# children, each copied child row for its parent. Emptying every table, or copying a snapshot
# that was consistent when taken, needs none of those checks, and they took two thirds of the
# emptying and a third of the copying. `SET LOCAL` lasts until the transaction ends, so the
# pooled connection goes back to the app checking its keys. (The schema has no other trigger.)
_WITHOUT_KEY_CHECKS = "SET LOCAL session_replication_role = replica"


def _emptying_script() -> str:
    """Every table emptied, children first, in one transaction without the per-row foreign
    key checks; self-references are cut first. On PostgreSQL, DELETE is several times faster
    than TRUNCATE for tables this small (TRUNCATE makes new files for every table and index)."""
    statements = ["BEGIN;", f"{_WITHOUT_KEY_CHECKS};"]
    for model in reversed(_tables_parents_first()):
        table = model._meta.db_table
        for column in _self_reference_columns(model):
            statements.append(
                f'UPDATE "{table}" SET "{column}" = NULL WHERE "{column}" IS NOT NULL;'
            )
        statements.append(f'DELETE FROM "{table}";')
    statements.append("COMMIT;")
    return "\n".join(statements)


async def _vacuum_now_and_then(execute: Callable[[str], Any]) -> None:
    global _cleanings
    _cleanings += 1
    if _cleanings % VACUUM_EVERY == 0:
        # Deleted rows stay as dead tuples until vacuumed, and CI's PostgreSQL runs without
        # autovacuum: unvacuumed, every later test scans more dead rows (twice as slow
        # after 150 tests). Outside a transaction, on its own.
        await execute("VACUUM")


async def _clean_database() -> None:
    """Empties every table of the open database in one round trip."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        await connection.execute_script("PRAGMA foreign_keys = OFF;")
        for model in _tables_parents_first():
            await connection.execute_script(f'DELETE FROM "{model._meta.db_table}";')
        await connection.execute_script("PRAGMA foreign_keys = ON;")
        return
    global _emptying
    if _emptying is None:
        _emptying = _emptying_script()
    await _vacuum_now_and_then(connection.execute_script)
    await connection.execute_script(_emptying)


async def _emptied_before_start(database_url: str) -> bool:
    """Empties the PostgreSQL test database before an app starts on it, so that the app's
    start-up (its search index, its reference data) reads the empty database the test
    begins with, not the last test's rows. False when it cannot yet (SQLite, or before any
    app of this session has initialised the ORM): the app's own connection empties it then."""
    if _emptying is None or not database_url.startswith("postgres"):
        return False
    raw = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        await _vacuum_now_and_then(raw.execute)
        await raw.execute(_emptying)
    finally:
        await raw.close()
    return True


class RunningApp:
    def __init__(self, app: Any, asgi: Any, client: httpx.AsyncClient, settings: Settings) -> None:
        self.app = app
        self.asgi = asgi  # the app with its lifespan state, as a server would call it
        self.client = client
        self.settings = settings
        self.gql = GraphQLClient(client)

    @property
    def resources(self) -> Any:
        return self.app.state.resources

    async def until_subscribed(self, channels: int = 1) -> None:
        """Until the app listens on `channels` channels and Redis holds each subscription: an
        event published before then would reach no one, however long a test slept."""
        hub, redis = self.resources.events, self.resources.redis
        async with asyncio.timeout(10):
            while True:
                names = hub.listening
                if len(names) >= channels:
                    counts = await redis.pubsub_numsub(*names)
                    if all(count >= 1 for _, count in counts):
                        return
                await asyncio.sleep(0.01)


async def start_app(settings: Settings) -> AsyncIterator[RunningApp]:
    app = create_app(settings)
    emptied = await _emptied_before_start(settings.database_url)
    async with LifespanManager(app) as manager:
        resources = app.state.resources
        if not emptied:
            await _clean_database()
            # The lifespan loaded the regions of the database before it was emptied.
            resources.reference.forget()
        if not settings.embedded_redis:
            await resources.redis.flushdb()
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield RunningApp(app, manager.app, client, settings)


@pytest.fixture
async def running(settings: Settings, mock_state: MockState) -> AsyncIterator[RunningApp]:
    """The app under test, on a clean database and Redis, with the mock WeChat reset."""
    async for running_app in start_app(settings):
        yield running_app


@pytest.fixture
async def gql(running: RunningApp) -> GraphQLClient:
    return running.gql


# The demo data, as rows per table, kept after the first seeding of a test session:
# restoring rows takes a fraction of seeding them (argon2, validation, the calendar).
_demo_rows: list[tuple[type[Any], list[Any]]] | None = None


def _tables_parents_first() -> list[type[Any]]:
    models = list(Tortoise.apps["models"].values())
    ordered: list[type[Any]] = []
    while len(ordered) < len(models):
        for model in models:
            if model in ordered:
                continue
            parents = {
                model._meta.fields_map[name].related_model for name in model._meta.fk_fields
            } | {model._meta.fields_map[name].related_model for name in model._meta.o2o_fields}
            if parents - {model} <= set(ordered):
                ordered.append(model)
    return ordered


def _self_reference_columns(model: type[Any]) -> list[str]:
    """The foreign-key columns of `model` that point at `model` itself (a tree's parent)."""
    return [
        model._meta.fields_map[name].source_field or f"{name}_id"
        for name in model._meta.fk_fields
        if model._meta.fields_map[name].related_model is model
    ]


def _parents_before_children(model: type[Any], values: list[Any]) -> list[Any]:
    """Rows of a self-referencing table (region.parent, appeal category.parent) in an order
    where every row comes after the row it points to, so foreign keys hold while inserting."""
    own = _self_reference_columns(model)
    if not own:
        return values
    placed: set[Any] = set()
    ordered: list[Any] = []
    waiting = values
    while waiting:
        ready = [r for r in waiting if all(r[f] is None or r[f] in placed for f in own)]
        if not ready:
            raise RuntimeError(f"{model.__name__}: rows point to rows that are not there")
        ordered += ready
        placed |= {r["id"] for r in ready}
        waiting = [r for r in waiting if r["id"] not in placed]
    return ordered


async def _snapshot() -> list[tuple[type[Any], list[Any]]]:
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        return [
            (model, _parents_before_children(model, await model.all().values()))
            for model in _tables_parents_first()
        ]
    # PostgreSQL: raw records, so that restoring is one COPY per table (a tenth of the time
    # of building model instances for bulk_create, and it runs before most tests).
    rows = []
    async with connection.acquire_connection() as raw:
        for model in _tables_parents_first():
            records = await raw.fetch(f'SELECT * FROM "{model._meta.db_table}"')
            rows.append((model, _parents_before_children(model, records)))
    return rows


async def _restore(rows: list[tuple[type[Any], list[Any]]]) -> None:
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres":
        for model, values in rows:
            await model.bulk_create([model(**row) for row in values], batch_size=500)
        return
    async with connection.acquire_connection() as raw, raw.transaction():
        await raw.execute(_WITHOUT_KEY_CHECKS)
        for model, records in rows:
            if records:
                await raw.copy_records_to_table(
                    model._meta.db_table, records=records, columns=list(records[0].keys())
                )


# Rows fixtures make alike for every test (a generated year of appeals), by name: what the
# whole database held once the first test of the session had made them.
_made: dict[str, list[tuple[type[Any], list[Any]]]] = {}


async def made_once(name: str, make: Callable[[], Awaitable[object]]) -> None:
    """Runs `make` the first time in this process and keeps the database's rows after it;
    later, puts those rows back in place of the database's (a fraction of making them again:
    the appeals' year took five seconds to generate). `make` must make the same rows every
    time, on the same database as the first (the demo seed, restored with its own ids)."""
    rows = _made.get(name)
    if rows is None:
        await make()
        _made[name] = await _snapshot()
        return
    await _clean_database()
    await _restore(rows)


@pytest.fixture
async def seeded(running: RunningApp) -> RunningApp:
    """The app with the demo data: regions, departments and staff, the catalogue, centres,
    terminals and the working-day calendar."""
    global _demo_rows
    if _demo_rows is None:
        from api.seed import seed_demo

        await seed_demo(running.settings.model_copy(update={"demo_data": True}))
        _demo_rows = await _snapshot()
    else:
        await _restore(_demo_rows)
    # Seeded behind the running app's back: its warm search index and caches are of the
    # empty catalogue, as after any change a process did not make itself.
    from resolvers.catalogue.service import catalogue_changed

    await catalogue_changed(running.resources)
    # Statement counts of a test should not include the process's one-off reference load.
    await running.resources.reference.warm()
    return running


# -- `make run`

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`make run`'s service (`rongban dev`: migrate, seed, mock WeChat, sandbox, API) as a real
    process, started once for all the journeys: each journey is its own residents, with their
    own phone and ID number (tests.identity), as on a shared demo server."""
    tmp_path = tmp_path_factory.mktemp("make-run")
    api_port, mock_port, sandbox_port = free_port(), free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("RONGBAN_")} | {
        "PORT": str(api_port),
        "WECHAT_MOCK_PORT": str(mock_port),
        "PROVINCE_SANDBOX_PORT": str(sandbox_port),
        # The embedded defaults, only moved into this test's own folder.
        "RONGBAN_DATABASE_URL": f"sqlite://{tmp_path}/rongban.sqlite3",
        "RONGBAN_STORAGE_URL": f"file://{tmp_path}/objects",
    }
    # Its output goes to a file: a pipe nobody reads while the journeys run would fill up
    # and stop the server mid-request.
    # Migrated already, as a demo server that ran before (`rongban dev` still migrates).
    migrated_sqlite(tmp_path / "rongban.sqlite3")
    log_path = tmp_path / "rongban-dev.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "dev"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{api_port}"
    # Migrating SQLite from nothing is some 25 s of tortoise's CPU on a quiet core; beside the
    # suite's other workers it has taken over a minute.
    deadline = time.monotonic() + 180
    while True:
        try:
            if loopback.get(f"{api}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            pytest.fail(f"`rongban dev` did not become ready:\n{log_path.read_text()}")
        time.sleep(0.25)
    yield api, f"http://127.0.0.1:{mock_port}"
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    finally:
        log.close()
    assert "GraphQL API" in log_path.read_text()  # it printed where everything is


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests (`slow`, `processes`) first, in their own order: pytest-xdist hands
    tests out in this order, so the long ones start while the many short ones fill the other
    workers, and the run does not end with one worker alone on a minute-long test."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("slow") is None and item.get_closest_marker("processes") is None
        )
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    loopback.close()


ServiceLog = Callable[[], str]


@pytest.fixture
def service_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServiceLog]:
    """Logging configured as in production, writing to a buffer instead of stderr; calling
    the fixture's value returns everything written so far (waiting for queued records)."""
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    uvicorn_loggers = {
        name: (list(logger.handlers), logger.propagate)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        for logger in [logging.getLogger(name)]
    }
    written = io.StringIO()
    monkeypatch.setattr(sys, "stderr", written)
    configure_logging("INFO")
    installed = [handler for handler in root.handlers if handler not in before]

    def read() -> str:
        for handler in installed:
            handler.flush()
        return written.getvalue()

    try:
        yield read
    finally:
        for handler in installed:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)
        for name, (handlers, propagate) in uvicorn_loggers.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.propagate = propagate
