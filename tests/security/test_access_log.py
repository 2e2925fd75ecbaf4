"""The access log never holds bearer material: a /files/<token> link (the token alone downloads
the file) is logged as /files/<redacted>, presigned-style query credentials as <redacted>,
each request once, with its request id; uvicorn's own access log, which printed the whole
URL, is off, in the app and in `rongban serve`."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
import pytest

import api.cli
from tests.conftest import ROOT, RunningApp, ServiceLog, loopback
from tests.documents.conftest import pdf, signed_in
from tests.processes import free_port
from tests.security.conftest import assert_one_record_per_line

HEX64 = "0123456789abcdef" * 4
# A presigned GET as S3 / MinIO / COS make them, and the usual token-bearing parameters.
CREDENTIALS = {
    "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20260101/cn-southwest-1/s3/aws4_request",
    "X-Amz-Signature": "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
    "X-Amz-Security-Token": "FQoGZXIvYXdzEXAMPLESESSIONTOKEN",
    "q-signature": "cos-signature-0123456789",
    "token": "session-token-abcdef",
    "access_token": "wechat-access-token-777",
    "code": "one-time-code-4242",
    "signature": "plain-signature-31337",
    "api_key": "open311-key-99999",
}
HARMLESS = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Expires": "300", "page": "2"}


def _access_lines(output: str, request_id: str) -> list[str]:
    return [line for line in output.splitlines() if f"[{request_id}]" in line]


async def test_a_download_link_is_logged_without_its_token(
    running: RunningApp, wechat: httpx.AsyncClient, service_log: ServiceLog
) -> None:
    program = await signed_in(running, wechat, "a")
    uploaded = await program.upload_document("OTHER", "证明.pdf", "application/pdf", pdf())
    url = uploaded["confirm"]["downloadUrl"]
    token = urlsplit(url).path.removeprefix("/files/")
    sealed, _, signature = token.rpartition(".")

    response = await running.client.get(url)
    output = service_log()

    assert response.status_code == 200
    assert response.content == pdf()
    lines = _access_lines(output, response.headers["x-request-id"])
    assert len(lines) == 1
    assert '"GET /files/<redacted> HTTP/1.1" 200' in lines[0]
    assert token not in output
    assert sealed[:16] not in output
    assert signature not in output
    assert_one_record_per_line(output)


async def test_presigned_query_credentials_are_logged_as_redacted(
    running: RunningApp, service_log: ServiceLog
) -> None:
    query = urlencode({**HARMLESS, **CREDENTIALS}) + "&" + quote("X-Amz-Signature") + "=enc0ded"
    response = await running.client.get(
        f"/healthz?{query}", headers={"x-request-id": "req-0123456789abcdef"}
    )
    output = service_log()

    assert response.status_code == 200
    lines = _access_lines(output, "req-0123456789abcdef")
    assert len(lines) == 1
    for name, value in CREDENTIALS.items():
        assert value not in output, name
        assert f"{name}=<redacted>" in lines[0], name
    assert "enc0ded" not in output
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&page=2" in lines[0]


async def test_a_failing_request_is_logged_once_with_its_status(
    running: RunningApp, service_log: ServiceLog
) -> None:
    response = await running.client.get(f"/files/c2VhbGVkc2VhbGVkc2VhbGVk.{HEX64}?token=x1y2")
    output = service_log()

    lines = _access_lines(output, response.headers["x-request-id"])
    assert len(lines) == 1
    assert '"GET /files/<redacted>?token=<redacted> HTTP/1.1" 403' in lines[0]
    assert "c2VhbGVk" not in output
    assert "x1y2" not in output


def test_uvicorn_access_log_is_off(
    settings: Any, service_log: ServiceLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: dict[str, Any] = {}
    monkeypatch.setattr("api.cli.uvicorn.run", lambda *args, **kwargs: ran.update(kwargs))

    api.cli.cmd_serve(settings)

    assert ran["access_log"] is False
    # configure_logging (what every worker runs) leaves uvicorn.access with no handler of
    # its own and no way to the root's, which is what makes uvicorn skip its access line
    # (pytest attaches its capture handler to every non-propagating logger: not counted).
    access = logging.getLogger("uvicorn.access")
    assert access.propagate is False
    assert [h for h in access.handlers if not type(h).__module__.startswith("_pytest")] == []


def _serve(database_url: str, folder: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("RONGBAN_")}
    env |= {
        "RONGBAN_DATABASE_URL": database_url,
        "RONGBAN_REDIS_URL": "memory://",
        "RONGBAN_STORAGE_URL": f"file://{folder}/objects",
        "RONGBAN_PORT": str(port),
    }
    log_path = folder / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if loopback.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base, log_path
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"`rongban serve` did not start:\n{log_path.read_text()}")
        time.sleep(0.2)


@pytest.mark.slow
def test_what_rongban_serve_writes(database_url: str, tmp_path: Path) -> None:
    """The whole chain as deployed: uvicorn, configure_logging, the app, on stderr."""
    process, base, log_path = _serve(database_url, tmp_path)
    forged = "SQ1\n2026-01-01 00:00:00,000 ERROR api.open311 [-] 张三 138-1234-5678"
    token = f"c2VhbGVkLXRva2VuLXRoYXQtb3BlbnMtYS1maWxl.{HEX64}"
    try:
        download = loopback.get(f"{base}/files/{token}")
        open311 = loopback.get(f"{base}/open311/v2/requests/{quote(forged)}.json")
        presigned = loopback.get(f"{base}/healthz?{urlencode({**HARMLESS, **CREDENTIALS})}")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    output = log_path.read_text()

    assert (download.status_code, open311.status_code, presigned.status_code) == (403, 400, 200)
    assert "c2VhbGVkLXRva2Vu" not in output
    for value in CREDENTIALS.values():
        assert value not in output
    assert "138-1234-5678" not in output
    assert "张三" not in output
    assert not any(line.startswith("2026-01-01") for line in output.splitlines())
    assert_one_record_per_line(output)
    for response in (download, open311, presigned):
        assert len(_access_lines(output, response.headers["x-request-id"])) == 1
    assert "Finished server process" in output  # nothing queued was lost at the end
