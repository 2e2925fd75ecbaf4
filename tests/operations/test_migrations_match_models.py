"""The migrations describe the models: a model changed without `make migrations` would run
in every test (tests build their schema from the models) and fail only on a database that
`rongban migrate` set up, in production."""

from __future__ import annotations

from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from storage.database import tortoise_config


async def test_make_migrations_would_write_nothing() -> None:
    # What `make migrations` compares: the state the migration files build against the
    # models (an in-memory database: nothing is read from it).
    config = tortoise_config("sqlite://:memory:")
    async with tortoise_cli_context(config) as context:
        assert context.apps is not None
        pending = await MigrationAutodetector(context.apps, config["apps"]).changes()

    missing = [operation.describe() for migration in pending for operation in migration.operations]
    assert not missing, f"models changed without a migration (make migrations): {missing}"
