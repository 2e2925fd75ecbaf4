"""Expand, then contract: during a rolling update the previous release serves on the new schema.

The previous release is the commit before the newest migration came in (from git history: CI
clones fully, and a shallow clone fails here rather than skip). Its code, unpacked from git,
runs as a real `rongban serve` process on a database migrated by this code, and a resident and
an officer use it: sign in, read the catalogue, submit an application, accept it. The newest
migration's SQL is also checked to be expand-only unless it declares itself a contract step.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mock_wechat.client import MiniProgram
from mock_wechat.journey import DEMO_JPEG, DEMO_PDF, DEMO_SERVICE, login_journey
from resolvers.settings import Settings
from tests.conftest import RunningApp
from tests.identity import id_number, phone_number
from tests.processes import free_port, process_env

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "storage" / "migrations"
# 公共场所卫生许可 in 锦江区: its single window is this department's officer (demo seed).
WINDOW = "officer-11510104452424621j"
# A migration that was not expand-only (application_event.actor_kind added and made NOT NULL
# at once: releases before it could not submit on the schema after it); the check below must
# keep recognising it.
ACTOR_KIND_REQUIRED = "0017_event_actors"


def newest_migration() -> Path:
    return sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))[-1]


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def previous_release() -> str:
    """The commit whose code served before the newest migration: the first-parent parent of
    the commit that brought the migration file in (HEAD when the file is not committed yet)."""
    if shutil.which("git") is None:
        pytest.fail("git is not installed: the previous release comes from git history")
    inside = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"], cwd=ROOT, capture_output=True, text=True
    )
    if inside.stdout.strip() != "true":
        pytest.fail("not a git checkout: the previous release comes from git history")
    if _git("rev-parse", "--is-shallow-repository") == "true":
        pytest.fail(
            "shallow clone: the previous release's code is not in it; "
            "fetch the whole history (git fetch --unshallow)"
        )
    path = newest_migration().relative_to(ROOT).as_posix()
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", path], cwd=ROOT, capture_output=True
    )
    if tracked.returncode != 0:
        return _git("rev-parse", "HEAD")
    commits = _git("rev-list", "--first-parent", "HEAD", "--", path).split()
    if not commits:
        pytest.fail(f"{path} is tracked but no commit of HEAD's history brought it in")
    parent = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{commits[-1]}^1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if parent.returncode != 0:
        pytest.fail(f"the commit before {commits[-1]} (which brought in {path}) is missing")
    return parent.stdout.strip()


def unpack(commit: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True)
    assert archive.returncode == 0, archive.stderr
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    assert not any(p.name == newest_migration().name for p in into.glob("storage/migrations/*"))
    return into


@contextmanager
def old_server(tree: Path, settings: Settings, log: Path) -> Iterator[str]:
    """The previous release's `rongban serve`, its packages from `tree` (this environment's
    third-party packages), on the test's database, Redis, bucket and mock WeChat."""
    port = free_port()
    env = process_env(
        settings,
        execution_seconds_per_minute="60",
        port=str(port),
        public_base_url=f"http://127.0.0.1:{port}",
    ) | {
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": f"{tree}{os.pathsep}{tree / 'miniprogram-mock'}",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve"],
            cwd=tree,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the previous release did not start:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the previous release did not become ready:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
async def test_the_previous_release_serves_on_the_new_schema(
    seeded: RunningApp, wechat: httpx.AsyncClient, tmp_path: Path
) -> None:
    commit = previous_release()
    tree = unpack(commit, tmp_path / "previous")
    log = tmp_path / "previous.log"
    settings = seeded.settings
    with old_server(tree, settings, log) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as api:
            catalogue = await api.post(
                "/graphql", json={"query": "{ services(first: 5) { nodes { code name } } }"}
            )
            program = MiniProgram(api, wechat, "previous-release")
            steps = await login_journey(program, phone=phone_number(), id_number=id_number())
            documents = []
            for kind, name, content_type, data in (
                ("ID_CARD_FRONT", "身份证正面.jpg", "image/jpeg", DEMO_JPEG),
                ("OTHER", "卫生管理制度.pdf", "application/pdf", DEMO_PDF),
            ):
                uploaded = await program.upload_document(kind, name, content_type, data)
                documents.append(uploaded["confirm"]["id"])
            code, region = DEMO_SERVICE
            submitted = await program.submit_application(code, documents, region_code=region)
            staff = await api.post(
                "/graphql",
                json={
                    "query": "mutation($u: String!, $p: String!) { loginStaff(input: "
                    "{username: $u, password: $p}) { ... on Session { token } } }",
                    "variables": {"u": WINDOW, "p": settings.demo_password.get_secret_value()},
                },
            )
            token = staff.json()["data"]["loginStaff"]["token"]
            accepted = await api.post(
                "/graphql",
                json={
                    "query": "mutation($id: ID!) { acceptApplication(input: "
                    "{applicationId: $id}) { __typename ... on Application { status } } }",
                    "variables": {"id": submitted["id"]},
                },
                headers={"authorization": f"Bearer {token}"},
            )
    errors = [line for line in log.read_text().splitlines() if "Traceback" in line]

    assert catalogue.status_code == 200, catalogue.text
    assert len(catalogue.json()["data"]["services"]["nodes"]) == 5
    assert steps[1].startswith("bindWeChatPhone -> Account 138****")
    assert steps[4].startswith("verifyIdentity  -> Account ")
    assert submitted["__typename"] == "Application", submitted
    assert submitted["status"] == "SUBMITTED"
    assert accepted.json()["data"]["acceptApplication"] == {
        "__typename": "Application",
        "status": "ACCEPTED",
    }, accepted.text
    assert errors == [], log.read_text()
    # This release reads what the previous one wrote.
    mine = await MiniProgram(seeded.client, wechat, "previous-release").login()
    assert mine["__typename"] == "Session"
    detail = await seeded.gql.data(
        "query($id: ID!) { application(id: $id) { status } }",
        {"id": submitted["id"]},
        token=mine["token"],
    )
    assert detail["application"]["status"] == "ACCEPTED"


# -- the newest migration is expand-only unless it says it is a contract step


def migration_sql(*names: str) -> dict[str, list[str]]:
    """The PostgreSQL statements of migrations, as `tortoise sqlmigrate` renders them (in a
    process of its own: rendering initialises the ORM, which the test session has open)."""
    script = (
        "import asyncio, json, sys\n"
        "from tortoise.migrations.api.sqlmigrate import sqlmigrate\n"
        "from storage.database import MODELS_APP, tortoise_config\n"
        "config = tortoise_config('postgres://render@127.0.0.1:1/render')\n"
        "async def main():\n"
        "    return {n: await sqlmigrate(config=config, app_label=MODELS_APP,"
        " migration_name=n) for n in sys.argv[1:]}\n"
        "print(json.dumps(asyncio.run(main())))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *names], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    rendered: dict[str, list[str]] = json.loads(result.stdout)
    return rendered


def contract_violations(statements: list[str]) -> list[str]:
    """What in these statements breaks the previous release on the new schema: dropping or
    renaming a table or column, changing a column's type, or making a column of an existing
    table required without a default (the previous release does not write it)."""
    sql = "\n".join(
        line for line in "\n".join(statements).splitlines() if not line.lstrip().startswith("--")
    )
    created = set(re.findall(r'CREATE TABLE (?:IF NOT EXISTS )?"(\w+)"', sql))
    defaulted = set(re.findall(r'ALTER TABLE "(\w+)" ALTER COLUMN "(\w+)" SET DEFAULT', sql))
    found = []
    pieces = [piece for statement in statements for piece in statement.split(";")]
    for piece in pieces:
        text = " ".join(line for line in piece.splitlines() if not line.lstrip().startswith("--"))
        text = " ".join(text.split())
        upper = text.upper()
        dropped = re.search(r"\bDROP (TABLE|COLUMN)\b|\bRENAME\b", upper)
        retyped = re.search(r"\bALTER COLUMN \"\w+\" (SET DATA )?TYPE\b", upper)
        added = re.match(r'ALTER TABLE "(\w+)" ADD COLUMN "(\w+)" (.*)', text)
        tightened = re.match(r'ALTER TABLE "(\w+)" ALTER COLUMN "(\w+)" SET NOT NULL', text)
        if dropped or retyped:
            found.append(text)
        elif added:
            table, _, definition = added.groups()
            required = "NOT NULL" in definition.upper() and "DEFAULT" not in definition.upper()
            if required and table not in created:
                found.append(text)
        elif (
            tightened and tightened.group(1) not in created and tightened.groups() not in defaulted
        ):
            found.append(text)
    return found


@pytest.mark.slow
def test_the_newest_migration_is_expand_only_unless_marked_contract() -> None:
    newest = newest_migration()
    source = newest.read_text()
    # A contract step says so, with its reason: `CONTRACT = "drops ... no longer read since ..."`.
    marked = re.search(r'^CONTRACT = "(.+)"$', source, re.M)
    rendered = migration_sql(newest.stem, ACTOR_KIND_REQUIRED)
    violations = contract_violations(rendered[newest.stem])
    if marked:
        assert violations, f"{newest.name} is marked CONTRACT but only expands"
    else:
        assert violations == [], (
            f"{newest.name} is not expand-only; split it (README, Schema changes without "
            f'downtime) or mark it CONTRACT = "why": {violations}'
        )
    # The check finds what it is for: an older migration made a new column required at once.
    assert contract_violations(rendered[ACTOR_KIND_REQUIRED]) == [
        'ALTER TABLE "application_event" ALTER COLUMN "actor_kind" SET NOT NULL'
    ]


def test_the_contract_check_reads_drops_renames_and_required_columns() -> None:
    assert contract_violations(
        [
            'ALTER TABLE "a" DROP COLUMN "b"',
            'DROP TABLE "c"',
            'ALTER TABLE "a" RENAME COLUMN "d" TO "e"',
            'ALTER TABLE "a" ALTER COLUMN "f" TYPE BIGINT USING "f"::BIGINT',
            'ALTER TABLE "a" ADD COLUMN "g" VARCHAR(8) NOT NULL',
        ]
    ) == [
        'ALTER TABLE "a" DROP COLUMN "b"',
        'DROP TABLE "c"',
        'ALTER TABLE "a" RENAME COLUMN "d" TO "e"',
        'ALTER TABLE "a" ALTER COLUMN "f" TYPE BIGINT USING "f"::BIGINT',
        'ALTER TABLE "a" ADD COLUMN "g" VARCHAR(8) NOT NULL',
    ]
    assert (
        contract_violations(
            [
                'CREATE TABLE "n" ("id" UUID NOT NULL PRIMARY KEY);',
                'ALTER TABLE "n" ADD COLUMN "h" INT NOT NULL',
                'ALTER TABLE "a" ADD COLUMN "i" VARCHAR(8)',
                'ALTER TABLE "a" ADD COLUMN "j" INT NOT NULL DEFAULT 0',
                'CREATE INDEX "x" ON "a" ("i")',
                'COMMENT ON COLUMN "a"."i" IS \'x\'',
            ]
        )
        == []
    )
