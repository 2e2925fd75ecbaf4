"""`make bench`: catalogue throughput of the real app against a plain REST endpoint, measured
in one run on the same machine, database and load generator, reported as ratios.

Seeds scale data into a fresh PostgreSQL database, serves both apps with uvicorn (one worker
each), and drives them with wrk. Targets: the cached anonymous catalogue page at least 1.0x
the REST endpoint; an uncached guide at least 0.5x.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg
import httpx
from tortoise import Tortoise

from api.cli import run_migrations
from api.seed import seed_demo
from resolvers.settings import Settings
from storage.database import tortoise_config
from tests.perf.abuse import AbuseReport, as_dict, print_report, run_abuse
from tests.perf.scale import generate

ROOT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("RONGBAN_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("RONGBAN_BENCH_REDIS", "redis://127.0.0.1:6379/12")
DURATION = os.environ.get("RONGBAN_BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("RONGBAN_BENCH_CONNECTIONS", "16")

PAGE = (
    'query Page { services(filter: {regionCode: "510104"}, first: 20) '
    "{ nodes { code name visits onlineDepth department { name } region { name } } } }"
)
GUIDE = (
    "query Guide($code: String!) { service(code: $code) { code name legalBasis conditions "
    "statutoryDays promisedDays fee visits onlineDepth channels address hours phone "
    "complaintPhone resultName steps { name } faqs { question answer } "
    "materials { name necessity source documentKind } department { name } region { name } } }"
)
SEARCH = '{ services(filter: {keyword: "sfz"}, first: 20) { nodes { code name region { name } } } }'


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepare_database() -> str:
    name = "rongban_bench"
    admin = await asyncpg.connect(SERVER.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{SERVER.rsplit('/', 1)[0]}/{name}"
    await run_migrations(url)
    settings = Settings(database_url=url, redis_url=REDIS, demo_password="bench-password-0")
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        counts = await seed_demo(settings)
        counts |= await generate()
    finally:
        await Tortoise.close_connections()
    # Fresh bulk loads have no planner statistics yet; production tables do.
    analyse = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await analyse.execute("ANALYZE")
    finally:
        await analyse.close()
    print("seeded:", ", ".join(f"{v} {k}" for k, v in counts.items()), flush=True)
    return url


def serve(module_args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", *module_args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{module_args} did not start")


def wrk(
    name: str, url: str, *, body: dict | None = None, token: str | None = None, folder: Path
) -> Result:
    script = folder / f"{name}.lua"
    lines = []
    if body is not None:
        lines += [
            'wrk.method = "POST"',
            f"wrk.body = {json.dumps(json.dumps(body))}",
            'wrk.headers["Content-Type"] = "application/json"',
        ]
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    script.write_text("\n".join(lines) + "\n")
    output = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"{name}: non-2xx answers during the run:\n{output}")
    return Result(
        name,
        float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        _latency(output, "50%"),
        _latency(output, "99%"),
    )


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    database = asyncio.run(prepare_database())
    app_port, uncached_port, rest_port = free_port(), free_port(), free_port()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("RONGBAN_")}
    env = base_env | {
        "RONGBAN_DATABASE_URL": database,
        "RONGBAN_REDIS_URL": REDIS,
        "RONGBAN_PORT": str(app_port),
        "RONGBAN_DEMO_PASSWORD": "bench-password-0",
        "RONGBAN_LOG_LEVEL": "WARNING",
        "RONGBAN_STORAGE_URL": f"file://{tempfile.mkdtemp(prefix='rongban-bench-')}",
    }
    # The capacity runs measure the server: one load generator plays thousands of residents,
    # so the per-principal budget and caps are lifted there (the abuse run keeps them).
    capacity = {
        "RONGBAN_COST_BUDGET_PER_MINUTE": "100000000",
        "RONGBAN_EXECUTION_SECONDS_PER_MINUTE": "86400",
        "RONGBAN_MAX_CONCURRENT_PER_ACCOUNT": "1000",
        "RONGBAN_MAX_CONCURRENT_PER_ADDRESS": "1000",
    }
    abuse_port = free_port()
    abuse_env = env | {"RONGBAN_PORT": str(abuse_port), "RONGBAN_TRUSTED_PROXIES": "127.0.0.1"}
    env = env | capacity
    app = serve(["api.cli", "serve"], env, app_port)
    # The same app without its response cache: what a guide costs when it is computed,
    # for an anonymous caller like the REST endpoint's (no session look-up either).
    uncached = serve(
        ["api.cli", "serve"],
        env | {"RONGBAN_PORT": str(uncached_port), "RONGBAN_RESPONSE_CACHE": "false"},
        uncached_port,
    )
    rest = serve(
        [
            "uvicorn",
            "--factory",
            "tests.perf.rest_baseline:create_baseline",
            "--port",
            str(rest_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env,
        rest_port,
    )
    try:
        graphql = f"http://127.0.0.1:{app_port}/graphql"
        computed = f"http://127.0.0.1:{uncached_port}/graphql"
        login = httpx.post(
            graphql,
            json={
                "query": 'mutation { loginStaff(input: {username: "demo-admin", '
                'password: "bench-password-0"}) { ... on Session { token } } }'
            },
        ).json()
        token = login["data"]["loginStaff"]["token"]
        code = httpx.post(graphql, json={"query": PAGE}).json()["data"]["services"]["nodes"][0][
            "code"
        ]
        with tempfile.TemporaryDirectory() as folder:
            where = Path(folder)
            results = [
                wrk(
                    "rest_page",
                    f"http://127.0.0.1:{rest_port}/rest/services?region=510104&limit=20",
                    folder=where,
                ),
                wrk("graphql_page_cached", graphql, body={"query": PAGE}, folder=where),
                wrk(
                    "graphql_guide_uncached",
                    computed,
                    body={"query": GUIDE, "variables": {"code": code}},
                    folder=where,
                ),
                wrk(
                    "graphql_pinyin_search_uncached", computed, body={"query": SEARCH}, folder=where
                ),
                wrk(
                    "graphql_guide_signed_in",
                    graphql,
                    body={"query": GUIDE, "variables": {"code": code}},
                    token=token,
                    folder=where,
                ),
            ]
    finally:
        for process in (app, uncached, rest):
            process.send_signal(signal.SIGINT)
            process.wait(timeout=20)
    abuse = abuse_run(abuse_env, abuse_port)
    rest_rps = results[0].requests_per_second
    print(f"\n{'scenario':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs REST':>10}")
    for result in results:
        ratio = result.requests_per_second / rest_rps
        print(
            f"{result.name:<34}{result.requests_per_second:>10.0f}{result.p50_ms:>10.2f}"
            f"{result.p99_ms:>10.2f}{ratio:>9.2f}x"
        )
    cached, guide = (
        results[1].requests_per_second / rest_rps,
        results[2].requests_per_second / rest_rps,
    )
    print(
        f"\ncached page vs REST {cached:.2f}x (target >= 1.0): {'met' if cached >= 1.0 else 'MISSED'}"
    )
    print(
        f"uncached guide vs REST {guide:.2f}x (target >= 0.5): {'met' if guide >= 0.5 else 'MISSED'}"
    )
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=1))
    print_report(abuse)
    (out / "abuse.json").write_text(json.dumps(as_dict(abuse), indent=1))


def _staff_token(graphql: str, username: str) -> str:
    answer = httpx.post(
        graphql,
        json={
            "query": "mutation($u: String!) { loginStaff(input: {username: $u, "
            'password: "bench-password-0"}) { ... on Session { token } } }',
            "variables": {"u": username},
        },
    ).json()
    return str(answer["data"]["loginStaff"]["token"])


def abuse_run(env: dict[str, str], port: int) -> AbuseReport:
    """The abuse scenario against a server on default limits (behind a trusted proxy, so
    that the attackers are eight addresses)."""
    server = serve(["api.cli", "serve"], env, port)
    try:
        graphql = f"http://127.0.0.1:{port}/graphql"
        officers = [
            f"officer-{d['code']}"
            for d in httpx.post(graphql, json={"query": "{ departments { code } }"}).json()["data"][
                "departments"
            ][:3]
        ]
        normal = _staff_token(graphql, officers[0])
        attackers = [_staff_token(graphql, "demo-admin")] + [
            _staff_token(graphql, name) for name in officers[1:]
        ]
        regions = [
            r["code"]
            for r in httpx.post(
                graphql, json={"query": "{ regions { children { code } } }"}
            ).json()["data"]["regions"][0]["children"]
        ]
        with tempfile.TemporaryDirectory() as folder:
            return asyncio.run(run_abuse(graphql, normal, attackers, PAGE, regions, Path(folder)))
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
