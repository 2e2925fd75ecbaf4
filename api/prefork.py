"""Several API processes behind one port, forked from a parent that has already loaded the
app: gunicorn's arbiter (restarts a worker that dies, graceful reloads on HUP, timeouts)
with uvicorn's worker. What the parent loads (modules, the schema, jieba's and pypinyin's
dictionaries) is shared copy-on-write by every worker instead of loaded once per worker
as uvicorn's own `--workers` does (it spawns fresh interpreters).

Each worker listens on a socket of its own bound to the public address with SO_REUSEPORT,
so that the kernel spreads connections evenly over the workers. On one shared listening
socket (gunicorn's and uvicorn's way) whichever worker wakes first accepts: measured here,
one worker took every one of 16 keep-alive connections while the other idled. The arbiter
itself listens only on a private Unix socket that no client knows."""

from __future__ import annotations

import gc
import logging
import os
import socket
import tempfile
from typing import Any, ClassVar

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from starlette.applications import Starlette
from uvicorn_worker import UvicornWorker

from api.app import create_app, serving
from api.transport import OneWritePerResponse
from resolvers.appeals import keywords as appeal_keywords
from resolvers.catalogue import service as catalogue_service
from resolvers.settings import Settings

log = logging.getLogger(__name__)


# The public address, set in the parent before it forks.
_PUBLIC: tuple[str, int] | None = None


def _listener(host: str, port: int, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(False)
    return sock


class RongbanWorker(UvicornWorker):  # type: ignore[misc]
    sockets: list[Any]

    def init_process(self) -> None:
        # This worker's own listening socket in place of the arbiter's private one.
        assert _PUBLIC is not None
        for inherited in self.sockets:
            inherited.close()
        self.sockets = [_listener(*_PUBLIC, backlog=self.cfg.backlog)]
        super().init_process()

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "auto",
        "http": OneWritePerResponse,
        "lifespan": "on",
        # X-Forwarded-For is resolved by the app itself (api/middleware.py ClientAddress),
        # believed only from RONGBAN_TRUSTED_PROXIES.
        "proxy_headers": False,
        # api.middleware.Observed writes the access log, bearer material redacted.
        "access_log": False,
        "server_header": False,
        "date_header": False,
    }


def _child_exit(_server: Any, worker: Any) -> None:
    # A dead worker's metric files are merged into the totals, then its live gauges dropped.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


class _Arbiter(Arbiter):  # type: ignore[misc]
    def handle_int(self) -> None:
        # Ctrl-C (or a supervisor's SIGINT) stops as gracefully as SIGTERM: gunicorn's own
        # quick stop leaves uvicorn's workers to be killed after the graceful timeout.
        self.handle_term()


class PreforkServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        global _PUBLIC
        settings = self.settings
        _PUBLIC = (settings.host, settings.port)
        private = os.path.join(tempfile.mkdtemp(prefix="rongban-arbiter-"), "arbiter.sock")
        options: dict[str, Any] = {
            "bind": [f"unix:{private}"],
            "workers": settings.workers,
            "worker_class": f"{RongbanWorker.__module__}.{RongbanWorker.__qualname__}",
            "preload_app": True,
            # A worker that stops answering its heartbeat for this long is replaced.
            "timeout": 60,
            "graceful_timeout": 30,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "child_exit": _child_exit,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Starlette:
        app = create_app(self.settings)
        catalogue_service.load_dictionaries()
        appeal_keywords.load()
        # Everything loaded so far lives as long as the process: kept out of the collector's
        # generations, so that a collection in a worker does not write to (and so copy)
        # the pages it shares with the parent.
        gc.collect()
        gc.freeze()
        log.info("app loaded in the parent; forking %d workers", self.settings.workers)
        # And in each worker, what its lifespan then loads (pools, the search index).
        return serving(app)


def serve(settings: Settings) -> None:
    _Arbiter(PreforkServer(settings)).run()
