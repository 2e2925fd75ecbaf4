"""The transactional outbox: side effects written with the change that causes them, sent after
commit by the dispatcher (notifications, provincial pushes; webhooks later)."""

from __future__ import annotations

import itertools
import threading
import time
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class OutboxStatus(StrEnum):
    PENDING = "PENDING"  # not tried yet
    FAILED = "FAILED"  # tried and failed; tried again at next_attempt_at
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"  # gave up after the configured attempts (or a permanent failure)


_counter = itertools.count()
_counter_lock = threading.Lock()


def next_seq() -> int:
    """A strictly increasing position within this process (microseconds, then a counter).

    Rows of one stream key are written under that stream's own row lock (one application's
    transitions never overlap), so commit order and this order agree for a key."""
    with _counter_lock:
        return time.time_ns() // 1000 * 1000 + next(_counter) % 1000


class OutboxMessage(Model):
    id = fields.UUIDField(primary_key=True)
    seq = fields.BigIntField(default=next_seq, db_index=True)
    kind = fields.CharField(max_length=48)
    # Ids and codes only: never personal data (handlers look the rest up when they run).
    payload: dict[str, Any] = fields.JSONField(default=dict)
    key = fields.CharField(max_length=64, description="stream: strict order within one key")
    # A strict stream never skips: while one of its messages is DEAD, the rest of the key waits
    # for it to be re-queued (the province must see acceptance before completion). Other
    # streams go on past a dead letter (a lost WeChat message must not hold back the next).
    strict = fields.BooleanField(default=False, description="a dead letter holds back its key")
    status = fields.CharEnumField(OutboxStatus, max_length=12, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    # A lease: the claiming worker renews it while it works on the message, so a worker that
    # died lets go of it within one lease; `claimed_by` names the holder so that only it
    # renews, or records the outcome of, its claim.
    claimed_until = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=32, null=True)
    last_error = fields.CharField(max_length=200, default="", description="never personal data")
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "next_attempt_at"), ("key", "seq"))
