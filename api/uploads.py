"""The local store's S3 look-alike: POST /uploads (policy-checked) and GET /files/<token>."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from xml.sax.saxutils import escape

import anyio
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from resolvers.documents.service import accepts_upload
from resolvers.resources import Resources
from storage.objects import LocalFolderStore, UploadRefused, content_disposition

# Form fields come before the file, as S3 requires; they are small and few.
MAX_FIELDS = 16
MAX_FIELD_BYTES = 8 * 1024
MAX_HEADER_BYTES = 8 * 1024
_FORM_OVERHEAD = 64 * 1024


class _BadForm(Exception):
    pass


def _hard_cap(resources: Resources) -> int:
    """No upload is larger than the largest per-kind limit (plus the form around it); the
    policy's own, smaller limit applies as soon as the signed fields have been read."""
    settings = resources.settings
    return (
        max(settings.document_max_bytes, *settings.document_max_bytes_by_kind.values())
        + _FORM_OVERHEAD
    )


class _FormEvents:
    """python-multipart's push callbacks turned into a list of events per chunk."""

    def __init__(self, boundary: bytes) -> None:
        self.events: list[tuple[str, Any]] = []
        self._header_name = b""
        self._header_value = b""
        self._headers_size = 0
        self._disposition = b""
        self._is_file = False
        self._name = ""
        self._data = bytearray()
        self._fields = 0
        self.parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_part,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def _part_begin(self) -> None:
        self._disposition = b""
        self._headers_size = 0
        self._data = bytearray()

    def _grow_headers(self, size: int) -> None:
        self._headers_size += size
        if self._headers_size > MAX_HEADER_BYTES:
            raise _BadForm("part headers too large")

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._grow_headers(end - start)
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._grow_headers(end - start)
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise _BadForm("a part without a name")
        self._name = options[b"name"].decode("utf-8", "replace")
        self._is_file = b"filename" in options or self._name == "file"
        if self._is_file:
            self.events.append(("file", self._name))
        else:
            self._fields += 1
            if self._fields > MAX_FIELDS:
                raise _BadForm("too many fields")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.events.append(("data", data[start:end]))
            return
        self._data += data[start:end]
        if len(self._data) > MAX_FIELD_BYTES:
            raise _BadForm("a field is too large")

    def _part_end(self) -> None:
        if self._is_file:
            self.events.append(("end", None))
        else:
            self.events.append(("field", (self._name, self._data.decode("utf-8", "replace"))))


async def _events(request: Request, boundary: bytes, cap: int) -> AsyncIterator[tuple[str, Any]]:
    form = _FormEvents(boundary)
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > cap:
            raise UploadRefused(400, "EntityTooLarge", "文件超过允许的大小。")
        form.parser.write(chunk)
        events, form.events = form.events, []
        for event in events:
            yield event
    form.parser.finalize()
    for event in form.events:
        yield event


async def _file_data(events: AsyncIterator[tuple[str, Any]]) -> AsyncIterator[bytes]:
    async for kind, value in events:
        if kind == "data":
            yield value
        elif kind == "end":
            return
    raise _BadForm("the file part did not end")


async def upload(request: Request) -> Response:
    """S3's POST Object for the local store: checks the signed policy before a byte of the
    file is written, then streams it to disk within the policy's size limit."""
    resources: Resources = request.state.resources
    store = resources.objects
    if not isinstance(store, LocalFolderStore):
        return Response(status_code=404)
    try:
        media, options = parse_options_header(request.headers.get("content-type", ""))
        if media != b"multipart/form-data" or b"boundary" not in options:
            raise _BadForm("not multipart/form-data")
        declared = request.headers.get("content-length")
        cap = _hard_cap(resources)
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            raise UploadRefused(400, "EntityTooLarge", "文件超过允许的大小。")
        fields: dict[str, str] = {}
        events = _events(request, options[b"boundary"], cap)
        async for kind, value in events:
            if kind == "field":
                name, text = value
                fields[name] = text
            elif kind == "file":
                if value != "file":
                    raise _BadForm("the file must be the `file` field")
                grant = store.accept_upload(fields)
                if not await accepts_upload(grant.key):
                    raise UploadRefused(409, "InvalidObjectState", "该材料已不再接收上传。")
                await store.write_upload(grant, _file_data(events))
                return Response(status_code=204)
        raise _BadForm("no file")
    except UploadRefused as refused:
        return _s3_error(refused.status, refused.code, refused.message)
    except (_BadForm, ValueError, UnicodeDecodeError, KeyError):
        # python-multipart raises ValueError subclasses for malformed bodies.
        return _s3_error(400, "MalformedPOSTRequest", "上传表单格式不正确。")


async def download(request: Request) -> Response:
    """Serves a file for a signed, unexpired token, always as an attachment."""
    resources: Resources = request.state.resources
    store = resources.objects
    if not isinstance(store, LocalFolderStore):
        return Response(status_code=404)
    try:
        found = store.open_download(request.path_params["token"])
    except UploadRefused as refused:
        return _s3_error(refused.status, refused.code, refused.message)
    if not await anyio.Path(found.path).is_file():
        return _s3_error(404, "NoSuchKey", "文件不存在。")
    return FileResponse(
        found.path,
        media_type=found.content_type,
        headers={
            "content-disposition": content_disposition(found.file_name),
            "cache-control": "private, no-store",
        },
    )


def _s3_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")
