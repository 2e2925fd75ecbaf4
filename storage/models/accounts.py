"""Accounts, their sign-in sessions and the audit trail of security events."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models.catalogue import Department, Region


class Role(StrEnum):
    RESIDENT = "RESIDENT"
    STAFF = "STAFF"
    ADMIN = "ADMIN"
    PROVIDER = "PROVIDER"
    TERMINAL = "TERMINAL"
    REVIEWER = "REVIEWER"  # an officer who reviews providers and their services (given by ADMIN)


class Account(Model):
    """One person, organ officer, provider member or device.

    Personal data is never stored in the clear: `*_sealed` columns hold SM4-GCM
    ciphertext, `*_index` columns a keyed HMAC-SM3 digest for equality look-ups.
    """

    id = fields.UUIDField(primary_key=True)
    roles: list[str] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    disabled = fields.BooleanField(default=False)

    # WeChat mini-program identity
    wechat_openid = fields.CharField(max_length=64, unique=True, null=True)
    wechat_unionid = fields.CharField(max_length=64, unique=True, null=True)
    wechat_session_key_sealed = fields.TextField(null=True)

    # Phone (bound through WeChat or proven by SMS)
    phone_sealed = fields.TextField(null=True)
    phone_index = fields.CharField(max_length=64, unique=True, null=True)
    phone_masked = fields.CharField(max_length=16, null=True)  # 138****0000

    # Real-name identity (GB 11643)
    name_sealed = fields.TextField(null=True)
    id_number_sealed = fields.TextField(null=True)
    id_number_index = fields.CharField(max_length=64, unique=True, null=True)
    id_number_masked = fields.CharField(max_length=18, null=True)  # 5101**********123X
    name_masked = fields.CharField(max_length=32, null=True)  # 张*
    identity_verified_at = fields.DatetimeField(null=True)

    # Staff sign-in
    username = fields.CharField(max_length=64, unique=True, null=True)
    display_name = fields.CharField(max_length=64, null=True)
    password_hash = fields.CharField(max_length=255, null=True)
    totp_secret_sealed = fields.TextField(null=True)
    last_otp_counter = fields.BigIntField(null=True)
    failed_logins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    department: fields.ForeignKeyNullableRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="staff", null=True, on_delete=fields.RESTRICT
    )
    department_id: UUID | None
    region: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="staff", null=True, on_delete=fields.RESTRICT
    )
    region_id: UUID | None

    class Meta:
        table = "account"


class IdentityChannel(StrEnum):
    WECHAT_FACE = "WECHAT_FACE"  # 微信人脸核身, in the mini-program
    REAL_NAME_RELAY = "REAL_NAME_RELAY"  # the app's relay (a CTID/网证-style check)


class VerificationStatus(StrEnum):
    PENDING = "PENDING"
    PASSED = "PASSED"
    MISMATCH = "MISMATCH"  # the face (or the name) was not the claimed identity's holder's
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class IdentityVerification(Model):
    """One real-name claim, confirmed (or not) by an identity provider's face check.

    The claimed name and number are sealed like the account's, with a blind index of the
    number for the per-number limit. No face data is ever stored: providers keep it, and
    their answers carry none.
    """

    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="identity_verifications", on_delete=fields.CASCADE
    )
    account_id: UUID
    channel = fields.CharEnumField(IdentityChannel, max_length=16)
    out_seq_no = fields.CharField(max_length=32, unique=True)  # ours, random, per session
    verify_id = fields.CharField(max_length=256, unique=True)  # the provider's session id
    name_sealed = fields.TextField()
    id_number_sealed = fields.TextField()
    id_number_index = fields.CharField(max_length=64, db_index=True)
    status = fields.CharEnumField(
        VerificationStatus, default=VerificationStatus.PENDING, max_length=12
    )
    result_code = fields.CharField(max_length=16, null=True, description="the provider's")
    checks = fields.IntField(default=0, description="times the provider was asked the result")
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "identity_verification"
        indexes = (("account_id", "created_at"),)


class AuthSession(Model):
    """A signed-in device: an access token and a refresh token, both stored as keyed hashes.

    Refresh tokens rotate: each refresh replaces the session row's tokens and keeps the
    previous refresh hash, so a replayed old refresh token is recognised and revokes the
    whole session (a stolen token is worth one use at most).
    """

    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="sessions", on_delete=fields.CASCADE
    )
    account_id: UUID
    access_hash = fields.CharField(max_length=64, unique=True)
    refresh_hash = fields.CharField(max_length=64, unique=True)
    previous_refresh_hash = fields.CharField(max_length=64, null=True, db_index=True)
    access_expires_at = fields.DatetimeField()
    refresh_expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    rotated_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    method = fields.CharField(max_length=16)  # WECHAT, SMS, PASSWORD, DEVICE

    class Meta:
        table = "auth_session"


class AuditEvent(Model):
    """Security-relevant events (sign-ins, identity checks): who, what, when, success.

    Never holds personal data itself: subjects are account ids, never phones or names.
    """

    id = fields.UUIDField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor_id = fields.UUIDField(null=True, db_index=True)
    action = fields.CharField(max_length=48)
    success = fields.BooleanField()
    detail = fields.CharField(max_length=128, default="")
    request_id = fields.CharField(max_length=36, default="")

    class Meta:
        table = "audit_event"
