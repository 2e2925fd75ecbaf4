"""Fixtures of the wallet: sample files, a signed-in mini-program, moto's S3 server on
loopback, and a real ClamAV daemon with a test-only signature database."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import shutil
import socket
import subprocess
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from tortoise import connections

from mock_wechat.client import MiniProgram
from mock_wechat.server import MockState
from tests.conftest import RunningApp, loopback, start_app
from tests.processes import free_port

BUCKET = "rongban-documents-test"

# EICAR's test string in two halves, so that this repository does not carry it whole.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@functools.cache
def _picture(format: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 60, 30)).save(out, format=format)
    return out.getvalue()


def jpeg(size: int = 2048) -> bytes:
    """A real JPEG of about `size` bytes (decoders stop at its end marker; the rest pads)."""
    body = _picture("JPEG")
    return body + b"\x5a" * max(size - len(body), 0)


def png(size: int = 2048) -> bytes:
    """A real PNG of about `size` bytes (decoders stop at IEND; the rest pads)."""
    body = _picture("PNG")
    return body + b"\x00" * max(size - len(body), 0)


def pdf(size: int = 2048) -> bytes:
    body = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    return body + b" " * max(size - len(body) - 6, 0) + b"%%EOF\n"


def ofd(entry: str = "OFD.xml") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr(entry, '<?xml version="1.0"?><ofd:OFD Version="1.0"/>')
        package.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    return out.getvalue()


async def signed_in(running: RunningApp, wechat: httpx.AsyncClient, user: str) -> MiniProgram:
    # Uploads to the local store go to the app itself, through the same ASGI client.
    program = MiniProgram(running.client, wechat, user, uploads=running.client)
    await program.login()
    return program


@pytest.fixture
async def resident(running: RunningApp, wechat: httpx.AsyncClient) -> MiniProgram:
    return await signed_in(running, wechat, "resident")


async def staff_token(running: RunningApp) -> tuple[str, Any]:
    """Signs in a seeded department officer; returns the token and the account."""
    from storage.models.accounts import Account

    officer = await Account.filter(username__startswith="officer-").first()
    assert officer is not None
    assert officer.username is not None
    result = await running.gql.data(
        "mutation($u: String!, $p: String!) { loginStaff(input: {username: $u, password: $p}) "
        "{ ... on Session { token } } }",
        {"u": officer.username, "p": "demo-password-for-tests"},
    )
    return str(result["loginStaff"]["token"]), officer


async def count_rows(table: str) -> int:
    rows = await connections.get("default").execute_query_dict(
        f'SELECT COUNT(*) AS n FROM "{table}"'
    )
    return int(rows[0]["n"])


def objects_root(running: RunningApp) -> Path:
    root = running.settings.local_storage_path
    assert root is not None
    return root


def stored_files(root: Path) -> list[str]:
    """Every object the local store holds, as keys."""
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


async def post_form(
    client: httpx.AsyncClient, ticket: dict[str, Any], data: bytes, **changes: str
) -> httpx.Response:
    fields = {field["name"]: field["value"] for field in ticket["fields"]}
    fields.update(changes)
    return await client.post(
        ticket["url"], data=fields, files={"file": ("upload.bin", data, "application/octet-stream")}
    )


# -- moto's S3 server, once per session, reset before each test


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_settings(settings_factory: Any, moto_url: str) -> Any:
    loopback.post(f"{moto_url}/moto-api/reset").raise_for_status()

    def build(**overrides: Any) -> Any:
        values = {
            "storage_url": f"s3://{BUCKET}",
            "s3_endpoint": moto_url,
            "s3_region": "us-east-1",
            "s3_access_key": "rongban-test-access",
            "s3_secret_key": "rongban-test-secret",
        }
        values.update(overrides)
        return settings_factory(**values)

    return build


@pytest.fixture
async def s3_running(s3_settings: Any, mock_state: MockState) -> AsyncIterator[RunningApp]:
    async for running_app in start_app(s3_settings(s3_server_side_encryption=True)):
        yield running_app


# -- ClamAV


def _clamd_binary() -> str | None:
    return shutil.which("clamd") or next(
        (p for p in ("/usr/sbin/clamd", "/usr/local/sbin/clamd") if Path(p).exists()), None
    )


@contextmanager
def clamd(folder: Path, port: int) -> Iterator[str]:
    """A real clamd on loopback `port` with only our test signatures (no freshclam), until
    the block ends; its address."""
    binary = _clamd_binary()
    if binary is None:
        pytest.skip("ClamAV is not installed (apt-get install clamav-daemon; .ci/run does)")
    folder.mkdir(parents=True, exist_ok=True)
    # sigtool --md5 format (MD5:size:name) for the file itself, and a body signature for
    # the string anywhere in a file.
    (folder / "test.hdb").write_text(
        f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Rongban.Test.EICAR\n"
    )
    (folder / "test.ndb").write_text(f"Rongban.Test.EICAR.Body:0:*:{EICAR.hex()}\n")
    config = folder / "clamd.conf"
    config.write_text(
        f"TCPSocket {port}\nTCPAddr 127.0.0.1\nDatabaseDirectory {folder}\nForeground yes\n"
        f"LogFile {folder / 'clamd.log'}\nBytecode no\n"
    )
    process = subprocess.Popen(
        [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not _pong(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log = (folder / "clamd.log").read_text() if (folder / "clamd.log").exists() else ""
                pytest.fail(f"clamd did not start:\n{log}")
            time.sleep(0.2)
        yield f"tcp://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def clamd_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's clamd on a free loopback port."""
    with clamd(tmp_path_factory.mktemp("clamd"), free_port()) as address:
        yield address


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"zPING\0")
            return sock.recv(16).startswith(b"PONG")
    except OSError:
        return False


@pytest.fixture
async def scanning(
    settings_factory: Any, mock_state: MockState, clamd_address: str
) -> AsyncIterator[RunningApp]:
    """The app (local store) with the real ClamAV daemon as its scanner."""
    async for running_app in start_app(settings_factory(clamd_address=clamd_address)):
        yield running_app


async def gather(*calls: Any) -> list[Any]:
    return list(await asyncio.gather(*calls))
