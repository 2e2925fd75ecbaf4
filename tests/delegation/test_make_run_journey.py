"""`python -m mock_wechat.journey --journey delegation` beside `make run` (embedded mode), over
real HTTP: it exits 0 when every step answers as expected, and non-zero when one does not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from mock_wechat.client import MiniProgram
from mock_wechat.people import phone_of

ROOT = Path(__file__).resolve().parents[2]


def _journey(api: str, mock: str, user: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RONGBAN_")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mock_wechat.journey",
            "--api",
            api,
            "--wechat",
            mock,
            "--user",
            user,
            "--journey",
            "delegation",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_delegation_journey_runs_beside_make_run(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server

    done = _journey(api, mock, "delegation-principal")

    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert "grantDelegation     -> Delegation PENDING" in lines
    assert "acceptDelegation    -> ACTIVE inForce=True" in lines
    assert "submitApplicationAsAgent -> Application SUBMITTED" in lines
    assert "myApplications (principal) -> the agent's application is theirs" in lines
    assert "revokeDelegation    -> REVOKED (GRANTED, ACCEPTED, SUBMITTED, REVOKED)" in lines
    assert "submitApplicationAsAgent -> DELEGATION_NOT_IN_FORCE" in lines
    assert "confirmTvSignIn     -> 客厅电视" in lines
    assert "submitApplication (TV) -> FORBIDDEN" in lines


async def test_a_failing_step_exits_non_zero(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server
    # Someone else already holds the agent's phone: the agent cannot bind it, so the
    # delegation goes to that other account and never reaches the agent.
    async with (
        httpx.AsyncClient(base_url=api, timeout=30) as api_client,
        httpx.AsyncClient(base_url=mock) as phone,
    ):
        squatter = MiniProgram(api_client, phone, "delegation-squatter")
        await squatter.login()
        bound = await squatter.bind_phone(phone_of("delegation-blocked-agent"))
        assert bound["__typename"] == "Account", bound

    done = _journey(api, mock, "delegation-blocked")

    assert done.returncode == 1
    assert "delegation journey failed at myDelegations" in done.stderr
