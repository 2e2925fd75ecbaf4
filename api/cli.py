"""The `rongban` command: serve, migrate, seed, worker, dev (what `make run` runs), staff,
exchange (the provincial platform)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Sequence
from importlib.resources import files
from pathlib import Path

import httpx
import pyotp
import uvicorn
from pydantic import ValidationError

from api import calendar_cli, exchange_cli, insights_cli, payments_cli
from api.logging import configure_logging
from api.payments import NOTIFY_PATH
from api.transport import OneWritePerResponse
from api.wechat_push import WECHAT_PUSH_PATH
from resolvers.settings import (
    DEV_COURIER_URL,
    DEV_EXCHANGE_URL,
    DEV_IDENTITY_RELAY_URL,
    DEV_SMS_URL,
    DEV_WECHAT_API_BASE,
    DEV_WECHATPAY_NOTIFY_URL,
    REAL_WECHATPAY_BASE_URL,
    Settings,
)
from storage.database import database, migrate

log = logging.getLogger("rongban")
# The source checkout this module runs from (the fakes and the operations live beside it,
# never in the installed package).
SOURCE = Path(__file__).resolve().parents[1]


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        # Print which settings are wrong without echoing their (possibly secret) values.
        lines = [
            f"  {'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
            for e in exc.errors()
        ]
        sys.exit("Invalid settings:\n" + "\n".join(lines))


async def _with_orm(settings: Settings, work: Awaitable[object]) -> None:
    async with database(settings.database_url):
        await work


def cmd_migrate(settings: Settings) -> None:
    asyncio.run(run_migrations(settings.database_url))
    print("migrations applied")  # noqa: T201


async def run_migrations(database_url: str) -> None:
    await migrate(database_url)


def cmd_seed(settings: Settings) -> None:
    from api.seed import (
        seed_appeal_categories,
        seed_demo,
        seed_demo_providers,
        seed_regions,
        seed_themes,
    )
    from resolvers.calendar.workdays import seed_from_chinesecalendar

    async def seed() -> None:
        if settings.demo_data and not settings.is_production:
            counts = await seed_demo(settings)
            counts.update(await seed_demo_providers(settings))
        else:
            # Reference data, also in production (seed_demo seeds the same first).
            counts = {"regions": await seed_regions(), "themes": await seed_themes()}
            counts["appealCategories"] = await seed_appeal_categories()
            counts["calendarDays"] = await seed_from_chinesecalendar()
        print("seeded:", ", ".join(f"{v} {k}" for k, v in counts.items()))  # noqa: T201

    asyncio.run(_with_orm(settings, seed()))


def cmd_serve(settings: Settings) -> None:
    if settings.workers > 1:
        # Several processes behind one port: prometheus-client keeps each one's values in
        # files of this folder, and /metrics (answered by any of them) adds them up. It
        # decides where values live when it is imported, which this module has done already
        # (the storage layer counts): without the folder, start again with it set.
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not folder:
            folder = tempfile.mkdtemp(prefix="rongban-metrics-")
            os.execve(  # noqa: S606 (this same program again, its own arguments)
                sys.executable,
                [sys.executable, "-m", "api.cli", *sys.argv[1:]],
                os.environ | {"PROMETHEUS_MULTIPROC_DIR": folder},
            )
        for stale in Path(folder).glob("*.db"):
            stale.unlink()  # values of a previous run's processes
        from api import prefork

        prefork.serve(settings)
        return
    uvicorn.run(
        "api.asgi:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        # X-Forwarded-For is resolved by the app itself (api/middleware.py ClientAddress),
        # believed only from RONGBAN_TRUSTED_PROXIES: uvicorn's own default would believe
        # anything sent from 127.0.0.1.
        proxy_headers=False,
        log_config=None,
        access_log=False,  # api.middleware.Observed writes it, bearer material redacted
        server_header=False,
        date_header=False,
        http=OneWritePerResponse,
    )


def cmd_worker(settings: Settings, once: bool) -> None:
    from api.worker import run_worker

    asyncio.run(run_worker(settings, once=once))


# The mock WeChat Pay's published TEST merchant keys, read by path (production code never
# imports the fakes): `make run` pays fees against the mock with them.
MOCK_PAY_KEYS = SOURCE / "miniprogram-mock" / "mock_wechat" / "testkeys"


def _dev_wechat_pay(
    settings: Settings, mock_url: str, updates: dict[str, object]
) -> dict[str, object]:
    """WeChat Pay pointed at the mock's test merchant, unless a merchant is configured."""
    if settings.wechatpay_private_key.get_secret_value() or not MOCK_PAY_KEYS.is_dir():
        return {}
    port = updates.get("port", settings.port)
    found: dict[str, object] = {
        "wechatpay_private_key": (MOCK_PAY_KEYS / "merchant_private_key.pem").read_text(),
        "wechatpay_public_key": (MOCK_PAY_KEYS / "platform_public_key.pem").read_text(),
    }
    if settings.wechatpay_base_url.rstrip("/") == REAL_WECHATPAY_BASE_URL:
        found["wechatpay_base_url"] = mock_url
    if settings.wechatpay_notify_url == DEV_WECHATPAY_NOTIFY_URL:
        found["wechatpay_notify_url"] = f"http://{settings.host}:{port}{NOTIFY_PATH}"
    return found


def cmd_dev(settings: Settings) -> None:
    """`make run`: migrate, seed the demo, start the mock WeChat server, the provincial
    sandbox and the API."""
    if settings.is_production:
        sys.exit("`rongban dev` is for development; use `rongban serve` in production")
    mock_port = int(os.environ.get("WECHAT_MOCK_PORT", "8001"))
    mock_url = f"http://127.0.0.1:{mock_port}"
    sandbox_port = int(os.environ.get("PROVINCE_SANDBOX_PORT", "8002"))
    # The embedded defaults point at the mock's default port; follow it when it moves.
    updates: dict[str, object] = {}
    if settings.wechat_api_base == DEV_WECHAT_API_BASE:
        updates["wechat_api_base"] = mock_url
    if settings.sms_url == DEV_SMS_URL:
        updates["sms_url"] = f"{mock_url}/__mock__/sms/send"
    if settings.identity_relay_url == DEV_IDENTITY_RELAY_URL:
        updates["identity_relay_url"] = f"{mock_url}/__mock__/realname"
    if settings.exchange_province_url == DEV_EXCHANGE_URL:
        updates["exchange_province_url"] = f"http://127.0.0.1:{sandbox_port}"
    if "PORT" in os.environ and "RONGBAN_PORT" not in os.environ:
        updates["port"] = int(os.environ["PORT"])
    if "RONGBAN_PUBLIC_BASE_URL" not in os.environ:
        # The local store's upload and download URLs point at this very server.
        port = updates.get("port", settings.port)
        updates["public_base_url"] = f"http://{settings.host}:{port}"
    updates.update(_dev_wechat_pay(settings, mock_url, updates))
    if "RONGBAN_OUTBOX_IN_PROCESS" not in os.environ:
        updates["outbox_in_process"] = "true"  # no separate `rongban worker` in embedded mode
    if settings.courier_url == DEV_COURIER_URL:
        updates["courier_url"] = f"{mock_url}/courier"
    if "RONGBAN_TEST_CLOCK" not in os.environ:
        # Journeys reach their hall appointments by moving the clock (api/dev_clock.py).
        updates["test_clock"] = "true"
    if updates:
        # Through the environment, so that the server process's own Settings() sees them too.
        for key, value in updates.items():
            os.environ[f"RONGBAN_{key.upper()}"] = str(value)
        settings = load_settings()
    cmd_migrate(settings)
    cmd_seed(settings)
    mock = subprocess.Popen(  # noqa: S603 (our own interpreter, our own module)
        [
            sys.executable,
            "-m",
            "mock_wechat",
            "--port",
            str(mock_port),
            # WeChat's image-check verdicts come back to this server, a moment later.
            "--push-url",
            f"http://{settings.host}:{settings.port}{WECHAT_PUSH_PATH}",
            "--push-delay",
            "1",
        ],
        env={
            **os.environ,
            "RONGBAN_WECHAT_PUSH_TOKEN": settings.wechat_push_token.get_secret_value(),
            "RONGBAN_IDENTITY_RELAY_SECRET": settings.identity_relay_secret.get_secret_value(),
        },
    )
    # The sandbox plays the province for this very configuration: our system id, and the
    # shared secret through the environment (never on a command line, where ps shows it).
    sandbox = subprocess.Popen(  # noqa: S603 (our own interpreter, our own module)
        [*_sandbox_command(settings), "--port", str(sandbox_port)],
        env={
            **os.environ,
            "RONGBAN_EXCHANGE_SYSTEM_ID": settings.exchange_system_id,
            "RONGBAN_EXCHANGE_SECRET": settings.exchange_secret.get_secret_value(),
        },
    )
    try:
        _wait_for(f"http://127.0.0.1:{mock_port}/__mock__/stats")
        _wait_for(f"http://127.0.0.1:{sandbox_port}/__sandbox__/messages")
        base = f"http://{settings.host}:{settings.port}"
        print(  # noqa: T201
            "\nRongban is starting (embedded mode):\n"
            f"  GraphQL API      {base}/graphql  (GraphiQL in a browser)\n"
            f"  readiness        {base}/readyz\n"
            f"  mock WeChat      http://127.0.0.1:{mock_port}  (phone side under /__mock__/)\n"
            f"  province sandbox http://127.0.0.1:{sandbox_port}  (what it got: "
            "/__sandbox__/messages)\n"
            f"  database         {settings.database_url}\n"
            f"  objects          {settings.storage_url}\n"
            f"  Redis            {settings.redis_url} (in-process)\n"
            "  demo staff       demo-admin, officer-<department code>\n"
            "                   (password: RONGBAN_DEMO_PASSWORD, default rongban-demo)\n"
            f'  dev clock        {base}/__dev__/clock  (POST {{"advanceTo": ...}}: forward only)\n'
            "  try the login journey: .venv/bin/python -m mock_wechat.journey\n"
        )
        cmd_serve(settings)
    finally:
        for child in (mock, sandbox):
            child.send_signal(signal.SIGTERM)
        for child in (mock, sandbox):
            child.wait(timeout=10)


def _sandbox_command(settings: Settings) -> list[str]:
    if settings.exchange_algorithm != "HMAC-SHA256":
        # An SM2 sandbox needs the province's key pair as well: start it by hand.
        sys.exit(
            "`rongban dev` starts the sandbox for HMAC-SHA256 only; for SM2-SM3 run "
            "`python -m province_sandbox --algorithm SM2-SM3 ...` yourself"
        )
    return [sys.executable, "-m", "province_sandbox"]


def _wait_for(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit(f"{url} did not come up within {timeout:.0f}s")


def cmd_staff_add(
    settings: Settings,
    username: str,
    department: str | None,
    admin: bool,
    no_otp: bool,
    reviewer: bool = False,
) -> None:
    """Creates a staff account, prints a one-time password and the TOTP enrolment URI."""
    from api.resources import keyring_of
    from resolvers.accounts.service import hash_password
    from storage.models.accounts import Role
    from storage.repositories import accounts as account_repo
    from storage.repositories import catalogue as catalogue_repo

    password = getpass.getpass("Password (empty: generate one): ") if sys.stdin.isatty() else ""
    password = password or secrets.token_urlsafe(12)
    totp_secret = None if no_otp else pyotp.random_base32()

    async def add() -> None:
        found = await catalogue_repo.departments_by_codes([department]) if department else []
        if department and not found:
            sys.exit(f"unknown department {department}")
        dept = found[0] if found else None
        roles = (
            [Role.STAFF.value]
            + ([Role.ADMIN.value] if admin else [])
            + ([Role.REVIEWER.value] if reviewer else [])
        )
        await account_repo.create_staff(
            username.lower(),
            roles,
            password_hash=hash_password(password),
            totp_secret_sealed=(
                keyring_of(settings).seal(totp_secret, context="account.totp")
                if totp_secret
                else None
            ),
            department_id=dept.id if dept else None,
            region_id=dept.region_id if dept else None,
        )

    asyncio.run(_with_orm(settings, add()))
    print(f"created {username}; password: {password}")  # noqa: T201
    if totp_secret:
        uri = pyotp.TOTP(totp_secret).provisioning_uri(name=username, issuer_name="蓉办")
        print(f"enrol the authenticator app with: {uri}")  # noqa: T201


def cmd_staff_role(
    settings: Settings, username: str, grant: str | None, revoke: str | None
) -> None:
    outcome: tuple[int, list[str]] = (0, [])

    async def run() -> None:
        nonlocal outcome
        outcome = await staff_role(settings, username, grant=grant, revoke=revoke)

    asyncio.run(_with_orm(settings, run()))
    status, lines = outcome
    for line in lines:
        print(line, file=sys.stderr if status else sys.stdout)
    if status:
        sys.exit(status)


async def staff_role(
    settings: Settings, username: str, *, grant: str | None, revoke: str | None
) -> tuple[int, list[str]]:
    """What `rongban staff-role` does, with the ORM already open: (exit status, lines). The
    same change as the grantStaffRole and revokeStaffRole mutations, audited as the CLI's."""
    from datetime import UTC, datetime

    from resolvers.accounts.service import is_staff
    from resolvers.accounts.staff import GRANTABLE, apply_role
    from storage.cache import create_redis
    from storage.models.accounts import Role
    from storage.repositories import accounts as repo

    wanted = grant or revoke
    if (grant is None) == (revoke is None) or wanted not in {r.value for r in GRANTABLE}:
        names = ", ".join(sorted(r.value for r in GRANTABLE))
        return 2, [f"give exactly one of --grant or --revoke with a role ({names})"]
    name = username.strip().lower()
    account = await repo.by_username(name) if 0 < len(name) <= 64 else None
    if account is None or not is_staff(account):
        return 1, [f"no staff account named {name}"]
    lines = []
    redis = create_redis(settings.redis_url)
    try:
        change = await apply_role(
            redis,
            account,
            Role(wanted),
            grant=grant is not None,
            actor_id=None,
            request_id="rongban staff-role",
            now=datetime.now(UTC),
        )
    finally:
        await redis.aclose()
    verb = "granted" if grant else "revoked"
    lines.append(f"{verb} {wanted} {'to' if grant else 'from'} {name}")
    if not change.changed:
        lines[-1] += " (no change)"
    elif settings.embedded_redis:
        # memory:// Redis lives inside the API process: its cached sessions expire on their own.
        lines.append("signed-in sessions see the change within 5 minutes")
    return 0, lines


def cmd_staff_unlock(settings: Settings, username: str) -> None:
    outcome: tuple[int, list[str]] = (0, [])

    async def run() -> None:
        nonlocal outcome
        outcome = await staff_unlock(settings, username)

    asyncio.run(_with_orm(settings, run()))
    status, lines = outcome
    for line in lines:
        print(line, file=sys.stderr if status else sys.stdout)
    if status:
        sys.exit(status)


async def staff_unlock(settings: Settings, username: str) -> tuple[int, list[str]]:
    """What `rongban staff-unlock` does, with the ORM already open: (exit status, lines)."""
    from api.resources import keyring_of
    from resolvers.accounts.errors import AccountError
    from resolvers.accounts.service import is_staff, lift_staff_lock
    from storage.cache import create_redis
    from storage.repositories import accounts as repo

    if settings.embedded_redis:
        # memory:// Redis lives inside the API process, out of this command's reach.
        return 2, ["with memory:// Redis, unlock with the unlockStaffAccount mutation"]
    name = username.strip().lower()
    account = await repo.by_username(name) if 0 < len(name) <= 64 else None
    if account is None or not is_staff(account):
        return 1, [f"no staff account named {name}"]
    redis = create_redis(settings.redis_url)
    try:
        was_locked = await lift_staff_lock(
            redis, keyring_of(settings), account, actor_id=None, request_id="rongban staff-unlock"
        )
    except AccountError:
        return 1, ["Redis is unavailable: nothing was unlocked"]
    finally:
        await redis.aclose()
    return 0, [f"unlocked {name}" + (" (it was locked)" if was_locked else "")]


def cmd_open311_key(settings: Settings, action: str, name: str | None) -> None:
    """Open311 API keys: `add NAME` prints a new key once (only its keyed hash is kept),
    `revoke NAME` ends it for good, `list` shows the clients and whether they are live."""
    outcome: tuple[int, list[str]] = (0, [])

    async def run() -> None:
        nonlocal outcome
        outcome = await open311_key(settings, action, name)

    asyncio.run(_with_orm(settings, run()))
    status, lines = outcome
    for line in lines:
        print(line, file=sys.stderr if status else sys.stdout)
    if status:
        sys.exit(status)


async def open311_key(settings: Settings, action: str, name: str | None) -> tuple[int, list[str]]:
    """What `rongban open311-key` does, with the ORM already open: (exit status, lines)."""
    from datetime import UTC, datetime

    from api.resources import keyring_of
    from storage.repositories import appeals as repo

    if action == "list":
        lines = []
        for client in await repo.open311_clients():
            state = "revoked" if client.revoked_at else "live"
            used = client.last_used_at.isoformat() if client.last_used_at else "never used"
            lines.append(f"{client.name}\t{state}\t{used}")
        return 0, lines
    if not name or len(name) > 64:
        return 2, ["a client name of at most 64 characters is required"]
    if action == "add":
        if any(c.name == name for c in await repo.open311_clients()):
            return 1, [f"a client named {name} exists"]
        key = f"o311_{secrets.token_urlsafe(32)}"
        await repo.open311_add(name, keyring_of(settings).token_hash(key))
        return 0, [f"created Open311 client {name}; api_key (shown once): {key}"]
    if action == "revoke":
        if not await repo.open311_revoke(name, datetime.now(UTC)):
            return 1, [f"no live client named {name}"]
        return 0, [f"revoked {name}"]
    return 2, [f"unknown action {action}"]


def cmd_export_contract() -> None:
    """Writes schema/schema.graphql and the manifest of the mini-program's operations."""
    from api.preparation import manifest
    from schema.root import sdl

    # A source-checkout command: the operations are the mini-program's, beside the fakes.
    operations = SOURCE / "miniprogram-mock" / "operations"
    if not operations.is_dir():
        sys.exit("export-contract runs in a source checkout (miniprogram-mock/operations)")
    folder = Path(str(files("schema")))
    (folder / "schema.graphql").write_text(sdl(), encoding="utf-8")
    documents = {
        p.stem: p.read_text(encoding="utf-8") for p in sorted(operations.glob("*.graphql"))
    }
    (folder / "persisted-operations.json").write_text(manifest(documents), encoding="utf-8")
    print(f"wrote schema.graphql and {len(documents)} persisted operations")  # noqa: T201


def cmd_import_catalogue(settings: Settings, path: str) -> None:
    from resolvers.catalogue.importer import import_catalogue
    from storage.cache import bump_catalogue_version, create_redis

    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        sys.exit(f"cannot read {path}: {exc}")

    async def load() -> int:
        report = await import_catalogue(document)
        for error in report.errors:
            print(f"{error.field}: [{error.rule}] {error.message}", file=sys.stderr)  # noqa: T201
        if report.errors:
            print(f"{len(report.errors)} problems; nothing was imported", file=sys.stderr)  # noqa: T201
            return 1
        redis = create_redis(settings.redis_url)
        try:
            await bump_catalogue_version(redis)
        finally:
            await redis.aclose()
        print("imported:", ", ".join(f"{v} {k}" for k, v in report.counts.items()))  # noqa: T201
        return 0

    status = 0

    async def run() -> None:
        nonlocal status
        status = await load()

    asyncio.run(_with_orm(settings, run()))
    sys.exit(status)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rongban", description="蓉办 government services API")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the API with uvicorn (RONGBAN_WORKERS workers)")
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("seed", help="load reference data (and demo data in dev mode)")
    worker = commands.add_parser("worker", help="run background jobs (outbox, housekeeping)")
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    commands.add_parser(
        "dev", help="what `make run` runs: migrate, seed, mock WeChat, province sandbox, serve"
    )
    commands.add_parser("export-contract", help="write schema.graphql and the operations manifest")
    importer = commands.add_parser("import-catalogue", help="load a catalogue export (JSON)")
    importer.add_argument("file")
    keys = commands.add_parser("open311-key", help="add, revoke or list Open311 client API keys")
    keys.add_argument("action", choices=["add", "revoke", "list"])
    keys.add_argument("name", nargs="?", help="the client's name (a civic app)")
    staff = commands.add_parser("staff-add", help="create a staff account with a TOTP factor")
    staff.add_argument("username")
    staff.add_argument("--department", help="credit code of the staff member's department")
    staff.add_argument("--admin", action="store_true")
    staff.add_argument(
        "--reviewer", action="store_true", help="may review providers and their services"
    )
    staff.add_argument("--no-otp", action="store_true", help="dev only: no second factor")
    unlock = commands.add_parser(
        "staff-unlock", help="lift a staff account's sign-in lock and forget its failures"
    )
    unlock.add_argument("username")
    role = commands.add_parser(
        "staff-role", help="grant or revoke a staff account's REVIEWER role (audited)"
    )
    role.add_argument("username")
    role.add_argument("--grant", metavar="ROLE", help="REVIEWER")
    role.add_argument("--revoke", metavar="ROLE", help="REVIEWER")
    saving = commands.add_parser(
        "backup", help="pg_dump the database and list the object keys it points at"
    )
    saving.add_argument("folder", help="where to write database.dump and manifest.json")
    loading = commands.add_parser(
        "restore", help="load a backup's database.dump into RONGBAN_DATABASE_URL (empty)"
    )
    loading.add_argument("folder")
    exchange_cli.add_parser(commands)
    calendar_cli.add_parser(commands)
    insights_cli.add_parser(commands)
    payments_cli.add_parser(commands)
    args = parser.parse_args(argv)

    configure_logging(
        os.environ.get("RONGBAN_LOG_LEVEL", "INFO"), os.environ.get("RONGBAN_LOG_FORMAT", "text")
    )
    settings = load_settings()
    if args.command == "serve":
        cmd_serve(settings)
    elif args.command == "migrate":
        cmd_migrate(settings)
    elif args.command == "seed":
        cmd_seed(settings)
    elif args.command == "worker":
        cmd_worker(settings, args.once)
    elif args.command == "dev":
        cmd_dev(settings)
    elif args.command == "export-contract":
        cmd_export_contract()
    elif args.command == "import-catalogue":
        cmd_import_catalogue(settings, args.file)
    elif args.command == "calendar":
        calendar_cli.run(settings, args)
    elif args.command == "insights":
        insights_cli.run(settings, args)
    elif args.command == "exchange":
        exchange_cli.run(settings, args)
    elif args.command == "payments":
        payments_cli.run(settings, args)
    elif args.command == "open311-key":
        cmd_open311_key(settings, args.action, args.name)
    elif args.command == "staff-add":
        if args.no_otp and settings.is_production:
            sys.exit("production staff accounts need a second factor")
        cmd_staff_add(
            settings, args.username, args.department, args.admin, args.no_otp, args.reviewer
        )
    elif args.command == "staff-unlock":
        cmd_staff_unlock(settings, args.username)
    elif args.command in ("backup", "restore"):
        from api.backup import backup, restore

        if args.command == "backup":
            asyncio.run(_with_orm(settings, backup(settings, Path(args.folder))))
            print(f"backed up to {args.folder}")  # noqa: T201
        else:
            restore(settings.database_url, Path(args.folder))
            print("restored")  # noqa: T201
    elif args.command == "staff-role":
        cmd_staff_role(settings, args.username, args.grant, args.revoke)


if __name__ == "__main__":
    main()
