"""No response, log line or database column holds a session_key, raw phone or raw ID number."""

from __future__ import annotations

import logging

import httpx
import pytest
from tortoise import connections

from api.logging import quiet_chatty_libraries
from mock_wechat.client import MiniProgram
from mock_wechat.people import DEMO_ID_NUMBER, DEMO_NAME, DEMO_PHONE
from mock_wechat.server import MockState
from tests.conftest import APP_SECRET, RunningApp

SMS_PHONE = "13600000000"


async def test_the_journeys_leave_no_personal_data_behind(
    running: RunningApp,
    wechat: httpx.AsyncClient,
    mock_state: MockState,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, as an operator switching to DEBUG would
    quiet_chatty_libraries()  # the service's log policy, as configure_logging applies it
    bodies: list[str] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        bodies.append(response.text)

    running.client.event_hooks["response"].append(keep)
    program = MiniProgram(running.client, wechat, "privacy-user")

    await program.login()
    await program.bind_phone(DEMO_PHONE)
    await program.verify_identity(DEMO_NAME, DEMO_ID_NUMBER)
    await program.me()
    await program.refresh()
    await running.gql.data(
        f'mutation {{ requestSmsCode(input: {{phone: "{SMS_PHONE}"}}) {{ __typename }} }}'
    )
    code = mock_state.sms[-1]["params"]["code"]
    await running.gql.data(
        f'mutation {{ loginWithSms(input: {{phone: "{SMS_PHONE}", code: "{code}"}}) {{ __typename }} }}'
    )
    session_key = mock_state.session_keys["privacy-user"]
    secrets = [session_key, DEMO_PHONE, SMS_PHONE, DEMO_ID_NUMBER, DEMO_NAME, APP_SECRET, code]

    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''} {record.args!r}"
        for record in caplog.records
        if not record.name.startswith("uvicorn")  # the mock WeChat server's own access log
    )
    stored = repr(
        [
            await connections.get("default").execute_query_dict(f"SELECT * FROM {table}")
            for table in ("account", "identity_verification", "audit_event")
        ]
    )
    for secret in secrets:
        assert secret not in logged, f"logged: {secret}"
        assert secret not in stored, f"stored in clear: {secret}"
    for secret in (session_key, DEMO_PHONE, SMS_PHONE, DEMO_ID_NUMBER, DEMO_NAME, APP_SECRET):
        assert all(secret not in body for body in bodies), f"returned: {secret}"
    assert len(bodies) == 8  # every step above was seen (verifying the identity takes two)
