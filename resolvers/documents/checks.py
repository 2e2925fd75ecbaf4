"""What a file may be: names made safe, content types allowed per kind, magic bytes."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from typing import IO

from storage.models.documents import DocumentKind

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
OFD = "application/ofd"  # GB/T 33190, China's fixed-layout format for e-licences

_IMAGES = frozenset({JPEG, PNG})
_PAPERS = frozenset({JPEG, PNG, PDF})
_LICENCES = frozenset({JPEG, PNG, PDF, OFD})
ALLOWED: dict[DocumentKind, frozenset[str]] = {
    DocumentKind.ID_CARD_FRONT: _IMAGES,
    DocumentKind.ID_CARD_BACK: _IMAGES,
    DocumentKind.PHOTO: _IMAGES,
    DocumentKind.HOUSEHOLD_REGISTER: _PAPERS,
    DocumentKind.BUSINESS_LICENCE: _LICENCES,
    DocumentKind.CERTIFICATE: _LICENCES,
    DocumentKind.RECEIPT: _LICENCES,
    DocumentKind.OTHER: _LICENCES,
}
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf", OFD: ".ofd"}

ZIP = "zip"  # a candidate OFD until OFD.xml is found in it
HEAD_BYTES = 8
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"%PDF-", PDF),
    (b"PK\x03\x04", ZIP),
)
MAX_FILE_NAME = 100
_SEPARATORS = re.compile(r"[\\/]")


def sniff(head: bytes) -> str | None:
    """The type the first bytes announce; never the declared one."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def is_ofd(package: IO[bytes]) -> bool:
    """An OFD file is a ZIP package whose entry file is OFD.xml at its root."""
    try:
        with zipfile.ZipFile(package) as archive:
            return "OFD.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def clean_file_name(raw: str) -> str | None:
    """The last path segment, without control characters, at most 100 characters (the
    extension kept); None when nothing usable is left. Used only for Content-Disposition."""
    if len(raw) > 1024:
        return None
    name = unicodedata.normalize("NFC", raw)
    name = _SEPARATORS.split(name)[-1]
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = " ".join(name.split()).strip(". ")
    if not name:
        return None
    if len(name) > MAX_FILE_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10 and stem:
            name = stem[: MAX_FILE_NAME - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILE_NAME]
    return name


def normalise_content_type(raw: str) -> str:
    return raw.strip().lower()
