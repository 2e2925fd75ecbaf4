"""The ASGI entry point uvicorn imports in each worker process."""

from __future__ import annotations

import os

from starlette.applications import Starlette

from api.app import create_app, serving
from api.cli import load_settings
from api.logging import configure_logging


def create_app_from_env() -> Starlette:
    configure_logging(
        os.environ.get("RONGBAN_LOG_LEVEL", "INFO"), os.environ.get("RONGBAN_LOG_FORMAT", "text")
    )
    return serving(create_app(load_settings()))
