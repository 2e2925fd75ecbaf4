"""The abuse scenario of `make bench`: eight clients send the heaviest queries the limits allow
(aliases varied to miss the cache) and flood WebSocket subscriptions, while one normal client
reads `{ me { id } }` and the catalogue page. Reports the normal client's latencies against
its own unloaded figures, measured in the same run."""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import subprocess
import time
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from httpx_ws import aconnect_ws

ATTACKERS = 8
ROUNDS = 200
# A normal client's pace: five rounds a second, well inside one principal's budget (a
# client sending back to back is a heavy client, and is throttled as one).
PACE_SECONDS = 0.2
# Just under RONGBAN_MAX_QUERY_COST (20,000 by default): three pages of up to 50 services,
# each with its guide's lists (60 materials, 50 FAQs at most), priced 3 x 5,651. Region and
# page size vary per request (REGION, SIZE), so the response cache cannot answer them.
PAGE_OF_GUIDES = (
    'services(filter: {regionCode: "REGION"}, first: SIZE) { nodes { code name '
    "materials { name } faqs { question } department { name } } }"
)
HEAVY = "{ " + " ".join(f"a{n}: {PAGE_OF_GUIDES}" for n in range(3)) + " }"
ME = "{ me { id } }"


@dataclass
class Latencies:
    name: str
    p50_ms: float
    p99_ms: float
    errors: int
    codes: dict[str, int]  # the errors by extensions.code (or HTTP status)


@dataclass
class AbuseReport:
    unloaded: list[Latencies]
    loaded: list[Latencies]
    attack_requests: int
    attack_refused: int
    sockets_open: int
    sockets_refused: int

    def worst_p50_ratio(self) -> float:
        return max(
            after.p50_ms / max(before.p50_ms, 0.001)
            for before, after in zip(self.unloaded, self.loaded, strict=True)
        )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _normal_client(graphql: str, token: str, page: str) -> list[Latencies]:
    timings: dict[str, list[float]] = {"me": [], "page": []}
    errors = {"me": 0, "page": 0}
    codes: dict[str, Counter[str]] = {"me": Counter(), "page": Counter()}
    headers = {"x-forwarded-for": "198.51.100.200"}
    async with httpx.AsyncClient(timeout=30, headers=headers) as client:
        for _ in range(ROUNDS):
            round_started = time.perf_counter()
            for name, body, auth in (
                ("me", {"query": ME}, {"authorization": f"Bearer {token}"}),
                ("page", {"query": page}, {}),
            ):
                started = time.perf_counter()
                response = await client.post(graphql, json=body, headers=auth)
                timings[name].append((time.perf_counter() - started) * 1000)
                found = response.json().get("errors") if response.status_code < 500 else None
                if response.status_code != 200 or found:
                    errors[name] += 1
                    code = (found or [{}])[0].get("extensions", {}).get("code")
                    codes[name][str(code or response.status_code)] += 1
            await asyncio.sleep(max(0.0, PACE_SECONDS - (time.perf_counter() - round_started)))
    return [
        Latencies(
            name,
            statistics.median(values),
            _percentile(values, 0.99),
            errors[name],
            dict(codes[name]),
        )
        for name, values in timings.items()
    ]


def _attack_script(folder: Path, regions: list[str]) -> Path:
    """wrk's request generator: the heavy query for another region and page size each time,
    from one of eight client addresses (a trusted proxy in front passes them on)."""
    script = folder / "abuse.lua"
    template = json.dumps({"query": HEAVY})
    lua_regions = "{" + ",".join(json.dumps(code) for code in regions) + "}"
    script.write_text(
        f"""
local template = {json.dumps(template)}
local regions = {lua_regions}
local counter = 0
request = function()
  counter = counter + 1
  local body = string.gsub(template, "REGION", function()
    return regions[math.random(#regions)]
  end)
  body = string.gsub(body, "SIZE", function() return tostring(math.random(40, 50)) end)
  local headers = {{}}
  headers["Content-Type"] = "application/json"
  headers["X-Forwarded-For"] = "203.0.113." .. (counter % {ATTACKERS} + 1)
  return wrk.format("POST", nil, headers, body)
end
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  refused = 0
end
function response(status, headers, body)
  if status ~= 200 then refused = refused + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("refused") end
  io.write(string.format("attack-refused %d\\n", total))
end
"""
    )
    return script


async def _subscription_flood(ws_url: str, tokens: list[str]) -> tuple[int, int]:
    """Every attacker account opens sockets until refused, each with as many subscriptions
    as a socket takes; returns (sockets kept open, sockets refused)."""
    opened = refused = 0
    stack = AsyncExitStack()
    client = httpx.AsyncClient(timeout=10)
    await stack.enter_async_context(client)
    try:
        for token in tokens:
            for _ in range(8):
                try:
                    ws: Any = await stack.enter_async_context(
                        aconnect_ws(ws_url, client, subprotocols=["graphql-transport-ws"])
                    )
                    await ws.send_json(
                        {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                    )
                    first = await asyncio.wait_for(ws.receive_json(), 5)
                except Exception:
                    refused += 1
                    continue
                if first.get("type") != "connection_ack":
                    refused += 1
                    continue
                opened += 1
                for n in range(20):
                    await ws.send_json(
                        {
                            "id": str(n),
                            "type": "subscribe",
                            "payload": {"query": "subscription { accountEvents }"},
                        }
                    )
        await asyncio.sleep(3600)  # hold them until cancelled
    except asyncio.CancelledError:
        pass
    finally:
        await stack.aclose()
    return opened, refused


async def run_abuse(
    graphql: str,
    normal_token: str,
    attacker_tokens: list[str],
    page: str,
    regions: list[str],
    folder: Path,
) -> AbuseReport:
    # Warm the page into the cache, then measure the normal client alone.
    async with httpx.AsyncClient(timeout=30) as client:
        await client.post(graphql, json={"query": page})
    unloaded = await _normal_client(graphql, normal_token, page)

    ws_url = graphql.replace("http://", "ws://")
    flood = asyncio.create_task(_subscription_flood(ws_url, attacker_tokens))
    attack = await asyncio.create_subprocess_exec(
        "wrk",
        "-t1",
        f"-c{ATTACKERS}",
        "-d600s",
        "-s",
        str(_attack_script(folder, regions)),
        graphql,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    # Into the sustained attack the limits are for (each attacker's first burst, a minute's
    # budget, is spent within the first seconds).
    await asyncio.sleep(10)
    loaded = await _normal_client(graphql, normal_token, page)
    attack.send_signal(2)  # SIGINT: wrk prints its summary and the script's counts
    output = (await attack.communicate())[0].decode()
    flood.cancel()
    opened, refused = await flood
    requests = _first_int(output, r"(\d+) requests in")
    attack_refused = _first_int(output, r"attack-refused (\d+)")
    return AbuseReport(unloaded, loaded, requests, attack_refused, opened, refused)


def _first_int(text: str, pattern: str) -> int:
    found = re.search(pattern, text)
    return int(found.group(1)) if found else 0


def print_report(report: AbuseReport) -> None:
    print("\nabuse: 8 clients at the cost limit (aliases varied) + a subscription flood")
    print(
        f"{'normal client':<20}{'unloaded p50':>14}{'p99':>10}{'loaded p50':>14}{'p99':>10}"
        f"{'x p50':>8}{'errors':>8}"
    )
    for before, after in zip(report.unloaded, report.loaded, strict=True):
        print(
            f"{before.name:<20}{before.p50_ms:>14.2f}{before.p99_ms:>10.2f}{after.p50_ms:>14.2f}"
            f"{after.p99_ms:>10.2f}{after.p50_ms / max(before.p50_ms, 0.001):>8.2f}"
            f"{after.errors:>8}"
        )
    print(
        f"attack: {report.attack_requests} heavy requests, {report.attack_refused} refused "
        f"(throttled or over the caps); sockets kept {report.sockets_open}, refused "
        f"{report.sockets_refused}"
    )
    for after in report.loaded:
        if after.codes:
            print(f"  {after.name} errors by code: {after.codes}")
    ratio = report.worst_p50_ratio()
    errors = sum(latency.errors for latency in report.loaded)
    met = ratio <= 3.0 and errors == 0
    print(
        f"normal client p50 under abuse {ratio:.2f}x unloaded (target <= 3x, no errors): "
        f"{'met' if met else 'MISSED'}"
    )


def as_dict(report: AbuseReport) -> dict[str, Any]:
    return asdict(report)
