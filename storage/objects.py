"""Object storage: one interface, a MinIO/S3 adapter and a local-folder adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import anyio
import anyio.to_thread


class StorageUnavailable(Exception):
    """The object store could not be reached in time."""


class ObjectStore(Protocol):
    async def ensure_ready(self) -> None:
        """Creates the bucket or folder if needed; raises StorageUnavailable if unreachable."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class LocalFolderStore:
    """The embedded default: objects are files under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def ensure_ready(self) -> None:
        await anyio.Path(self.root).mkdir(parents=True, exist_ok=True)

    async def ping(self) -> bool:
        return await anyio.Path(self.root).is_dir()

    async def close(self) -> None:
        return None


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
        timeout: float = 2.0,
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
        self.client = client(endpoint)
        # Presigned URLs embed the host they were signed for: sign with the public one.
        self.public_client = client(public_endpoint or endpoint)

    async def ensure_ready(self) -> None:
        def ensure() -> None:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket, location=self.region)

        try:
            await anyio.to_thread.run_sync(ensure)
        except Exception as exc:  # the SDK raises urllib3, S3 and value errors alike
            raise StorageUnavailable(type(exc).__name__) from None

    async def ping(self) -> bool:
        try:
            return bool(await anyio.to_thread.run_sync(self.client.bucket_exists, self.bucket))
        except Exception:
            return False

    async def close(self) -> None:
        return None
