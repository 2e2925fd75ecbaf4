"""The upload journey of API.md through `make run` (embedded mode, local-folder store), over
real HTTP as the mini-program does it."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from mock_wechat.client import MiniProgram
from mock_wechat.journey import DEMO_JPEG, document_journey


async def test_make_run_serves_the_upload_journey(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server
    async with (
        httpx.AsyncClient(base_url=api) as api_client,
        httpx.AsyncClient(base_url=mock) as phone,
    ):
        program = MiniProgram(api_client, phone, "uploader")
        await program.login()

        steps = await document_journey(program)
        wallet = await program.my_documents()
        download = await api_client.get(wallet["edges"][0]["node"]["downloadUrl"])

    assert steps[1] == "wx.uploadFile         -> HTTP 204"
    assert steps[2] == "confirmDocumentUpload -> Document AVAILABLE"
    assert download.status_code == 200
    # The same picture, stored re-encoded without its metadata.
    stored = Image.open(io.BytesIO(download.content))
    assert stored.size == Image.open(io.BytesIO(DEMO_JPEG)).size
    assert stored.format == "JPEG"
