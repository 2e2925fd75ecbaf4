"""Uploaded photos lose their metadata on confirmation: what is stored (and handed to staff
and to WeChat's image check) carries no GPS position, device, XMP or comment, stands upright,
and the record keeps the hash of what the resident actually sent."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from typing import Any

import httpx
from PIL import Image, PngImagePlugin

from storage.models.documents import Document, DocumentStatus, RejectionReason
from tests.conftest import RunningApp
from tests.documents.conftest import objects_root, signed_in, stored_files

DOCUMENT = (
    "query($id: ID!) { node(id: $id) { ... on Document { "
    "size sha256 originalSha256 downloadUrl } } }"
)
GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION, DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="30,39.42N"/></rdf:RDF></x:xmpmeta>'
)


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "Google"
    exif[MODEL] = "Pixel 8 Pro"
    exif[DATETIME] = "2026:03:01 08:15:00"
    exif[ORIENTATION] = orientation
    # 春熙路, where the resident lives: exactly what must not travel with the photo.
    exif[GPS_IFD] = {1: "N", 2: (30.0, 39.0, 25.2), 3: "E", 4: (104.0, 4.0, 48.0)}
    return exif


def _camera_jpeg(orientation: int = 6) -> bytes:
    """What a phone camera gives: 640x480 sensor pixels, to be shown rotated, with EXIF
    (GPS, make, model), XMP and a comment."""
    picture = Image.frombytes("RGB", (64, 48), os.urandom(64 * 48 * 3)).resize((640, 480))
    out = io.BytesIO()
    picture.save(
        out, "JPEG", quality=85, exif=_exif(orientation), xmp=XMP, comment=b"Pixel 8 Pro, home"
    )
    return out.getvalue()


async def _stored(
    running: RunningApp, token: str | None, confirmed: dict[str, Any]
) -> tuple[dict[str, Any], bytes]:
    """What the store holds (through the confirmation's download URL), and the record."""
    download = await running.client.get(confirmed["downloadUrl"])
    assert download.status_code == 200
    _assert_no_metadata(download.content)
    node = (await running.gql.data(DOCUMENT, {"id": confirmed["id"]}, token=token))["node"]
    return node, download.content


def _assert_no_metadata(data: bytes) -> Image.Image:
    stored = Image.open(io.BytesIO(data))
    assert dict(stored.getexif()) == {}
    assert not set(stored.info) & {"exif", "xmp", "comment", "XML:com.adobe.xmp", "Comment"}
    for marker in (b"Exif\x00\x00", b"Pixel 8 Pro", b"Google", b"GPSLatitude", b"home"):
        assert marker not in data
    return stored


async def test_a_jpeg_is_stored_without_gps_device_xmp_or_comment_and_upright(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    data = _camera_jpeg(orientation=6)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the upload has them

    result = await program.upload_document("PHOTO", "现场.jpg", "image/jpeg", data)

    assert result["confirm"]["__typename"] == "Document", result
    node, stored_bytes = await _stored(running, program.token, result["confirm"])
    stored = Image.open(io.BytesIO(stored_bytes))
    assert stored.format == "JPEG"
    # Orientation 6 means "turn 90° clockwise to view": applied before the EXIF was dropped.
    assert stored.size == (480, 640)
    assert node["originalSha256"] == hashlib.sha256(data).hexdigest()
    assert node["sha256"] == hashlib.sha256(stored_bytes).hexdigest() != node["originalSha256"]
    assert node["size"] == len(stored_bytes)
    row = await Document.get()
    assert row.original_size == len(data)
    # Nothing of the original is left anywhere in the store.
    assert stored_files(objects_root(running)) == [f"documents/{row.owner_id}/{row.id}"]
    on_disk = (objects_root(running) / row.object_key).read_bytes()
    assert on_disk == stored_bytes


async def test_a_png_loses_its_exif_and_text_chunks(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "Pixel 8 Pro, home")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(
        out, "PNG", exif=_exif(orientation=1), pnginfo=text
    )
    data = out.getvalue()

    result = await program.upload_document("PHOTO", "截图.png", "image/png", data)

    assert result["confirm"]["__typename"] == "Document", result
    node, stored_bytes = await _stored(running, program.token, result["confirm"])
    stored = Image.open(io.BytesIO(stored_bytes))
    assert (stored.format, stored.size) == ("PNG", (40, 30))
    assert stored.getpixel((0, 0)) == (10, 120, 200)
    assert b"eXIf" not in stored_bytes
    assert b"tEXt" not in stored_bytes
    assert node["originalSha256"] == hashlib.sha256(data).hexdigest()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that announces width x height pixels and carries almost no data: decoding it
    would allocate the announced size (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


async def test_an_image_with_too_many_pixels_is_refused_without_decoding_it(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")

    # Above our limit (50 megapixels) and above twice Pillow's own.
    for width, height in ((8000, 8000), (40_000, 40_000)):
        result = await program.upload_document(
            "PHOTO", "bomb.png", "image/png", _png_header_only(width, height)
        )

        assert result["confirm"]["__typename"] == "ConfirmDocumentUploadError"
        assert result["confirm"]["code"] == "IMAGE_TOO_LARGE"
        assert result["confirm"]["field"] == "documentId"
    rows = await Document.all()
    assert {r.status for r in rows} == {DocumentStatus.REJECTED}
    assert {r.rejection_reason for r in rows} == {RejectionReason.IMAGE_TOO_LARGE}
    assert stored_files(objects_root(running)) == []


async def test_a_file_that_only_starts_like_a_jpeg_is_refused(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    fake = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x5a" * 500

    result = await program.upload_document("PHOTO", "x.jpg", "image/jpeg", fake)

    assert result["confirm"]["__typename"] == "ConfirmDocumentUploadError"
    assert result["confirm"]["code"] == "IMAGE_UNREADABLE"
    assert (await Document.get()).status is DocumentStatus.REJECTED
    assert stored_files(objects_root(running)) == []
