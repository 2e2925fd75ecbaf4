"""Object storage: one interface, a MinIO/S3 adapter and a local-folder adapter."""

from __future__ import annotations

import base64
import io
import os
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlsplit

import anyio
import anyio.to_thread
import orjson

T = TypeVar("T")

CHUNK_BYTES = 64 * 1024
# A store that does not answer a metadata call within this is reported as down: a resident
# gets STORAGE_UNAVAILABLE quickly instead of a hanging request.
DEADLINE_SECONDS = 2.0
# Keys are only ever made by the server: prefix / owner uuid / document uuid (for the
# catalogue's copies of guide files: catalogue / implementation uuid / file uuid).
_UUID = "[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"
_KEY = re.compile(rf"(quarantine|documents|catalogue)/{_UUID}/{_UUID}")
UPLOAD_PATH = "/uploads"
DOWNLOAD_PATH = "/files/"


class StorageUnavailable(Exception):
    """The object store could not be reached in time."""


class ObjectMissing(Exception):
    """No object under that key."""


# Form fields of an upload ticket: key, Content-Type and encryption, then the signature's
# (S3: algorithm, credential, session token, date, policy, signature; local: policy, signature).
MAX_TICKET_FIELDS = 10


@dataclass(frozen=True, slots=True)
class UploadTicket:
    """Where and how to POST one file: form `fields` first, then the file as `file`."""

    url: str
    fields: dict[str, str]
    expires_at: datetime

    def __post_init__(self) -> None:
        if len(self.fields) > MAX_TICKET_FIELDS:
            raise ValueError(f"an upload ticket has at most {MAX_TICKET_FIELDS} form fields")


@dataclass(frozen=True, slots=True)
class StoredObject:
    size: int
    content_type: str | None


class ObjectStore(Protocol):
    async def ensure_ready(self) -> None:
        """Creates the bucket or folder if needed; raises StorageUnavailable if unreachable."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...

    async def presign_upload(
        self, key: str, *, content_type: str, max_size: int, expires_at: datetime
    ) -> UploadTicket:
        """A POST form for exactly `key`, 1..`max_size` bytes of `content_type`."""
        ...

    async def stat(self, key: str) -> StoredObject | None: ...

    def read(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes in chunks; raises ObjectMissing when there is none."""
        ...

    async def put(self, key: str, data: bytes, *, content_type: str) -> None: ...

    async def move(self, source: str, target: str) -> None: ...

    async def remove(self, key: str) -> None:
        """Deletes the object; no error when it is already gone."""
        ...

    async def presign_download(
        self, key: str, *, file_name: str, content_type: str, expires_at: datetime
    ) -> str:
        """A short-lived GET URL that answers with `Content-Disposition: attachment`."""
        ...


def check_key(key: str) -> str:
    """Refuses anything but a server-made key: no client path ever reaches a store."""
    if not _KEY.fullmatch(key):
        raise ValueError("not an object key of ours")
    return key


def content_disposition(file_name: str) -> str:
    """RFC 6266 attachment with an ASCII fallback and the UTF-8 name (RFC 5987)."""
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in file_name)
    return f"attachment; filename=\"{fallback or 'document'}\"; filename*=UTF-8''{quote(file_name)}"


async def _within(seconds: float, call: Callable[[], T]) -> T:
    """Runs a blocking SDK call in a thread, giving up (not waiting) after `seconds`."""
    try:
        with anyio.fail_after(seconds):
            return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
    except TimeoutError:
        raise StorageUnavailable("timed out") from None


# -- the local folder


class Signer(Protocol):
    """What the local store needs of storage.crypto.Keyring."""

    def sign(self, message: str) -> str: ...

    def verify_signature(self, message: str, signature: str) -> bool: ...

    def seal(self, plaintext: str, *, context: str) -> str: ...

    def open(self, sealed: str, *, context: str) -> str: ...


class UploadRefused(Exception):
    """The local upload endpoint's answer to a bad POST, in S3's terms."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True, slots=True)
class UploadGrant:
    """What a verified upload form allows: one key, one content type, at most max_size bytes."""

    key: str
    content_type: str
    max_size: int


@dataclass(frozen=True, slots=True)
class Download:
    path: Path
    file_name: str
    content_type: str


_UPLOAD_CONTEXT = "upload-policy"
_DOWNLOAD_CONTEXT = "download-token"
# What presign_download makes: sealed (URL-safe base64) "." HMAC-SM3 (hex). Anything else is
# refused before it is decoded, verified or written anywhere.
DOWNLOAD_TOKEN = re.compile(r"[A-Za-z0-9_=-]{16,4000}\.[0-9a-f]{64}")


class LocalFolderStore:
    """The embedded default: objects are files under one folder.

    The app plays S3's part itself: it signs POST forms for its own `/uploads` endpoint and
    serves downloads at `/files/<token>`, with the same limits a POST policy would carry.
    """

    def __init__(self, root: Path, *, signer: Signer, base_url: str) -> None:
        self.root = root
        self.signer = signer
        self.base_url = base_url.rstrip("/")

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def ensure_ready(self) -> None:
        try:
            await anyio.Path(self.root).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(type(exc).__name__) from None

    async def ping(self) -> bool:
        return await anyio.Path(self.root).is_dir()

    async def close(self) -> None:
        return None

    async def _require_root(self) -> None:
        if not await self.ping():
            raise StorageUnavailable("the storage folder is missing")

    async def presign_upload(
        self, key: str, *, content_type: str, max_size: int, expires_at: datetime
    ) -> UploadTicket:
        await self._require_root()
        policy = {
            "key": check_key(key),
            "type": content_type,
            "max": max_size,
            "exp": int(expires_at.timestamp()),
            "n": secrets.token_urlsafe(8),  # two tickets for one key never look alike
        }
        encoded = base64.urlsafe_b64encode(orjson.dumps(policy)).decode()
        fields = {
            "key": key,
            "Content-Type": content_type,
            "policy": encoded,
            "signature": self.signer.sign(f"{_UPLOAD_CONTEXT}\n{encoded}"),
        }
        return UploadTicket(url=self.base_url + UPLOAD_PATH, fields=fields, expires_at=expires_at)

    def accept_upload(self, fields: Mapping[str, str], *, now: float | None = None) -> UploadGrant:
        """Checks a POST form as S3 checks a policy: signature, expiry, key and content type."""
        encoded = fields.get("policy", "")
        signature = fields.get("signature", "")
        if not encoded or not signature:
            raise UploadRefused(403, "AccessDenied", "缺少上传凭证。")
        if not self.signer.verify_signature(f"{_UPLOAD_CONTEXT}\n{encoded}", signature):
            raise UploadRefused(403, "SignatureDoesNotMatch", "上传凭证无效。")
        policy = orjson.loads(base64.urlsafe_b64decode(encoded.encode()))
        if (time.time() if now is None else now) >= policy["exp"]:
            raise UploadRefused(403, "AccessDenied", "上传凭证已过期，请重新申请。")
        if fields.get("key") != policy["key"]:
            raise UploadRefused(403, "AccessDenied", "上传路径与凭证不符。")
        if fields.get("Content-Type") != policy["type"]:
            raise UploadRefused(403, "AccessDenied", "文件类型与凭证不符。")
        return UploadGrant(key=policy["key"], content_type=policy["type"], max_size=policy["max"])

    async def write_upload(self, grant: UploadGrant, chunks: AsyncIterator[bytes]) -> int:
        """Streams an upload into place: refused past max_size, never overwrites an object."""
        target = anyio.Path(self._path(grant.key))
        await target.parent.mkdir(parents=True, exist_ok=True)
        if await target.exists():
            raise UploadRefused(409, "ObjectExists", "文件已上传，请勿重复上传。")
        partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        written = 0
        try:
            async with await anyio.open_file(partial, "xb") as out:
                async for chunk in chunks:
                    written += len(chunk)
                    if written > grant.max_size:
                        raise UploadRefused(400, "EntityTooLarge", "文件超过允许的大小。")
                    await out.write(chunk)
            if written < 1:
                raise UploadRefused(400, "EntityTooSmall", "文件为空。")
            # A hard link fails if the target exists: two racing uploads leave one object.
            try:
                await anyio.to_thread.run_sync(os.link, partial, target)
            except FileExistsError:
                raise UploadRefused(409, "ObjectExists", "文件已上传，请勿重复上传。") from None
        finally:
            await partial.unlink(missing_ok=True)
        return written

    async def stat(self, key: str) -> StoredObject | None:
        await self._require_root()
        try:
            info = await anyio.Path(self._path(key)).stat()
        except FileNotFoundError:
            return None
        return StoredObject(size=info.st_size, content_type=None)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        await self._require_root()
        try:
            handle = await anyio.open_file(self._path(key), "rb")
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        async with handle:
            while chunk := await handle.read(CHUNK_BYTES):
                yield chunk

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        await self._require_root()
        target = anyio.Path(self._path(key))
        await target.parent.mkdir(parents=True, exist_ok=True)
        await target.write_bytes(data)

    async def move(self, source: str, target: str) -> None:
        await self._require_root()
        destination = anyio.Path(self._path(target))
        await destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            await anyio.Path(self._path(source)).rename(destination)
        except FileNotFoundError:
            raise ObjectMissing(source) from None

    async def remove(self, key: str) -> None:
        await self._require_root()
        await anyio.Path(self._path(key)).unlink(missing_ok=True)

    async def presign_download(
        self, key: str, *, file_name: str, content_type: str, expires_at: datetime
    ) -> str:
        # Sealed, so the URL shows neither the key nor the file name; signed on top, so a
        # changed token is refused before anything is opened.
        payload = orjson.dumps(
            {"k": check_key(key), "n": file_name, "t": content_type, "e": expires_at.timestamp()}
        ).decode()
        sealed = self.signer.seal(payload, context=_DOWNLOAD_CONTEXT)
        signature = self.signer.sign(f"{_DOWNLOAD_CONTEXT}\n{sealed}")
        return f"{self.base_url}{DOWNLOAD_PATH}{sealed}.{signature}"

    def open_download(self, token: str, *, now: float | None = None) -> Download:
        """Verifies a download token; raises UploadRefused(400/403/404) as S3 would answer."""
        if not DOWNLOAD_TOKEN.fullmatch(token):
            raise UploadRefused(400, "InvalidArgument", "下载链接格式不正确。")
        sealed, _, signature = token.rpartition(".")
        if not sealed or not self.signer.verify_signature(
            f"{_DOWNLOAD_CONTEXT}\n{sealed}", signature
        ):
            raise UploadRefused(403, "SignatureDoesNotMatch", "下载链接无效。")
        try:
            payload: dict[str, Any] = orjson.loads(
                self.signer.open(sealed, context=_DOWNLOAD_CONTEXT)
            )
        except Exception:  # a signed token that does not open is ours but broken: refuse
            raise UploadRefused(403, "AccessDenied", "下载链接无效。") from None
        if (time.time() if now is None else now) >= payload["e"]:
            raise UploadRefused(403, "AccessDenied", "下载链接已过期。")
        return Download(
            path=self._path(payload["k"]), file_name=payload["n"], content_type=payload["t"]
        )


# -- MinIO / S3


class S3Store:
    """MinIO or any S3 peer through the (synchronous) minio SDK, called in threads."""

    def __init__(
        self,
        *,
        endpoint: str,
        public_endpoint: str | None,
        bucket: str,
        region: str,
        access_key: str,
        secret_key: str,
        timeout: float = DEADLINE_SECONDS,
        server_side_encryption: bool = False,
    ) -> None:
        from minio import Minio
        from urllib3 import PoolManager, Retry, Timeout

        def client(url: str) -> Minio:
            parts = urlsplit(url)
            # A short timeout and no retries: a dead store must become a clear
            # STORAGE_UNAVAILABLE within seconds, not a hanging request.
            http = PoolManager(
                timeout=Timeout(connect=timeout, read=timeout * 5),
                retries=Retry(total=0),
                maxsize=20,
            )
            return Minio(
                parts.netloc,
                access_key=access_key,
                secret_key=secret_key,
                secure=parts.scheme == "https",
                region=region,  # without it every presign first asks GetBucketLocation
                http_client=http,
            )

        self.bucket = bucket
        self.region = region
        self.timeout = timeout
        self.client = client(endpoint)
        # Presigned URLs embed the host they were signed for: sign with the public one.
        self.public_url = (public_endpoint or endpoint).rstrip("/")
        self.public_client = client(self.public_url)
        self.server_side_encryption = server_side_encryption

    def _sse(self) -> Any:
        from minio.sse import SseS3

        return SseS3() if self.server_side_encryption else None

    async def _call(self, call: Callable[[], T]) -> T:
        try:
            return await _within(self.timeout, call)
        except StorageUnavailable:
            raise
        except Exception as exc:  # the SDK raises urllib3, S3 and value errors alike
            if _s3_code(exc) in ("NoSuchKey", "NoSuchObject"):
                raise ObjectMissing(type(exc).__name__) from None
            raise StorageUnavailable(type(exc).__name__) from None

    async def ensure_ready(self) -> None:
        def ensure() -> None:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket, location=self.region)

        await self._call(ensure)

    async def ping(self) -> bool:
        try:
            return bool(await self._call(lambda: self.client.bucket_exists(self.bucket)))
        except Exception:
            return False

    async def close(self) -> None:
        return None

    async def presign_upload(
        self, key: str, *, content_type: str, max_size: int, expires_at: datetime
    ) -> UploadTicket:
        from minio.datatypes import PostPolicy

        check_key(key)
        policy = PostPolicy(self.bucket, expires_at.astimezone(UTC).replace(tzinfo=None))
        policy.add_equals_condition("key", key)
        policy.add_equals_condition("Content-Type", content_type)
        policy.add_content_length_range_condition(1, max_size)
        fields = {"key": key, "Content-Type": content_type}
        if self.server_side_encryption:
            policy.add_equals_condition("x-amz-server-side-encryption", "AES256")
            fields["x-amz-server-side-encryption"] = "AES256"
        # The signature is computed locally (the region is set), but the store must be up
        # for the upload to work: say so now rather than after the resident's upload fails.
        if not await self.ping():
            raise StorageUnavailable("ping failed")
        signed = self.public_client.presigned_post_policy(policy)
        return UploadTicket(
            url=f"{self.public_url}/{self.bucket}",
            fields={**fields, **signed},
            expires_at=expires_at,
        )

    async def stat(self, key: str) -> StoredObject | None:
        try:
            found = await self._call(lambda: self.client.stat_object(self.bucket, check_key(key)))
        except ObjectMissing:
            return None
        return StoredObject(size=int(found.size or 0), content_type=found.content_type)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        response = await self._call(lambda: self.client.get_object(self.bucket, check_key(key)))
        try:
            while chunk := await self._call(lambda: response.read(CHUNK_BYTES)):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        await self._call(
            lambda: self.client.put_object(
                self.bucket,
                check_key(key),
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                sse=self._sse(),
            )
        )

    async def move(self, source: str, target: str) -> None:
        from minio.commonconfig import CopySource

        # S3 has no rename: copy (encrypted at rest when configured), then delete.
        await self._call(
            lambda: self.client.copy_object(
                self.bucket,
                check_key(target),
                CopySource(self.bucket, check_key(source)),
                sse=self._sse(),
            )
        )
        await self.remove(source)

    async def remove(self, key: str) -> None:
        await self._call(lambda: self.client.remove_object(self.bucket, check_key(key)))

    async def presign_download(
        self, key: str, *, file_name: str, content_type: str, expires_at: datetime
    ) -> str:
        seconds = round((expires_at - datetime.now(UTC)).total_seconds())
        expires = timedelta(seconds=max(seconds, 1))
        return str(
            self.public_client.presigned_get_object(
                self.bucket,
                check_key(key),
                expires=expires,
                response_headers={
                    "response-content-disposition": content_disposition(file_name),
                    "response-content-type": content_type,
                },
            )
        )


def _s3_code(exc: Exception) -> str | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) else None
