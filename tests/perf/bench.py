"""`make bench`: the API's reads and writes at city scale, measured in one run against a fair
REST baseline and a bare Starlette endpoint (tests/perf/rest_baseline.py), reported as one
table of ratios with the issue's targets marked met or not (a target never fails the run).

Seeds scale data into a fresh PostgreSQL database (`rongban_bench`), starts the mock WeChat
server, the app with `rongban serve` (one worker, default settings: access log at INFO, the
response cache on), the same app without its response cache (for the uncached reads), the
REST baseline and the bare endpoint (uvicorn, one worker each), signs in residents through the
mini-program's journey, and drives every scenario with wrk (c=16, one thread); writes are
also driven at the target rate by an open-loop client. SQL statements per request are
counted in-process on the same database (tests/perf/profile.py). With PROFILE=1 (`make
bench-profile`) each scenario's statements, their EXPLAIN ANALYZE, the time split and
cProfile's hot spots are printed and written to var/bench/profile.md.

Environment: RONGBAN_BENCH_DURATION (10s), RONGBAN_BENCH_CONNECTIONS (16),
RONGBAN_BENCH_RESIDENTS (64), RONGBAN_BENCH_POSTGRES, RONGBAN_BENCH_REDIS (DB 12);
RONGBAN_BENCH_ABUSE=0 skips the abuse scenario (while working on the table).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import psutil
import redis
from tortoise import Tortoise

from api.cli import run_migrations
from api.seed import seed_demo
from mock_wechat.client import operation
from resolvers.settings import Settings
from storage.database import tortoise_config
from tests.perf import profile as prof
from tests.perf.abuse import AbuseReport, as_dict, print_report, run_abuse
from tests.perf.report import CORE_KINDS, Row, Target, cores_text, write_report
from tests.perf.residents import HYGIENE_BASIC_CODE, HYGIENE_REGION, Resident, make_residents
from tests.perf.rest_baseline import build_search_table
from tests.perf.scale import SUBJECTS, generate
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("RONGBAN_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("RONGBAN_BENCH_REDIS", "redis://127.0.0.1:6379/12")
DURATION = os.environ.get("RONGBAN_BENCH_DURATION", "10s")
CONNECTIONS = os.environ.get("RONGBAN_BENCH_CONNECTIONS", "16")
# Rounds of the scenarios that targets compare with each other, run in turns.
ROUNDS = 3
RESIDENTS = int(os.environ.get("RONGBAN_BENCH_RESIDENTS", "64"))
PROFILE = os.environ.get("PROFILE", "") not in ("", "0") or "--profile" in sys.argv
OUT = ROOT / "var" / "bench"

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
SEARCH = (
    "query Search($keyword: String!) { services(filter: {keyword: $keyword}, first: 20) "
    "{ nodes { code name region { name } } } }"
)
MINI_PROGRAM_SEARCH = operation("SearchServices")
SUBMIT = operation("SubmitApplication")
FILE_APPEAL = operation("FileAppeal")
APPEAL_CONTENT = "春熙路口每天晚上有流动摊贩占用人行道摆摊，行人只能走机动车道，很危险。"
CHUNXI_STREET = "510104001000"


def keywords() -> dict[str, list[str]]:
    """What residents type: a Chinese word, its full pinyin, its initials (the scale data's
    subjects, e.g. 餐饮, canyin, cy)."""
    from pypinyin import Style, lazy_pinyin

    return {
        "Chinese": list(SUBJECTS),
        "pinyin": ["".join(lazy_pinyin(s)) for s in SUBJECTS],
        "initials": ["".join(lazy_pinyin(s, style=Style.FIRST_LETTER)) for s in SUBJECTS],
    }


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int = 0
    failed: int = 0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def seconds(duration: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)([smh]?)", duration).groups()  # type: ignore[union-attr]
    return float(value) * {"": 1, "s": 1, "m": 60, "h": 3600}[unit]


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
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        counts["REST search rows"] = await build_search_table(connection)
        # Fresh bulk loads have no planner statistics yet; production tables do.
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    print("seeded:", ", ".join(f"{v} {k}" for k, v in counts.items()), flush=True)
    return url


def serve(module_args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    log = OUT / f"server-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", *module_args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{module_args} exited: see {log}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{module_args} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def uvicorn_args(factory: str, port: int) -> list[str]:
    return [
        "uvicorn",
        "--factory",
        factory,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


# -- wrk


def _lua_list(values: Sequence[str]) -> str:
    return "{" + ",".join(json.dumps(v, ensure_ascii=False) for v in values) + "}"


def lua_rotating(
    *,
    method: str,
    paths: Sequence[str],
    bodies: Sequence[str] | None = None,
    tokens: Sequence[str] | None = None,
    check: str | None = None,
) -> str:
    """A wrk script sending request i with paths[i], bodies[i] and tokens[i] (each list
    cycled), so that consecutive requests ask for different things; with `check`, answers
    whose body lacks that text are counted and printed as `failed N`."""
    lines = [
        f"local paths = {_lua_list(paths)}",
        f"local bodies = {_lua_list(bodies or [''])}",
        f"local tokens = {_lua_list(tokens or [''])}",
        "local n = 0",
        "request = function()",
        "  n = n + 1",
        '  local headers = {["Content-Type"] = "application/json"}',
        "  local token = tokens[(n % #tokens) + 1]",
        '  if token ~= "" then headers["Authorization"] = "Bearer " .. token end',
        "  local body = bodies[(n % #bodies) + 1]",
        '  if body == "" then body = nil end',
        f'  return wrk.format("{method}", paths[(n % #paths) + 1], headers, body)',
        "end",
    ]
    if check:
        lines += [
            "local failed = 0",
            "response = function(status, headers, body)",
            f"  if status ~= 200 or not string.find(body, {json.dumps(check)}, 1, true) then",
            "    failed = failed + 1",
            "  end",
            "end",
            'done = function(summary, latency, requests) io.write("failed " .. failed .. "\\n") end',
        ]
    return "\n".join(lines) + "\n"


def cpu_seconds() -> dict[tuple[str, int], float]:
    """CPU seconds used so far, per (kind, process): the Python processes other than this one
    (the server being measured; the others idle meanwhile), PostgreSQL's, Redis's, and this
    process's waited-for children (wrk, once it has ended). Per process, so that one that ends
    in between (a PostgreSQL backend whose connection closed) takes its seconds out of neither
    figure (`cores_between`)."""
    used: dict[tuple[str, int], float] = {}
    me = os.getpid()
    for process in psutil.process_iter(["name", "cpu_times"]):
        name, times = process.info["name"] or "", process.info["cpu_times"]
        if times is None or process.pid == me:
            continue
        kind = (
            "PostgreSQL"
            if name.startswith("postgres")
            else "Redis"
            if name.startswith("redis")
            else "server"
            if name.startswith("python")
            else None
        )
        if kind is not None:
            used[(kind, process.pid)] = times.user + times.system
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used[("wrk", 0)] = children.ru_utime + children.ru_stime
    return used


def cores_between(
    before: dict[tuple[str, int], float], after: dict[tuple[str, int], float], elapsed: float
) -> dict[str, float]:
    """The cores each kind used between two readings: what each process still there used
    since the first (all of it for one started in between)."""
    cores = dict.fromkeys(CORE_KINDS, 0.0)
    for (kind, pid), seconds in after.items():
        if kind in cores:
            cores[kind] += (seconds - before.get((kind, pid), 0.0)) / elapsed
    return cores


def median_round(rounds: Sequence[Result]) -> Result:
    """The round with the median throughput (the lower middle one of an even number), noted
    with the range of all of them."""
    ordered = sorted(rounds, key=lambda r: r.requests_per_second)
    chosen = ordered[(len(ordered) - 1) // 2]
    if len(ordered) > 1:
        chosen.note = (
            f"median of {len(ordered)} rounds ({ordered[0].requests_per_second:.0f}"
            f"-{ordered[-1].requests_per_second:.0f} req/s)"
        )
    return chosen


def paired_ratio(result: Result, other: Result) -> float:
    """`result`'s throughput over `other`'s. When the two ran in turns with each other, the
    median of each round's own ratio: a round's two runs are a minute apart at most, the two
    median rounds may be several minutes apart."""
    mine, theirs = result.extra.get("rounds"), other.extra.get("rounds")
    if (
        mine
        and theirs
        and len(mine) == len(theirs)
        and result.extra["turns"] == other.extra["turns"]
    ):
        return statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
    return result.requests_per_second / other.requests_per_second


def wrk(
    name: str, base: str, script: str, *, folder: Path, connections: str = CONNECTIONS
) -> Result:
    path = folder / (re.sub(r"\W+", "_", name) + ".lua")
    path.write_text(script, encoding="utf-8")
    before, started = cpu_seconds(), time.monotonic()
    completed = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{DURATION}",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(path),
            base,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed, after = time.monotonic() - started, cpu_seconds()
    cores = cores_between(before, after, elapsed)
    output = completed.stdout
    if completed.returncode != 0 or "Requests/sec" not in output:
        raise SystemExit(f"{name}: wrk failed:\n{output}\n{completed.stderr}")
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*?(\d+) timeout", output)
    failed = re.search(r"^failed (\d+)$", output, re.M)
    bad = max(
        int(non_2xx.group(1)) if non_2xx else 0,
        int(failed.group(1)) if failed else 0,
    ) + (int(errors.group(1)) if errors else 0)
    result = Result(
        name,
        float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        _latency(output, "50%"),
        _latency(output, "99%"),
        requests=requests,
        failed=bad,
        extra={"cores": cores},
    )
    print(
        f"  {name:<44}{result.requests_per_second:>9.0f} req/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms  cores {cores_text(cores)}"
        f"{f'  FAILED {bad}' if bad else ''}",
        flush=True,
    )
    return result


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def gql(query: str, variables: dict[str, Any] | None = None, **extra: Any) -> str:
    return json.dumps({"query": query, "variables": variables or {}, **extra}, ensure_ascii=False)


# -- open-loop writes at a fixed rate


async def at_rate(
    name: str,
    url: str,
    rate: float,
    duration: float,
    make: Callable[[int], tuple[str, str]],
    check: str,
) -> Result:
    """Starts `rate` requests a second for `duration` seconds whatever the answers' pace
    (an open loop: a slow server makes requests pile up, as residents would), each one
    `make(i)` = (token, body); latency from its scheduled start."""
    latencies: list[float] = []
    failed = 0
    samples: list[str] = []
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def one(i: int, due: float) -> None:
            nonlocal failed
            token, body = make(i)
            try:
                response = await client.post(
                    url,
                    content=body.encode(),
                    headers={
                        "content-type": "application/json",
                        "authorization": f"Bearer {token}",
                    },
                )
                ok = response.status_code == 200 and check in response.text
                answer = f"{response.status_code} {response.text[:300]}"
            except httpx.HTTPError as error:
                ok, answer = False, repr(error)
            if not ok and len(samples) < 3:
                samples.append(answer)
            latencies.append((time.perf_counter() - due) * 1000)
            if not ok:
                failed += 1

        started = time.perf_counter()
        tasks = []
        total = int(rate * duration)
        for i in range(total):
            due = started + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    latencies.sort()
    result = Result(
        name,
        total / elapsed,
        statistics.median(latencies),
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        requests=total,
        failed=failed,
    )
    print(
        f"  {name:<44}{result.requests_per_second:>9.1f} req/s  p50 {result.p50_ms:7.2f} ms"
        f"  p99 {result.p99_ms:7.2f} ms{f'  FAILED {failed}' if failed else ''}",
        flush=True,
    )
    for sample in samples:
        print(f"    failed: {sample}", flush=True)
    result.note = " | ".join(samples)
    return result


# -- memory


def mib(n: int) -> float:
    return n / 1024 / 1024


def rss(pid: int) -> float:
    return mib(psutil.Process(pid).memory_info().rss)


def worker_memory(pid: int) -> list[dict[str, float]]:
    """RSS and USS (pages no other process shares) of each worker of a uvicorn master."""
    workers = []
    for child in psutil.Process(pid).children(recursive=True):
        info = child.memory_full_info()
        if mib(info.rss) > 50:  # the workers, not uvicorn's small helper processes
            workers.append({"pid": child.pid, "rss": mib(info.rss), "uss": mib(info.uss)})
    return workers


# -- the run


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("server-*.log"):
        old.unlink()
    database = asyncio.run(prepare_database())
    redis.Redis.from_url(REDIS).flushdb()  # this benchmark's own DB: no stale cache or session
    ports = {
        name: free_port() for name in ("app", "computed", "rows", "rest", "bare", "mock", "two")
    }
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("RONGBAN_")}
    mock_url = f"http://127.0.0.1:{ports['mock']}"
    env = base_env | {
        "RONGBAN_DATABASE_URL": database,
        "RONGBAN_REDIS_URL": REDIS,
        "RONGBAN_DEMO_PASSWORD": "bench-password-0",
        "RONGBAN_STORAGE_URL": f"file://{tempfile.mkdtemp(prefix='rongban-bench-')}",
        "RONGBAN_WECHAT_API_BASE": mock_url,
        "RONGBAN_SMS_URL": f"{mock_url}/__mock__/sms/send",
        "RONGBAN_IDENTITY_RELAY_URL": f"{mock_url}/__mock__/realname",
    }
    # The capacity runs measure the server: one load generator plays thousands of residents,
    # so the per-principal budget, caps, filing and sign-in limits are lifted there (the abuse run at
    # the end keeps the defaults). Everything else is the default: logging at INFO with the
    # access log, the response cache on.
    capacity = {
        "RONGBAN_COST_BUDGET_PER_MINUTE": "100000000",
        "RONGBAN_EXECUTION_SECONDS_PER_MINUTE": "86400",
        "RONGBAN_MAX_CONCURRENT_PER_ACCOUNT": "1000",
        "RONGBAN_MAX_CONCURRENT_PER_ADDRESS": "1000",
        "RONGBAN_APPEALS_PER_HOUR": "100000",
        "RONGBAN_WECHAT_LOGINS_PER_CLIENT_MINUTE": "100000",
    }
    abuse_port = free_port()
    abuse_env = env | {"RONGBAN_PORT": str(abuse_port), "RONGBAN_TRUSTED_PROXIES": "127.0.0.1"}
    env = env | capacity
    app_env = env | {
        "RONGBAN_PORT": str(ports["app"]),
        "RONGBAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['app']}",
    }
    computed_env = env | {
        "RONGBAN_PORT": str(ports["computed"]),
        "RONGBAN_RESPONSE_CACHE": "false",
    }
    mock = subprocess.Popen(
        [sys.executable, "-m", "mock_wechat", "--port", str(ports["mock"])],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started: list[subprocess.Popen[bytes]] = [mock]
    results: dict[str, Result] = {}
    memory: dict[str, Any] = {}
    sql: dict[str, float] = {}
    first_search: dict[str, Any] = {}
    edge: dict[str, bool] = {}
    profiles: list[prof.CaseProfile] = []
    try:
        app = serve(["api.cli", "serve"], app_env, ports["app"])
        started.append(app)
        memory["api_rss_after_start_mib"] = rss(app.pid)
        graphql = f"http://127.0.0.1:{ports['app']}/graphql"
        page = httpx.post(graphql, json={"query": PAGE}).content
        codes = asyncio.run(guide_codes(database))
        service_code = asyncio.run(hygiene_code(database))
        print(f"signing in {RESIDENTS} residents through the mini-program journey", flush=True)
        residents = asyncio.run(
            make_residents(f"http://127.0.0.1:{ports['app']}", mock_url, RESIDENTS)
        )
        tokens = [r.token for r in residents]
        computed = serve(["api.cli", "serve"], computed_env, ports["computed"])
        rest = serve(
            uvicorn_args("tests.perf.rest_baseline:create_baseline", ports["rest"]),
            env,
            ports["rest"],
        )
        bare = serve(
            uvicorn_args("tests.perf.rest_baseline:create_bare", ports["bare"]),
            env | {"RONGBAN_BENCH_BARE_BYTES": str(len(page))},
            ports["bare"],
        )
        started += [computed, rest, bare]
        guide_check(graphql, codes[0])
        words = keywords()
        with tempfile.TemporaryDirectory() as folder:
            where = Path(folder)
            rest_base = f"http://127.0.0.1:{ports['rest']}"
            computed_url = f"http://127.0.0.1:{ports['computed']}/graphql"
            print(f"\nwrk -t1 -c{CONNECTIONS} -d{DURATION}:", flush=True)

            def run(name: str, base: str, **script: Any) -> None:
                warm_up(base, **script)
                results[name] = wrk(name, base, lua_rotating(**script), folder=where)

            def in_turns(
                scenarios: Sequence[tuple[str, str, dict[str, Any]]], *, warm: bool = False
            ) -> None:
                """Scenarios whose targets compare them with each other, run in turns for
                ROUNDS rounds, each reported by its median round: this virtual machine's
                speed drifts by a tenth or more over minutes, more than some targets' margins.
                With `warm`, a round first that is not counted: the guides' scenarios are
                steady-state figures, and each process reads every guide from PostgreSQL the
                first time (two workers twice over), which the first round would measure
                unevenly; `guide from PostgreSQL` and the first search measure that apart."""
                if warm:
                    print("  a warm-up round, not counted:", flush=True)
                    for name, base, script in scenarios:
                        run(name, base, **script)
                rounds: dict[str, list[Result]] = {name: [] for name, _, _ in scenarios}
                for _ in range(ROUNDS):
                    for name, base, script in scenarios:
                        run(name, base, **script)
                        rounds[name].append(results[name])
                for name, measured in rounds.items():
                    results[name] = median_round(measured)
                    results[name].extra["rounds"] = [r.requests_per_second for r in measured]
                    results[name].extra["turns"] = scenarios[0][0]  # the group, by its first

            bare_url = f"http://127.0.0.1:{ports['bare']}"
            cached_page = {"method": "POST", "paths": ["/graphql"], "bodies": [gql(PAGE)]}
            in_turns(
                [
                    ("bare Starlette", bare_url, {"method": "GET", "paths": ["/bare"]}),
                    ("page cached", graphql, cached_page),
                ]
            )
            run(
                "REST page",
                rest_base,
                method="GET",
                paths=["/rest/services?region=510104&limit=20"],
            )
            run(
                "REST guide signed in",
                rest_base,
                method="GET",
                paths=[f"/rest/me/services/{c}" for c in codes],
                tokens=tokens,
            )
            for kind, values in words.items():
                run(
                    f"REST search {kind}",
                    rest_base,
                    method="GET",
                    paths=[f"/rest/search?q={quote(v)}&limit=20" for v in values],
                )
            # Two workers beside the one, idle until their turn.
            two = serve(
                ["api.cli", "serve"],
                env | {"RONGBAN_PORT": str(ports["two"]), "RONGBAN_WORKERS": "2"},
                ports["two"],
            )
            started.append(two)
            two_log = OUT / f"server-{ports['two']}.log"
            wait_for_workers(two_log, 2)
            memory["two_workers_after_start"] = worker_memory(two.pid)
            guides = [gql(GUIDE, {"code": c}) for c in codes]
            guide = {"method": "POST", "paths": ["/graphql"], "bodies": guides}
            # Each next to what its target compares it with: the uncached guide and its two
            # baselines (bare Starlette measured again beside it: the page's rounds ran
            # minutes before), the searches and the uncached guide, the uncached and the
            # signed-in guide, one worker and two.
            in_turns(
                [
                    (BARE_BESIDE_GUIDES, bare_url, {"method": "GET", "paths": ["/bare"]}),
                    (
                        "REST guide",
                        rest_base,
                        {"method": "GET", "paths": [f"/rest/services/{c}" for c in codes]},
                    ),
                    *(
                        (
                            f"search {kind}",
                            computed_url,
                            {
                                "method": "POST",
                                "paths": ["/graphql"],
                                "bodies": [gql(SEARCH, {"keyword": v}) for v in values],
                            },
                        )
                        for kind, values in words.items()
                    ),
                    ("guide uncached", computed_url, guide),
                    ("guide signed in", graphql, guide | {"tokens": tokens}),
                    # Where the server's work dominates.
                    (
                        "guide signed in, 2 workers",
                        f"http://127.0.0.1:{ports['two']}/graphql",
                        guide | {"tokens": tokens},
                    ),
                ],
                warm=True,
            )
            memory["two_workers_after_load"] = worker_memory(two.pid)
            # What the guides kept in memory are worth: every guide's rows from PostgreSQL.
            from_database = serve(
                ["api.cli", "serve"],
                computed_env
                | {"RONGBAN_PORT": str(ports["rows"]), "RONGBAN_GUIDE_CACHE_ENTRIES": "0"},
                ports["rows"],
            )
            started.append(from_database)
            run("guide from PostgreSQL", f"http://127.0.0.1:{ports['rows']}/graphql", **guide)
            stop(from_database)
            restarts = two_log.read_text(errors="replace").count("died")
            if restarts:
                results["guide signed in, 2 workers"].note += f"; {restarts} worker restarts"
            stop(two)
            memory["api_rss_after_reads_mib"] = rss(app.pid)
            edge = edge_checks(graphql, tokens[0])
            sql |= asyncio.run(
                count_sql(env, database, codes, tokens, words, service_code, residents)
            )
            # Writes: many residents, each request by a different one.
            submit_bodies = [
                gql(
                    SUBMIT,
                    {"serviceCode": service_code, "documentIds": list(r.documents)},
                    operationName="SubmitApplication",
                )
                for r in residents
            ]
            appeal_bodies = [
                gql(FILE_APPEAL, appeal_variables(n), operationName="FileAppeal")
                for n in range(len(residents))
            ]
            run(
                "submitApplication (closed loop)",
                graphql,
                method="POST",
                paths=["/graphql"],
                bodies=submit_bodies,
                tokens=tokens,
                check='"__typename":"Application"',
            )
            run(
                "fileAppeal (closed loop)",
                graphql,
                method="POST",
                paths=["/graphql"],
                bodies=appeal_bodies,
                tokens=tokens,
                check='"__typename":"Appeal"',
            )
            span = seconds(DURATION)
            results["submitApplication at 50/s"] = asyncio.run(
                at_rate(
                    "submitApplication at 50/s",
                    graphql,
                    50,
                    span,
                    lambda i: (tokens[i % len(tokens)], submit_bodies[i % len(tokens)]),
                    '"__typename":"Application"',
                )
            )
            results["fileAppeal at 20/s"] = asyncio.run(
                at_rate(
                    "fileAppeal at 20/s",
                    graphql,
                    20,
                    span,
                    lambda i: (tokens[i % len(tokens)], appeal_bodies[i % len(tokens)]),
                    '"__typename":"Appeal"',
                )
            )
            memory["api_rss_after_load_mib"] = rss(app.pid)
            for process in (computed, rest, bare):
                stop(process)

            # First search after start against the hundredth (fresh processes).
            def fresh() -> subprocess.Popen[bytes]:
                process = serve(["api.cli", "serve"], computed_env, ports["computed"])
                started.append(process)
                return process

            first_search = search_latencies(fresh, computed_url, words["pinyin"])
            stop(app)
        if PROFILE:
            profiles = asyncio.run(
                profile_all(env, database, codes, tokens, words, service_code, residents)
            )
    finally:
        for process in reversed(started):
            stop(process)
    abuse = (
        None if os.environ.get("RONGBAN_BENCH_ABUSE") == "0" else abuse_run(abuse_env, abuse_port)
    )
    rows, targets = tabulate(results, sql, first_search, memory)
    targets += [Target(name, 1.0 if met else 0.0, 1.0) for name, met in edge.items()]
    write_report(OUT, rows, targets, memory, first_search, machine(), profiles)
    (OUT / "results.json").write_text(
        json.dumps(
            {
                "results": [asdict(r) for r in results.values()],
                "sql_per_request": sql,
                "first_search": first_search,
                "memory": memory,
            },
            indent=1,
            ensure_ascii=False,
        )
    )
    if abuse is not None:
        print_report(abuse)
        (OUT / "abuse.json").write_text(json.dumps(as_dict(abuse), indent=1))
    print(
        f"\nwritten: {OUT / 'report.md'}, {OUT / 'report.png'}"
        + (f", {OUT / 'profile.md'}" if PROFILE else "")
    )


def warm_up(
    base: str,
    *,
    method: str,
    paths: Sequence[str],
    bodies: Sequence[str] | None = None,
    tokens: Sequence[str] | None = None,
    check: str | None = None,
) -> None:
    """The scenario's first requests once before it is measured: what a process does once
    (an index, a connection, a first look-up) is measured apart (the first search)."""
    if check:
        return  # writes: every request counts
    root = httpx.URL(base).copy_with(path="/", query=None)
    with httpx.Client(base_url=str(root), timeout=120) as client:
        for n in range(3):
            token = (tokens or [""])[n % len(tokens or [""])]
            body = (bodies or [""])[n % len(bodies or [""])]
            client.request(
                method,
                paths[n % len(paths)],
                content=body.encode() or None,
                headers={"content-type": "application/json"}
                | ({"authorization": f"Bearer {token}"} if token else {}),
            ).raise_for_status()


def wait_for_workers(log: Path, count: int, timeout: float = 180) -> bool:
    """Until `count` workers have started their application (uvicorn answers as soon as one
    has), then two quiet seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count("ready: process ") >= count:
            time.sleep(2)
            return True
        time.sleep(0.5)
    print(f"  {count} workers did not start within {timeout:.0f} s: see {log}", flush=True)
    return False


def edge_checks(graphql: str, token: str) -> dict[str, bool]:
    """What a mobile network and a CDN see: compression of answers over 1 KB, an anonymous
    catalogue read over GET cacheable with an ETag that answers 304, signed-in ones private."""
    guide = {"query": GUIDE, "variables": {"code": "x"}}
    with httpx.Client(timeout=30) as client:
        page = client.post(graphql, json={"query": PAGE}, headers={"accept-encoding": "gzip, br"})
        size = len(client.post(graphql, json={"query": PAGE}).content)
        get = client.get(graphql, params={"query": PAGE})
        tag = get.headers.get("etag")
        again = client.get(
            graphql, params={"query": PAGE}, headers={"if-none-match": tag} if tag else {}
        )
        signed = client.post(graphql, json=guide, headers={"authorization": f"Bearer {token}"})
    control = signed.headers.get("cache-control", "")
    return {
        f"an answer of {size} bytes is compressed when the client accepts it": size <= 1024
        or page.headers.get("content-encoding") in ("gzip", "br"),
        "anonymous catalogue GET carries Cache-Control public and an ETag": "public"
        in get.headers.get("cache-control", "")
        and bool(tag),
        "If-None-Match with that ETag answers 304": again.status_code == 304,
        "signed-in answers are private, no-store": "private" in control and "no-store" in control,
    }


def appeal_variables(n: int) -> dict[str, Any]:
    return {
        "kind": "COMPLAINT",
        "categoryCode": "0101",
        "content": f"{APPEAL_CONTENT}（第{n}次反映）",
        "location": {"lat": 30.6570, "lng": 104.0800},
        "regionCode": CHUNXI_STREET,
        "address": "春熙路与总府路交叉口",
        "documentIds": [],
    }


async def guide_codes(database: str) -> list[str]:
    """Every published guide's code, in a shuffled but fixed order."""
    connection = await asyncpg.connect(database.replace("postgres://", "postgresql://", 1))
    try:
        rows = await connection.fetch(
            "SELECT code FROM implementation WHERE status = 'PUBLISHED' ORDER BY md5(code)"
        )
    finally:
        await connection.close()
    return [row["code"] for row in rows]


async def hygiene_code(database: str) -> str:
    connection = await asyncpg.connect(database.replace("postgres://", "postgresql://", 1))
    try:
        code = await connection.fetchval(
            "SELECT i.code FROM implementation i JOIN base_item b ON b.id = i.base_id "
            "JOIN region g ON g.id = i.region_id WHERE b.basic_code = $1 AND g.code = $2 "
            "AND i.status = 'PUBLISHED'",
            HYGIENE_BASIC_CODE,
            HYGIENE_REGION,
        )
    finally:
        await connection.close()
    return str(code)


def guide_check(graphql: str, code: str) -> None:
    answer = httpx.post(graphql, json={"query": GUIDE, "variables": {"code": code}}).json()
    if answer.get("errors") or not answer["data"]["service"]:
        raise SystemExit(f"the guide query fails: {answer}")


IDLE_SECONDS = 0.5


def search_latencies(
    start: Callable[[], subprocess.Popen[bytes]], url: str, words: Sequence[str]
) -> dict[str, Any]:
    """The first search a fresh process answers against its hundredth, like for like: each
    keyword's first search costs more than its repeats (its cards are then kept), and
    keywords differ in how much they match. So fresh processes each answer 100 searches, the
    first and the hundredth by two keywords that no other search in between uses, in pairs:
    one process asks `a` first and `b` hundredth, the next the reverse (then `c` and `d`
    likewise). "first" is the median of the first searches, "hundredth" the median of the
    hundredths: the same keywords, each seen for the first time by its process, cold against
    warm. One search is one sample, and on a shared machine one in a few is slowed by
    something else entirely (34 ms once, against 12-16 ms in the runs beside it), so the
    verdict rests on four processes' medians, not on two searches. Both follow the same pause
    (`IDLE_SECONDS`): on a virtual machine any request after 50 ms or more of idling costs
    about 2 ms more CPU than one right after another (its caches were lost to the host),
    which is the machine's, not what a start left undone. Searches are sent as the
    mini-program sends them (its registered operation); one that fails is kept with its
    latency and its error code."""
    a, b, c, d, *between = words
    pairs = [(a, b), (b, a), (c, d), (d, c)]
    firsts, hundredths, errors = [], [], []
    for order in pairs:
        process = start()
        try:
            latencies = []
            with httpx.Client(timeout=120) as client:
                for n in range(100):
                    word = (
                        order[0] if n == 0 else order[1] if n == 99 else between[n % len(between)]
                    )
                    if n in (0, 99):
                        time.sleep(IDLE_SECONDS)
                    body = {
                        "query": MINI_PROGRAM_SEARCH,
                        "operationName": "SearchServices",
                        "variables": {"keyword": word, "first": 20},
                    }
                    began = time.perf_counter()
                    answer = client.post(url, json=body)
                    latencies.append((time.perf_counter() - began) * 1000)
                    if answer.status_code != 200 or answer.json().get("errors"):
                        codes = [
                            e.get("extensions", {}).get("code") for e in answer.json()["errors"]
                        ]
                        errors.append(
                            f"search {n + 1}: {answer.status_code} {', '.join(map(str, codes))}"
                        )
        finally:
            stop(process)
        firsts.append(latencies[0])
        hundredths.append(latencies[99])
    return {
        "first_ms": statistics.median(firsts),
        "hundredth_ms": statistics.median(hundredths),
        "firsts_ms": firsts,
        "hundredths_ms": hundredths,
        "keywords": sorted({word for pair in pairs for word in pair}),
        "errors": errors,
    }


# -- statements per request and profiles (in-process)


def _cases(
    codes: Sequence[str],
    tokens: Sequence[str],
    words: dict[str, list[str]],
    service_code: str,
    residents: Sequence[Resident],
) -> dict[str, list[tuple[str, prof.Send]]]:
    """What each app answers, keyed by the app: `app` (default settings), `computed` (no
    response cache) and `rest`."""

    def post(
        body: Callable[[int], dict[str, Any]], token: Callable[[int], str] | None = None
    ) -> prof.Send:
        return lambda i: (
            "POST",
            "/graphql",
            body(i),
            {"authorization": f"Bearer {token(i)}"} if token else {},
        )

    def get(path: Callable[[int], str], token: Callable[[int], str] | None = None) -> prof.Send:
        return lambda i: (
            "GET",
            path(i),
            None,
            {"authorization": f"Bearer {token(i)}"} if token else {},
        )

    def resident(i: int) -> str:
        return tokens[i % len(tokens)]

    def code(i: int) -> str:
        return codes[(i * 7) % len(codes)]

    def search(values: list[str]) -> Callable[[int], dict[str, Any]]:
        return lambda i: {"query": SEARCH, "variables": {"keyword": values[i % len(values)]}}

    def rest_search(values: list[str]) -> Callable[[int], str]:
        return lambda i: f"/rest/search?q={quote(values[i % len(values)])}&limit=20"

    return {
        "app": [
            ("page cached", post(lambda i: {"query": PAGE})),
            (
                "guide signed in",
                post(lambda i: {"query": GUIDE, "variables": {"code": code(i)}}, resident),
            ),
            (
                "submitApplication (closed loop)",
                post(
                    lambda i: {
                        "query": SUBMIT,
                        "operationName": "SubmitApplication",
                        "variables": {
                            "serviceCode": service_code,
                            "documentIds": list(residents[i % len(residents)].documents),
                        },
                    },
                    resident,
                ),
            ),
            (
                "fileAppeal (closed loop)",
                post(
                    lambda i: {
                        "query": FILE_APPEAL,
                        "operationName": "FileAppeal",
                        "variables": appeal_variables(i),
                    },
                    resident,
                ),
            ),
        ],
        "computed": [
            ("guide uncached", post(lambda i: {"query": GUIDE, "variables": {"code": code(i)}})),
            *[(f"search {kind}", post(search(values))) for kind, values in words.items()],
        ],
        "rest": [
            ("REST page", get(lambda i: "/rest/services?region=510104&limit=20")),
            ("REST guide", get(lambda i: f"/rest/services/{code(i)}")),
            ("REST guide signed in", get(lambda i: f"/rest/me/services/{code(i)}", resident)),
            *[(f"REST search {kind}", get(rest_search(values))) for kind, values in words.items()],
        ],
    }


def _in_process_apps(env: dict[str, str]) -> dict[str, Any]:
    from api.app import create_app
    from api.logging import configure_logging
    from tests.perf.rest_baseline import create_baseline

    os.environ.update(env)
    configure_logging("WARNING")  # the timers' process: no log lines of its own on the terminal
    settings = Settings()
    return {
        "app": lambda: create_app(settings),
        "computed": lambda: create_app(settings.model_copy(update={"response_cache": False})),
        "rest": create_baseline,
    }


async def count_sql(
    env: dict[str, str],
    database: str,
    codes: Sequence[str],
    tokens: Sequence[str],
    words: dict[str, list[str]],
    service_code: str,
    residents: Sequence[Resident],
) -> dict[str, float]:
    """Statements per request of each scenario, counted on the asyncpg connections of an
    in-process app on the same database."""
    counts: dict[str, float] = {}
    apps = _in_process_apps(env)
    for key, cases in _cases(codes, tokens, words, service_code, residents).items():
        for profile in await prof.run_cases(
            apps[key](), cases, database_url=database, detail=False
        ):
            counts[profile.name] = profile.split.statements
    return counts


async def profile_all(
    env: dict[str, str],
    database: str,
    codes: Sequence[str],
    tokens: Sequence[str],
    words: dict[str, list[str]],
    service_code: str,
    residents: Sequence[Resident],
) -> list[prof.CaseProfile]:
    profiles = []
    apps = _in_process_apps(env)
    for key, cases in _cases(codes, tokens, words, service_code, residents).items():
        profiles += await prof.run_cases(apps[key](), cases, database_url=database, detail=True)
    for case in profiles:
        print("\n" + prof.format_case(case), flush=True)
    return profiles


# -- the table


# Bare Starlette once more, in turns with the guides: the ratio of the uncached guide to the
# machine's ceiling is taken within each round, like every target comparing two scenarios.
BARE_BESIDE_GUIDES = "bare Starlette, beside the guides"


def tabulate(
    results: dict[str, Result],
    sql: dict[str, float],
    first_search: dict[str, Any],
    memory: dict[str, Any],
) -> tuple[list[Row], list[Target]]:
    first_bare = results["bare Starlette"]
    beside = results.get(BARE_BESIDE_GUIDES, first_bare)

    def bare_of(result: Result) -> float:
        """The bare Starlette of the result's own rounds, else the first one."""
        turns = result.extra.get("turns")
        same = turns is not None and turns == beside.extra.get("turns")
        return (beside if same else first_bare).requests_per_second

    baseline = {
        "page cached": "REST page",
        "guide uncached": "REST guide",
        "guide from PostgreSQL": "REST guide",
        "guide signed in": "REST guide signed in",
        "guide signed in, 2 workers": "REST guide signed in",
        **{f"search {k}": f"REST search {k}" for k in ("Chinese", "pinyin", "initials")},
    }
    sql_of = {
        "guide signed in, 2 workers": "guide signed in",
        "guide from PostgreSQL": "guide uncached",
        "submitApplication at 50/s": "submitApplication (closed loop)",
        "fileAppeal at 20/s": "fileAppeal (closed loop)",
    }
    rows = []
    for name, result in results.items():
        rest = results.get(baseline.get(name, ""))
        rows.append(
            Row(
                name,
                result.requests_per_second,
                result.p50_ms,
                result.p99_ms,
                result.requests_per_second / rest.requests_per_second if rest else None,
                result.requests_per_second / bare_of(result),
                sql.get(sql_of.get(name, name)),
                result.failed,
                result.extra.get("cores"),
            )
        )

    def ratio(name: str, other: str) -> float:
        return paired_ratio(results[name], results[other])

    guide = "guide uncached"
    targets = [
        Target("cached page >= 0.8x bare Starlette", ratio("page cached", "bare Starlette"), 0.8),
        Target("uncached guide >= 1.5x REST guide", ratio(guide, "REST guide"), 1.5),
        Target("uncached guide >= 0.15x bare Starlette", ratio(guide, BARE_BESIDE_GUIDES), 0.15),
        Target("signed-in guide >= 0.7x uncached guide", ratio("guide signed in", guide), 0.7),
        *[
            Target(f"{kind} search >= 0.5x uncached guide", ratio(f"search {kind}", guide), 0.5)
            for kind in ("Chinese", "pinyin", "initials")
        ],
        Target(
            "first search after start as fast as the hundredth (hundredth/first >= 0.67)",
            first_search["hundredth_ms"] / first_search["first_ms"]
            if not first_search["errors"]
            else 0.0,
            0.67,
        ),
        Target(
            "2 workers >= 1.7x 1 worker (signed-in guide)",
            ratio("guide signed in, 2 workers", "guide signed in"),
            1.7,
        ),
    ]
    submit, appeal = results["submitApplication at 50/s"], results["fileAppeal at 20/s"]
    targets += [
        Target(
            "submitApplication sustains 50/s (achieved/50, no failures)",
            submit.requests_per_second / 50 if not submit.failed else 0.0,
            0.97,
        ),
        Target("submitApplication p99 <= 300 ms at 50/s (300/p99)", 300 / submit.p99_ms, 1.0),
        Target(
            "fileAppeal sustains 20/s (achieved/20, no failures)",
            appeal.requests_per_second / 20 if not appeal.failed else 0.0,
            0.97,
        ),
    ]
    after = memory.get("api_rss_after_load_mib")
    if after:
        targets.append(Target("API RSS after the load <= 400 MiB (400/RSS)", 400 / after, 1.0))
    workers = memory.get("two_workers_after_load") or []
    if len(workers) >= 2:
        extra = sorted(w["uss"] for w in workers)[0]
        targets.append(Target("second worker adds <= 150 MiB USS (150/USS)", 150 / extra, 1.0))
    return rows, targets


def machine() -> str:
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {mib(psutil.virtual_memory().total) / 1024:.0f} GiB, "
        f"Python {platform.python_version()}, wrk -t1 -c{CONNECTIONS} -d{DURATION}"
    )


# -- abuse (default limits)


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
        stop(server)


if __name__ == "__main__":
    main()
