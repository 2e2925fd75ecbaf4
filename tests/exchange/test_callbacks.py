"""Department systems report back: signed callbacks are verified (window, nonce, signature,
known system, known application), applied once through the workflow, and every refusal is
logged without personal data."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from typing import Any

import httpx
import pytest

from integrations.provincial import envelope
from resolvers.exchange.signing import Sm2Sm3, generate_sm2_keypair
from storage.cache import RedisError
from storage.models.applications import Application, ApplicationEvent
from storage.models.catalogue import Department
from storage.models.documents import Document
from storage.models.exchange import ExchangeCallback, ExchangeSystem, SigningAlgorithm
from tests.applications.conftest import HYGIENE, implementation
from tests.conftest import RunningApp
from tests.documents.conftest import pdf
from tests.exchange.conftest import (
    SYSTEM_SECRET,
    accepted_application,
    callback_body,
    post_callback,
    pushes,
    register_system,
    result_document,
    rongban,
    sign_callback,
)

LEAD_SYSTEM = "jinjiang-scjg-approval"
PARTNER_SYSTEM = "jinjiang-partner-approval"


async def _systems(seeded: RunningApp) -> tuple[ExchangeSystem, ExchangeSystem]:
    item = await implementation(HYGIENE)
    partner = await Department.get(code=item.cooperating_departments[0])
    return (
        await register_system(seeded, item.department_id, LEAD_SYSTEM),
        await register_system(seeded, partner.id, PARTNER_SYSTEM),
    )


async def _send(seeded: RunningApp, key_id: str, body: bytes, **signing: Any) -> httpx.Response:
    return await post_callback(seeded, body, sign_callback(key_id, SYSTEM_SECRET, body, **signing))


async def _events(number: str) -> list[tuple[str, str]]:
    application = await Application.get(number=number)
    rows = await ApplicationEvent.filter(application_id=application.id).order_by("seq")
    return [(e.type.value, e.note) for e in rows]


async def test_progress_goes_on_the_timeline_and_on_to_the_province(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await _systems(seeded)
    submitted, _, program = await accepted_application(seeded, wechat)

    response = await _send(
        seeded,
        LEAD_SYSTEM,
        callback_body(submitted["number"], "PROGRESS", note="现场核查已完成"),
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "APPLIED"
    assert response.json()["duplicate"] is False
    assert (await _events(submitted["number"]))[-1] == ("PROGRESS", "现场核查已完成")
    progress = (await pushes(submitted["id"]))[-1].payload["body"]
    item = await implementation(HYGIENE)
    lead = await Department.get(id=item.department_id)
    assert (progress["step"], progress["orgCode"], progress["proStatus"]) == (
        "PROGRESS",
        lead.code,
        "2",
    )
    timeline = await seeded.gql.data(
        "query($id: ID!) { application(id: $id) { status events { type byStaff note } } }",
        {"id": submitted["id"]},
        token=program.token,
    )
    assert timeline["application"]["status"] == "ACCEPTED"
    assert timeline["application"]["events"][-1] == {
        "type": "PROGRESS",
        "byStaff": True,
        "note": "现场核查已完成",
    }


async def test_task_outcomes_and_the_result_complete_the_application(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await _systems(seeded)
    submitted, _, program = await accepted_application(seeded, wechat)
    number = submitted["number"]
    result = pdf(4096)

    answers = [
        await _send(
            seeded, PARTNER_SYSTEM, callback_body(number, "TASK_OUTCOME", outcome="APPROVED")
        ),
        await _send(seeded, LEAD_SYSTEM, callback_body(number, "TASK_OUTCOME", outcome="APPROVED")),
        await _send(
            seeded,
            LEAD_SYSTEM,
            callback_body(number, "RESULT_DOCUMENT", document=result_document(result)),
        ),
    ]

    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    application = await Application.get(number=number)
    assert application.status.value == "COMPLETED"
    document = await Document.get(id=application.result_document_id)
    assert document.sha256 == hashlib.sha256(result).hexdigest()
    assert document.owner_id == application.owner_id
    assert document.trust_level.value == "A"
    assert [t for t, _ in await _events(number)] == [
        "SUBMITTED",
        "ACCEPTED",
        "TASK_APPROVED",
        "TASK_APPROVED",
        "APPROVED",
        "COMPLETED",
    ]
    assert [m.payload["step"] for m in await pushes(submitted["id"])] == [
        "SUBMIT",
        "ACCEPT",
        "HANDLE",
        "HANDLE",
        "DECIDE",
        "FINISH",
    ]
    wallet = await program.my_documents(first=10)
    assert any(e["node"]["id"] for e in wallet["edges"])


async def test_the_same_callback_twice_is_applied_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await _systems(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    body = callback_body(submitted["number"], "PROGRESS", note="材料审查中")
    message_id = str(uuid.uuid4())

    first = await _send(seeded, LEAD_SYSTEM, body, message_id=message_id)
    again = await _send(seeded, LEAD_SYSTEM, body, message_id=message_id)  # re-signed retry
    changed = await _send(
        seeded,
        LEAD_SYSTEM,
        callback_body(submitted["number"], "PROGRESS", note="另一条"),
        message_id=message_id,
    )

    assert first.json() == {"status": "APPLIED", "messageId": message_id, "duplicate": False}
    assert again.status_code == 200
    assert again.json() == {"status": "APPLIED", "messageId": message_id, "duplicate": True}
    assert changed.status_code == 409
    assert changed.json()["code"] == "MESSAGE_ID_REUSED"
    assert [t for t, _ in await _events(submitted["number"])].count("PROGRESS") == 1
    assert await ExchangeCallback.filter(message_id=message_id).count() == 1


async def test_the_same_callback_sent_five_times_at_once_is_applied_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await _systems(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    body = callback_body(submitted["number"], "TASK_OUTCOME", outcome="APPROVED")
    message_id = str(uuid.uuid4())

    answers = await asyncio.gather(
        *[_send(seeded, LEAD_SYSTEM, body, message_id=message_id) for _ in range(5)]
    )

    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    assert sorted(a.json()["duplicate"] for a in answers) == [False, True, True, True, True]
    assert [t for t, _ in await _events(submitted["number"])].count("TASK_APPROVED") == 1
    assert await ExchangeCallback.filter(message_id=message_id).count() == 1


async def test_a_replayed_request_is_refused(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    await _systems(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    body = callback_body(submitted["number"], "PROGRESS", note="审查中")
    headers = sign_callback(LEAD_SYSTEM, SYSTEM_SECRET, body)

    first = await post_callback(seeded, body, headers)
    replayed = await post_callback(seeded, body, headers)  # the very same bytes and nonce

    assert first.status_code == 200
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "REPLAYED_NONCE"


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        ({"skew": -301}, "STALE_TIMESTAMP"),
        # Ahead by more than the window plus the time this test may take to reach the
        # server on a loaded machine (a past one only gets staler on the way).
        ({"skew": 330}, "STALE_TIMESTAMP"),
        ({"key_id": "nobody-knows-this-system"}, "UNKNOWN_SYSTEM"),
        ({"secret": "a-guessed-secret-0123456789abcdef"}, "BAD_SIGNATURE"),
        ({"drop": "X-Exchange-Signature"}, "BAD_ENVELOPE"),
        ({"header": ("X-Exchange-Algorithm", "SM2-SM3")}, "BAD_SIGNATURE"),
        ({"header": ("X-Exchange-Nonce", "short")}, "BAD_ENVELOPE"),
    ],
)
async def test_untrusted_callbacks_are_refused_with_401_and_change_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient, tamper: dict[str, Any], code: str
) -> None:
    await _systems(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    body = callback_body(submitted["number"], "TASK_OUTCOME", outcome="APPROVED")
    headers = sign_callback(
        tamper.get("key_id", LEAD_SYSTEM),
        tamper.get("secret", SYSTEM_SECRET),
        body,
        timestamp=int(time.time()) + tamper.get("skew", 0),
    )
    if "drop" in tamper:
        del headers[tamper["drop"]]
    if "header" in tamper:
        name, value = tamper["header"]
        headers[name] = value
    before = await _events(submitted["number"])

    response = await post_callback(seeded, body, headers)

    assert response.status_code == 401, response.text
    assert response.json()["code"] == code
    assert await _events(submitted["number"]) == before
    assert await ExchangeCallback.all().count() == 0


async def test_a_revoked_system_is_refused(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    await _systems(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    await ExchangeSystem.filter(key_id=LEAD_SYSTEM).update(active=False)

    response = await _send(
        seeded, LEAD_SYSTEM, callback_body(submitted["number"], "PROGRESS", note="审查中")
    )

    assert (response.status_code, response.json()["code"]) == (401, "UNKNOWN_SYSTEM")


async def test_unknown_applications_and_other_departments_work_are_404(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await _systems(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    stranger = await Department.exclude(
        code__in=[
            (await Department.get(id=(await implementation(HYGIENE)).department_id)).code,
            *(await implementation(HYGIENE)).cooperating_departments,
        ]
    ).first()
    assert stranger is not None
    await register_system(seeded, stranger.id, "some-other-bureau")

    unknown = await _send(
        seeded, LEAD_SYSTEM, callback_body("CD20990101000001", "PROGRESS", note="审查中")
    )
    not_theirs = await _send(
        seeded, "some-other-bureau", callback_body(submitted["number"], "PROGRESS", note="审查中")
    )

    assert (unknown.status_code, unknown.json()["code"]) == (404, "UNKNOWN_APPLICATION")
    assert (not_theirs.status_code, not_theirs.json()["code"]) == (404, "UNKNOWN_APPLICATION")
    assert unknown.json()["field"] == "applicationNumber"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b"not json", 400, "NOT_JSON", None),
        (b"[1, 2]", 400, "BAD_CALLBACK", None),
        (callback_body("CD1", "NOT_A_KIND"), 400, "BAD_CALLBACK", "kind"),
        (callback_body("CD-1'--", "PROGRESS", note="x"), 400, "BAD_CALLBACK", "applicationNumber"),
        (callback_body("{number}", "PROGRESS"), 400, "BAD_CALLBACK", "note"),
        (callback_body("{number}", "PROGRESS", note="长" * 501), 400, "BAD_CALLBACK", "note"),
        (
            callback_body("{number}", "TASK_OUTCOME", outcome="MAYBE"),
            400,
            "BAD_CALLBACK",
            "outcome",
        ),
        (callback_body("{number}", "TASK_OUTCOME", outcome="DENIED"), 400, "BAD_CALLBACK", "note"),
        (
            callback_body("{number}", "RESULT_DOCUMENT", document={"fileName": "a.pdf"}),
            400,
            "BAD_CALLBACK",
            "document.contentType",
        ),
        (
            callback_body(
                "{number}",
                "RESULT_DOCUMENT",
                document={"fileName": "a.pdf", "contentType": "application/pdf", "content": "@@"},
            ),
            400,
            "BAD_CALLBACK",
            "document.content",
        ),
    ],
)
async def test_malformed_callbacks_get_a_typed_400_and_change_nothing(
    seeded: RunningApp,
    wechat: httpx.AsyncClient,
    body: bytes,
    status: int,
    code: str,
    field: str | None,
) -> None:
    await _systems(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    body = body.replace(b"{number}", submitted["number"].encode())
    before = await _events(submitted["number"])

    response = await _send(seeded, LEAD_SYSTEM, body)

    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.json()["field"] == field
    assert response.json()["message"]  # zh-CN, for the system's operators
    assert await _events(submitted["number"]) == before


async def test_the_workflow_decides_what_a_system_may_do(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await _systems(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    number = submitted["number"]

    early_result = await _send(
        seeded,
        LEAD_SYSTEM,
        callback_body(number, "RESULT_DOCUMENT", document=result_document(pdf())),
    )
    partner_result = await _send(
        seeded,
        PARTNER_SYSTEM,
        callback_body(number, "RESULT_DOCUMENT", document=result_document(pdf())),
    )
    done = await _send(
        seeded, PARTNER_SYSTEM, callback_body(number, "TASK_OUTCOME", outcome="APPROVED")
    )
    twice = await _send(
        seeded, PARTNER_SYSTEM, callback_body(number, "TASK_OUTCOME", outcome="APPROVED")
    )

    assert (early_result.status_code, early_result.json()["code"]) == (409, "INVALID_STATE")
    # A partner never issues the result, whatever the state: refused for that first.
    assert (partner_result.status_code, partner_result.json()["code"]) == (403, "NOT_ALLOWED")
    assert done.status_code == 200
    assert (twice.status_code, twice.json()["code"]) == (409, "TASK_ALREADY_DONE")
    assert await ExchangeCallback.all().count() == 1  # refusals are not booked
    assert await Document.filter(kind="CERTIFICATE").count() == 0  # nothing left behind


async def test_only_the_single_window_issues_the_result(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    await _systems(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    number = submitted["number"]
    for key in (LEAD_SYSTEM, PARTNER_SYSTEM):
        approved = await _send(
            seeded, key, callback_body(number, "TASK_OUTCOME", outcome="APPROVED")
        )
        assert approved.status_code == 200

    partner = await _send(
        seeded,
        PARTNER_SYSTEM,
        callback_body(number, "RESULT_DOCUMENT", document=result_document(pdf())),
    )
    fake = await _send(
        seeded,
        LEAD_SYSTEM,
        callback_body(
            number,
            "RESULT_DOCUMENT",
            document={**result_document(b"MZ\x90\x00" + b"\x00" * 64), "fileName": "x.pdf"},
        ),
    )

    assert (partner.status_code, partner.json()["code"]) == (403, "NOT_ALLOWED")
    assert (fake.status_code, fake.json()["code"]) == (422, "RESULT_REFUSED")
    assert fake.json()["field"] == "document"
    assert (await Application.get(number=number)).status.value == "APPROVED"


async def test_a_body_over_the_cap_is_refused_before_it_is_read_whole(
    seeded: RunningApp,
) -> None:
    cap = seeded.settings.exchange_callback_max_bytes
    body = b"{" + b" " * cap + b"}"

    response = await post_callback(seeded, body, sign_callback(LEAD_SYSTEM, SYSTEM_SECRET, body))

    assert (response.status_code, response.json()["code"]) == (413, "TOO_LARGE")


async def test_refusals_are_logged_without_personal_data(
    seeded: RunningApp, wechat: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    await _systems(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    body = callback_body(
        submitted["number"], "PROGRESS", note="申请人张三，身份证 11010519491231002X"
    )
    caplog.set_level(logging.INFO, logger="resolvers.callbacks")

    await post_callback(
        seeded, body, sign_callback(LEAD_SYSTEM, "wrong-secret-0123456789abcdef", body)
    )
    await _send(seeded, LEAD_SYSTEM, body)

    text = caplog.text
    assert "exchange callback refused: BAD_SIGNATURE" in text
    assert "exchange callback applied: PROGRESS" in text
    assert "张三" not in text
    assert "11010519491231002X" not in text


async def test_an_sm2_system_signs_its_callbacks_with_sm2(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    private, public = generate_sm2_keypair()
    item = await implementation(HYGIENE)
    await ExchangeSystem.create(
        key_id="sm2-system",
        department_id=item.department_id,
        algorithm=SigningAlgorithm.SM2_SM3,
        public_key=public,
    )
    submitted, _, _ = await accepted_application(seeded, wechat)
    body = callback_body(submitted["number"], "PROGRESS", note="国密签名")
    signer = Sm2Sm3(public_key=public, private_key=private)
    headers = envelope.seal(signer, system="sm2-system", message_id=str(uuid.uuid4()), body=body)
    other_private, other_public = generate_sm2_keypair()  # somebody else's key pair
    forged = envelope.seal(
        Sm2Sm3(public_key=other_public, private_key=other_private),
        system="sm2-system",
        message_id=str(uuid.uuid4()),
        body=body,
    )

    good = await post_callback(seeded, body, headers)
    bad = await post_callback(seeded, body, forged)

    assert good.status_code == 200, good.text
    assert (bad.status_code, bad.json()["code"]) == (401, "BAD_SIGNATURE")


async def test_a_system_registered_from_the_command_line_can_call_back(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    item = await implementation(HYGIENE)
    lead = await Department.get(id=item.department_id)
    submitted, _, _ = await accepted_application(seeded, wechat)

    added = rongban(
        seeded.settings,
        "exchange",
        "system",
        "add",
        "cli-registered",
        "--department",
        lead.code.lower(),
        "--name",
        "审批系统",
    )
    secret = added.stdout.rsplit(": ", 1)[-1].strip()
    listed = rongban(seeded.settings, "exchange", "system", "list")
    body = callback_body(submitted["number"], "PROGRESS", note="审查中")
    accepted = await post_callback(seeded, body, sign_callback("cli-registered", secret, body))
    revoked = rongban(seeded.settings, "exchange", "system", "revoke", "cli-registered")
    refused = await post_callback(seeded, body, sign_callback("cli-registered", secret, body))

    assert added.returncode == 0, added.stderr
    assert "cli-registered" in listed.stdout
    assert lead.code in listed.stdout
    stored = await ExchangeSystem.get(key_id="cli-registered")
    assert secret not in (stored.secret_sealed or "")
    assert accepted.status_code == 200, accepted.text
    assert revoked.returncode == 0
    assert (refused.status_code, refused.json()["code"]) == (401, "UNKNOWN_SYSTEM")


async def test_when_our_side_cannot_check_a_callback_it_is_503_not_accepted(
    seeded: RunningApp, wechat: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _systems(seeded)
    submitted, _, _ = await accepted_application(seeded, wechat)
    body = callback_body(submitted["number"], "PROGRESS", note="审查中")
    await ExchangeSystem.filter(key_id=PARTNER_SYSTEM).update(secret_sealed="not-sealed-by-us")

    unreadable = await _send(seeded, PARTNER_SYSTEM, body)

    async def redis_down(*args: Any, **kwargs: Any) -> None:
        raise RedisError("connection refused")

    monkeypatch.setattr(seeded.resources.redis, "set", redis_down)
    no_nonce_store = await _send(seeded, LEAD_SYSTEM, body)

    assert (unreadable.status_code, unreadable.json()["code"]) == (503, "UNAVAILABLE")
    assert (no_nonce_store.status_code, no_nonce_store.json()["code"]) == (503, "UNAVAILABLE")
    assert [t for t, _ in await _events(submitted["number"])].count("PROGRESS") == 0
