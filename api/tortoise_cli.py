"""For `python -m tortoise -c api.tortoise_cli.TORTOISE_ORM ...` (make migrations) only."""

from __future__ import annotations

import os

from resolvers.settings import DEV_DATABASE_URL
from storage.database import tortoise_config

TORTOISE_ORM = tortoise_config(os.environ.get("RONGBAN_DATABASE_URL", DEV_DATABASE_URL))
