"""Persistent state: models, migrations, repositories, object storage and Redis."""
