"""Mini-program appeal photos go through WeChat's image check (media_check_async v2): held
from the department until WeChat pushes its verdict to /wechat/push, released on pass,
removed with a note on risky. Only pushes signed with the push token count, and one verdict
takes effect once however often it is pushed."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta
from typing import Any

import httpx
from strawberry import relay

from api.outbox import dispatcher
from integrations.wechat.push import signature_ok
from mock_wechat.client import MiniProgram
from resolvers.appeals.photo_checks import hold_silent
from storage.models.appeals import AppealEvent, AppealEventType, AppealPhoto, PhotoCheck
from storage.models.documents import Document
from tests.appeals.conftest import (
    URBAN,
    account_of,
    deliver_push,
    file,
    media_checks,
    photo,
    push_verdicts,
    resident,
    resident_inbox,
    set_verdict,
    staff_token,
)
from tests.conftest import RunningApp

SEEN_BY = "query($id: ID!) { appeal(id: $id) { photos { id } photoChecks { documentId status } } }"
DOCUMENT = "query($id: ID!) { node(id: $id) { ... on Document { id downloadUrl } } }"
DELETE = (
    "mutation($id: ID!) { deleteDocument(input: {documentId: $id}) { __typename "
    "... on DeleteDocumentError { code } } }"
)
REMOVED = "一张照片未通过内容安全检查，已移除"


async def _filed_with_photo(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> tuple[MiniProgram, str, dict[str, Any]]:
    program = await resident(seeded, wechat, "a")
    picture = await photo(program)
    appeal = await file(seeded, program, documentIds=[picture])
    assert appeal["__typename"] == "Appeal"
    assert appeal["department"]["code"] == URBAN  # the appeal itself goes on at once
    await dispatcher(seeded.resources).drain()  # the check is sent after the filing commits
    return program, picture, appeal


async def _seen(seeded: RunningApp, token: str | None, appeal_id: str) -> dict[str, Any]:
    return dict((await seeded.gql.data(SEEN_BY, {"id": appeal_id}, token=token))["appeal"])


async def test_a_photo_is_held_from_the_department_until_wechat_passes_it(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, picture, appeal = await _filed_with_photo(seeded, wechat)
    urban = await staff_token(seeded, URBAN)
    owner = await account_of(program)

    [check] = await media_checks(wechat)
    assert (check["mediaType"], check["scene"], check["openid"]) == (2, 2, owner.wechat_openid)
    # WeChat is given a working, short-lived link to the stored (metadata-free) photo.
    fetched = await seeded.client.get(check["mediaUrl"])
    stored = await Document.get(id=relay.GlobalID.from_id(picture).node_id)
    assert hashlib.sha256(fetched.content).hexdigest() == stored.sha256
    held = await _seen(seeded, urban, appeal["id"])
    assert held == {"photos": [], "photoChecks": []}
    assert (await seeded.gql.data(DOCUMENT, {"id": picture}, token=urban))["node"] is None
    mine = await _seen(seeded, program.token, appeal["id"])
    assert mine["photos"] == [{"id": picture}]
    assert mine["photoChecks"] == [{"documentId": picture, "status": "PENDING"}]

    [answer] = await push_verdicts(seeded, wechat)

    assert (answer.status_code, answer.text) == (200, "success")
    released = await _seen(seeded, urban, appeal["id"])
    assert released["photos"] == [{"id": picture}]
    node = (await seeded.gql.data(DOCUMENT, {"id": picture}, token=urban))["node"]
    assert node["downloadUrl"]
    mine = await _seen(seeded, program.token, appeal["id"])
    assert mine["photoChecks"] == [{"documentId": picture, "status": "PASSED"}]


async def test_a_risky_photo_is_removed_and_the_resident_told(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, picture, appeal = await _filed_with_photo(seeded, wechat)
    [check] = await media_checks(wechat)
    await set_verdict(wechat, "risky", traceId=check["traceId"])
    urban = await staff_token(seeded, URBAN)

    [answer] = await push_verdicts(seeded, wechat)
    await dispatcher(seeded.resources).drain()

    assert answer.text == "success"
    assert (await _seen(seeded, urban, appeal["id"]))["photos"] == []
    mine = await _seen(seeded, program.token, appeal["id"])
    assert mine == {
        "photos": [],
        "photoChecks": [{"documentId": picture, "status": "RISKY"}],
    }
    events = await AppealEvent.filter(type=AppealEventType.PHOTO_REMOVED)
    assert [e.note for e in events] == [REMOVED]
    inbox = await resident_inbox(program)
    assert [body for _, body in inbox if REMOVED in body] == [
        f"您反映的“占道经营”诉求（{appeal['number']}）中，{REMOVED}。"
    ]
    # The file stays the resident's own: no longer held by the appeal, it can be deleted.
    deleted = await seeded.gql.data(DELETE, {"id": picture}, token=program.token)
    assert deleted["deleteDocument"]["__typename"] != "DeleteDocumentError"


async def test_a_forged_or_stale_push_is_refused_and_changes_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, _, appeal = await _filed_with_photo(seeded, wechat)
    [check] = await media_checks(wechat)
    await set_verdict(wechat, "pass", traceId=check["traceId"])
    genuine = (await wechat.post("/__mock__/media-push", json={"traceId": check["traceId"]})).json()
    [push] = genuine["pushes"]
    query, body = push["query"], push["body"]

    forged_signature = {**query, "signature": hashlib.sha1(b"guess").hexdigest()}
    other_token = hashlib.sha1(
        "".join(sorted(["not-the-token", query["timestamp"], query["nonce"]])).encode()
    ).hexdigest()
    stale_ts = str(int(time.time()) - 3600)
    stale = {
        "timestamp": stale_ts,
        "nonce": "1",
        "signature": hashlib.sha1(
            "".join(sorted(["rongban-dev-push-token", stale_ts, "1"])).encode()
        ).hexdigest(),
    }
    answers = [
        await deliver_push(seeded, forged_signature, body),
        await deliver_push(seeded, {**query, "signature": other_token}, body),
        await deliver_push(seeded, {k: v for k, v in query.items() if k != "signature"}, body),
        await deliver_push(seeded, stale, body),
        await seeded.client.get("/wechat/push", params={**forged_signature, "echostr": "42"}),
    ]

    assert [a.status_code for a in answers] == [401] * 5
    row = await AppealPhoto.get()
    assert row.check_status is PhotoCheck.PENDING
    urban = await staff_token(seeded, URBAN)
    assert (await _seen(seeded, urban, appeal["id"]))["photos"] == []
    # The genuine signature passes the console's URL check (echostr comes back) and the push.
    echoed = await seeded.client.get("/wechat/push", params={**query, "echostr": "42"})
    assert (echoed.status_code, echoed.text) == (200, "42")
    assert (await deliver_push(seeded, query, body)).text == "success"
    assert (await AppealPhoto.get()).check_status is PhotoCheck.PASSED


async def test_one_verdict_pushed_twice_takes_effect_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, _, _ = await _filed_with_photo(seeded, wechat)
    await set_verdict(wechat, "risky", default="")

    first = await push_verdicts(seeded, wechat)
    again = await push_verdicts(seeded, wechat, again=True)  # WeChat pushes it once more
    replayed = [await deliver_push(seeded, dict(p.request.url.params), _body(p)) for p in first]
    await dispatcher(seeded.resources).drain()

    assert [r.text for r in first + again + replayed] == ["success"] * 3
    assert await AppealEvent.filter(type=AppealEventType.PHOTO_REMOVED).count() == 1
    inbox = await resident_inbox(program)
    assert len([body for _, body in inbox if REMOVED in body]) == 1


def _body(response: httpx.Response) -> dict[str, Any]:
    return dict(json.loads(response.request.content))


async def test_a_photo_without_a_verdict_in_time_stays_held_for_a_moderator(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, _, appeal = await _filed_with_photo(seeded, wechat)
    later = seeded.resources.clock() + timedelta(
        seconds=seeded.settings.appeal_photo_check_timeout_seconds + 1
    )
    seeded.resources.clock = lambda: later

    assert await hold_silent(seeded.resources) == 1
    assert (await AppealPhoto.get()).check_status is PhotoCheck.REVIEW
    urban = await staff_token(seeded, URBAN)
    assert (await _seen(seeded, urban, appeal["id"]))["photos"] == []
    # A verdict arriving after that changes nothing: a person decides now.
    await push_verdicts(seeded, wechat)
    assert (await AppealPhoto.get()).check_status is PhotoCheck.REVIEW


def test_the_push_signature_is_wechats_documented_one() -> None:
    # The vector of WeChat's message-push documentation (token AAAAA).
    vector = {"timestamp": "1714036504", "nonce": "1514711492"}
    good = {**vector, "signature": "f464b24fc39322e44b38aa78f5edd27bd1441696"}

    assert signature_ok("AAAAA", good)
    assert not signature_ok("AAAAB", good)
    assert not signature_ok("AAAAA", {**good, "nonce": "1514711493"})
    assert not signature_ok("AAAAA", vector)
