"""The outbox: delivery after commit, exactly one inbox copy after a crash, nothing from a
rollback, WeChat outages retried, 43101 leaves the inbox copy, dead letters, key order."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from tortoise.transactions import in_transaction

from api.outbox import dispatcher
from mock_wechat.server import MockState
from resolvers.notifications.handlers import deliver_inbox, enqueue_inbox
from resolvers.outbox.dispatcher import Dispatcher, Retry
from storage.models.notifications import Notification
from storage.models.outbox import OutboxMessage, OutboxStatus
from tests.applications.conftest import (
    ACCEPT,
    HYGIENE,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp
from tests.documents.conftest import count_rows

GRANT = (
    "mutation($input: GrantSubscriptionsInput!) { grantSubscriptions(input: $input) { "
    "__typename ... on SubscriptionGrants { grants { templateId remaining } } "
    "... on GrantSubscriptionsError { code field } } }"
)


async def _grant(seeded: RunningApp, program, template: str = "TPL_APPLICATION_STATUS") -> None:
    result = await program.wx_request_subscribe([template])
    granted = await seeded.gql.data(
        GRANT,
        {
            "input": {
                "results": [
                    {"templateId": t, "result": r} for t, r in result.items() if t != "errMsg"
                ]
            }
        },
        token=program.token,
    )
    assert granted["grantSubscriptions"]["__typename"] == "SubscriptionGrants", (granted, result)


async def test_a_crash_between_commit_and_send_still_delivers_exactly_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    await submit(seeded, program)  # committed; the "process" dies before any send
    message = await OutboxMessage.get(kind="notification.inbox")
    assert message.status is OutboxStatus.PENDING

    # A worker delivers, then "crashes" before recording it: the next one delivers again.
    await deliver_inbox(seeded.resources, message)
    handled = await dispatcher(seeded.resources).drain()
    again = await dispatcher(seeded.resources).drain()

    assert handled >= 1
    assert again == 0
    assert await Notification.filter(outbox_id=message.id).count() == 1
    assert (await OutboxMessage.get(id=message.id)).status is OutboxStatus.DELIVERED


async def test_a_rollback_sends_nothing(seeded: RunningApp) -> None:
    class Boom(Exception):
        pass

    async def write_then_fail() -> None:
        async with in_transaction():
            await enqueue_inbox(
                key="k",
                now=seeded.resources.clock(),
                topic="T",
                title="t",
                body="b",
                subject_id=None,
                account_ids=[],
            )
            raise Boom

    with pytest.raises(Boom):
        await write_then_fail()

    assert await count_rows("outbox_message") == 0
    assert await dispatcher(seeded.resources).drain() == 0


async def test_a_wechat_outage_is_retried_and_the_inbox_gets_it_anyway(
    seeded: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    await _grant(seeded, program)
    await wechat.post(
        "/__mock__/fail",
        json={"path": "/cgi-bin/message/subscribe/send", "errcode": -1, "times": 1},
    )
    await submit(seeded, program)

    await dispatcher(seeded.resources).drain()
    pending = await OutboxMessage.get(kind="notification.wechat")
    inbox = await Notification.all().count()
    # Later, when the backoff has passed:
    start = seeded.resources.clock()
    seeded.resources.clock = lambda: start + timedelta(hours=2)
    await dispatcher(seeded.resources).drain()

    assert pending.status is OutboxStatus.FAILED
    assert pending.attempts == 1
    assert pending.last_error == "wechat unavailable"
    assert inbox == 1
    assert (await OutboxMessage.get(id=pending.id)).status is OutboxStatus.DELIVERED
    messages = await program.wx_messages()
    assert len(messages) == 1
    assert messages[0]["data"]["phrase3"] == "已提交"


async def test_without_a_grant_only_the_inbox_gets_it(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    item = await implementation(HYGIENE)
    tokens = await officers(seeded, item)
    await _grant(seeded, program)  # one message allowed
    submitted = await submit(seeded, program)
    await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )

    await dispatcher(seeded.resources).drain()

    assert len(await program.wx_messages()) == 1  # the grant was used once
    assert await Notification.all().count() == 2
    assert (
        await OutboxMessage.filter(
            status=OutboxStatus.DELIVERED, kind__startswith="notification."
        ).count()
        == 4
    )


async def test_43101_drops_the_wechat_copy_without_retrying(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    await _grant(seeded, program)
    await wechat.post(
        "/__mock__/fail",
        json={"path": "/cgi-bin/message/subscribe/send", "errcode": 43101, "times": 1},
    )
    await submit(seeded, program)

    await dispatcher(seeded.resources).drain()

    sent = await OutboxMessage.get(kind="notification.wechat")
    assert sent.status is OutboxStatus.DELIVERED
    assert sent.attempts == 0
    assert await Notification.all().count() == 1


async def test_messages_die_after_the_configured_attempts_and_keep_key_order(
    seeded: RunningApp,
) -> None:
    calls: list[str] = []

    async def flaky(resources, message) -> None:
        calls.append(message.payload["n"])
        if message.payload["n"] == "first":
            raise Retry("peer down")

    now = seeded.resources.clock()
    from storage.repositories import outbox as repo

    await repo.enqueue("test.flaky", "stream", {"n": "first"}, now=now)
    await repo.enqueue("test.flaky", "stream", {"n": "second"}, now=now)
    worker = Dispatcher(seeded.resources, {"test.flaky": flaky})
    attempts = seeded.settings.outbox_max_attempts
    for hour in range(attempts):
        seeded.resources.clock = lambda h=hour: now + timedelta(days=h)
        await worker.drain()

    rows = {m.payload["n"]: m for m in await OutboxMessage.all()}
    assert rows["first"].status is OutboxStatus.DEAD
    assert rows["first"].attempts == attempts
    # "second" waited for "first" every time, and went once "first" was dead.
    assert calls == ["first"] * attempts + ["second"]
    assert rows["second"].status is OutboxStatus.DELIVERED
