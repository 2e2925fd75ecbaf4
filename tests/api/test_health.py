"""/healthz and /readyz."""

from __future__ import annotations

from tests.conftest import RunningApp


async def test_healthz_says_alive(running: RunningApp) -> None:
    response = await running.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_everything_answers(running: RunningApp) -> None:
    response = await running.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "down": []}
