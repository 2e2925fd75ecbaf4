"""The document wallet: uploaded and issued files, and the log of staff reads."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models.accounts import Account
    from storage.models.catalogue import Department


class DocumentKind(StrEnum):
    ID_CARD_FRONT = "ID_CARD_FRONT"
    ID_CARD_BACK = "ID_CARD_BACK"
    HOUSEHOLD_REGISTER = "HOUSEHOLD_REGISTER"
    BUSINESS_LICENCE = "BUSINESS_LICENCE"
    PHOTO = "PHOTO"
    CERTIFICATE = "CERTIFICATE"
    RECEIPT = "RECEIPT"  # 财政电子票据: issued by a charging department for a paid fee
    OTHER = "OTHER"


class DocumentStatus(StrEnum):
    PENDING = "PENDING"  # a ticket was issued; the file is (or will be) in quarantine
    AVAILABLE = "AVAILABLE"  # checked, scanned and out of quarantine
    REJECTED = "REJECTED"  # failed a check; its object was deleted


class TrustLevel(StrEnum):
    A = "A"  # issued by the authority: use directly
    B = "B"  # checked against the original by a window clerk: reusable
    C = "C"  # uploaded by the resident: the original must be checked
    D = "D"  # made by the resident (applicant's commitment)


class RejectionReason(StrEnum):
    TYPE_MISMATCH = "TYPE_MISMATCH"  # the bytes are not the declared (or an allowed) type
    TOO_LARGE = "TOO_LARGE"
    EMPTY = "EMPTY"
    MALWARE = "MALWARE"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"  # more pixels than allowed (a decompression bomb?)
    IMAGE_UNREADABLE = "IMAGE_UNREADABLE"  # an image header, but no image that decodes
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"  # its cleaned copy came out larger than the wallet had room


class AccessAction(StrEnum):
    DOWNLOAD = "DOWNLOAD"
    VERIFY_ORIGINAL = "VERIFY_ORIGINAL"


class Document(Model):
    """One file in a resident's wallet.

    `object_key` is server-generated (`quarantine/<owner>/<id>`, then `documents/<owner>/<id>`)
    and never derived from the file name, which is kept only for Content-Disposition.
    """

    id = fields.UUIDField(primary_key=True)
    owner: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="documents", on_delete=fields.RESTRICT
    )
    owner_id: UUID
    kind = fields.CharEnumField(DocumentKind, max_length=24)
    file_name = fields.CharField(max_length=128)
    declared_content_type = fields.CharField(max_length=64)
    detected_content_type = fields.CharField(max_length=64, null=True)
    declared_size = fields.BigIntField()
    # The declared size while pending (what the quota reserves), the real one once checked.
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64, null=True)
    # The file as the resident sent it. An image is stored re-encoded without its metadata
    # (location, device), so its stored size and hash differ from these.
    original_size = fields.BigIntField(null=True)
    original_sha256 = fields.CharField(max_length=64, null=True)
    status = fields.CharEnumField(DocumentStatus, max_length=12, default=DocumentStatus.PENDING)
    rejection_reason = fields.CharEnumField(RejectionReason, max_length=16, null=True)
    trust_level = fields.CharEnumField(TrustLevel, max_length=1, default=TrustLevel.C)
    issuer: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="issued_documents", null=True, on_delete=fields.RESTRICT
    )
    issuer_id: UUID | None
    valid_from = fields.DateField(null=True)
    valid_until = fields.DateField(null=True)
    object_key = fields.CharField(max_length=128)
    upload_expires_at = fields.DatetimeField(null=True)
    # A confirmation in progress holds the row until then: two confirmations of one
    # document never check and move the same object at once.
    confirming_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    confirmed_at = fields.DatetimeField(null=True)
    verified_at = fields.DatetimeField(null=True)
    verified_by_id = fields.UUIDField(null=True)

    class Meta:
        table = "document"
        indexes = (("owner_id", "created_at"), ("status", "upload_expires_at"))


class DocumentAccess(Model):
    """A staff member's access to someone else's document: who, when, why, which document.

    Plain ids rather than foreign keys: the log outlives the documents it speaks of.
    """

    id = fields.UUIDField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    document_id = fields.UUIDField(db_index=True)
    actor_id = fields.UUIDField(db_index=True)
    action = fields.CharEnumField(AccessAction, max_length=16)
    reason = fields.CharField(max_length=200)
    request_id = fields.CharField(max_length=36, default="")

    class Meta:
        table = "document_access"
