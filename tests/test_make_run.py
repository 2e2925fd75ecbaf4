"""`make run` end to end: a real process on embedded defaults, its mock WeChat server, and the
login journey over real HTTP, as a newcomer would try it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mock_wechat.client import MiniProgram
from mock_wechat.journey import login_journey
from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dev_server(tmp_path: Path):
    api_port, mock_port, sandbox_port = _free_port(), _free_port(), _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("RONGBAN_")} | {
        "PORT": str(api_port),
        "WECHAT_MOCK_PORT": str(mock_port),
        "PROVINCE_SANDBOX_PORT": str(sandbox_port),
        # The embedded defaults, only moved into this test's own folder.
        "RONGBAN_DATABASE_URL": f"sqlite://{tmp_path}/rongban.sqlite3",
        "RONGBAN_STORAGE_URL": f"file://{tmp_path}/objects",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "dev"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    api = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{api}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(
                f"`rongban dev` did not become ready:\n{process.stdout.read() if process.stdout else ''}"
            )
        time.sleep(0.25)
    yield api, f"http://127.0.0.1:{mock_port}"
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert "GraphQL API" in output  # it printed where everything is


async def test_make_run_serves_the_login_journey(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server
    async with (
        httpx.AsyncClient(base_url=api) as api_client,
        httpx.AsyncClient(base_url=mock) as phone,
    ):
        ready = await api_client.get("/readyz")
        steps = await login_journey(MiniProgram(api_client, phone, "newcomer"))
        staff = await api_client.post(
            "/graphql",
            json={
                "query": 'mutation { loginStaff(input: {username: "demo-admin", password: "rongban-demo"}) '
                "{ __typename } }"
            },
        )

    assert ready.json() == {"status": "ready", "down": []}
    assert steps[0] == "loginWithWeChat -> Session"
    assert steps[1] == "bindWeChatPhone -> Account 138****8000"
    assert steps[2].startswith("verifyIdentity  -> Account 张*")
    assert staff.json()["data"]["loginStaff"]["__typename"] == "Session"
