"""/healthz and /readyz."""

from __future__ import annotations

from storage.cache import create_redis
from storage.objects import S3Store
from tests.conftest import RunningApp, start_app


async def test_healthz_says_alive(running: RunningApp) -> None:
    response = await running.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_everything_answers(running: RunningApp) -> None:
    response = await running.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "down": []}


async def test_readyz_names_redis_when_it_is_down(settings_factory, mock_state) -> None:
    async for running in start_app(settings_factory()):
        await running.resources.redis.aclose()
        running.resources.redis = create_redis("redis://127.0.0.1:1/0")  # nothing listens there

        response = await running.client.get("/readyz")

        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "down": ["redis"]}


async def test_readyz_names_storage_when_it_is_down(settings_factory, mock_state) -> None:
    async for running in start_app(settings_factory()):
        running.resources.objects = S3Store(
            endpoint="http://127.0.0.1:1",
            public_endpoint=None,
            bucket="documents",
            region="cn-chengdu-1",
            access_key="x",
            secret_key="y",
            timeout=0.5,
        )

        response = await running.client.get("/readyz")

        assert response.status_code == 503
        assert response.json()["down"] == ["storage"]
