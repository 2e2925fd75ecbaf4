"""The local store's /uploads and /files endpoints enforce what an S3 POST policy and a
presigned GET would: signature, expiry, key, content type and size (moto checks none)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest

from storage.models.documents import Document, DocumentStatus
from storage.objects import MAX_TICKET_FIELDS, UploadTicket
from tests.conftest import RunningApp
from tests.documents.conftest import jpeg, objects_root, post_form, signed_in, stored_files

MIB = 1024 * 1024


@pytest.fixture
async def ticket(running: RunningApp, wechat: httpx.AsyncClient) -> dict:
    program = await signed_in(running, wechat, "a")
    return await program.request_upload("PHOTO", "me.jpg", "image/jpeg", 4096)


async def test_a_ticket_holds_at_most_its_declared_fields(ticket: dict) -> None:
    assert 0 < len(ticket["fields"]) <= MAX_TICKET_FIELDS
    with pytest.raises(ValueError, match="at most"):
        UploadTicket(
            url="http://testserver/uploads",
            fields={f"x-{n}": "v" for n in range(MAX_TICKET_FIELDS + 1)},
            expires_at=datetime.now(UTC),
        )


def _assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert f"<Code>{code}</Code>" in response.text


async def test_a_tampered_signature_is_refused(running: RunningApp, ticket: dict) -> None:
    signature = next(f["value"] for f in ticket["fields"] if f["name"] == "signature")

    response = await post_form(
        running.client,
        ticket,
        jpeg(),
        signature=signature[:-2] + ("00" if signature[-2:] != "00" else "11"),
    )

    _assert_refused(response, 403, "SignatureDoesNotMatch")
    assert stored_files(objects_root(running)) == []


async def test_a_policy_with_a_raised_limit_is_refused(running: RunningApp, ticket: dict) -> None:
    import base64

    import orjson

    fields = {f["name"]: f["value"] for f in ticket["fields"]}
    policy = orjson.loads(base64.urlsafe_b64decode(fields["policy"]))
    policy["max"] = 100 * MIB
    forged = base64.urlsafe_b64encode(orjson.dumps(policy)).decode()

    response = await post_form(running.client, ticket, jpeg(), policy=forged)

    _assert_refused(response, 403, "SignatureDoesNotMatch")


async def test_another_key_is_refused(running: RunningApp, ticket: dict) -> None:
    row = await Document.get()
    other_key = f"quarantine/{row.owner_id}/00000000-0000-4000-8000-000000000000"

    response = await post_form(running.client, ticket, jpeg(), key=other_key)
    traversal = await post_form(running.client, ticket, jpeg(), key="../../etc/passwd")

    _assert_refused(response, 403, "AccessDenied")
    _assert_refused(traversal, 403, "AccessDenied")
    assert stored_files(objects_root(running)) == []


async def test_another_content_type_is_refused(running: RunningApp, ticket: dict) -> None:
    response = await post_form(running.client, ticket, jpeg(), **{"Content-Type": "text/html"})

    _assert_refused(response, 403, "AccessDenied")


async def test_an_expired_ticket_is_refused(
    running: RunningApp, ticket: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = time.time() + 601
    monkeypatch.setattr("storage.objects.time.time", lambda: later)

    response = await post_form(running.client, ticket, jpeg())

    _assert_refused(response, 403, "AccessDenied")
    assert stored_files(objects_root(running)) == []


async def test_a_file_larger_than_declared_is_cut_off(running: RunningApp, ticket: dict) -> None:
    response = await post_form(running.client, ticket, jpeg(4097))

    _assert_refused(response, 400, "EntityTooLarge")
    assert stored_files(objects_root(running)) == []  # no partial file either


async def test_an_empty_file_is_refused(running: RunningApp, ticket: dict) -> None:
    response = await post_form(running.client, ticket, b"")

    _assert_refused(response, 400, "EntityTooSmall")


async def test_bodies_beyond_every_limit_are_refused_before_reading(
    running: RunningApp, ticket: dict
) -> None:
    response = await running.client.post(
        "/uploads",
        content=b"x" * 100,
        headers={
            "content-type": "multipart/form-data; boundary=x",
            "content-length": str(50 * MIB),
        },
    )

    _assert_refused(response, 400, "EntityTooLarge")


async def test_uploads_have_their_own_limit_not_the_graphql_body_cap(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    data = jpeg(3 * MIB)

    result = await program.upload_document("ID_CARD_FRONT", "big.jpg", "image/jpeg", data)
    graphql = await running.client.post(
        "/graphql",
        content=b"{" + b" " * (2 * MIB) + b"}",
        headers={"content-type": "application/json"},
    )

    assert result["upload"] == 204
    assert (await Document.get()).original_size == len(data)
    assert graphql.status_code == 413


async def test_uploading_twice_is_refused_and_keeps_the_first_file(
    running: RunningApp, ticket: dict
) -> None:
    first = await post_form(running.client, ticket, jpeg(4096))
    second = await post_form(running.client, ticket, jpeg(100))

    assert first.status_code == 204
    _assert_refused(second, 409, "ObjectExists")
    row = await Document.get()
    path = objects_root(running) / row.object_key
    assert path.read_bytes() == jpeg(4096)


async def test_a_ticket_is_dead_once_its_document_is_confirmed(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    result = await program.upload_document("PHOTO", "me.jpg", "image/jpeg", jpeg())

    again = await post_form(running.client, result["ticket"], jpeg())

    _assert_refused(again, 409, "InvalidObjectState")
    row = await Document.get()
    assert stored_files(objects_root(running)) == [f"documents/{row.owner_id}/{row.id}"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"not a form", "application/octet-stream"),
        (
            b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n",
            "multipart/form-data; boundary=x",
        ),
        (b"garbage", "multipart/form-data"),
    ],
)
async def test_malformed_forms_are_refused(
    running: RunningApp, body: bytes, content_type: str
) -> None:
    response = await running.client.post(
        "/uploads", content=body, headers={"content-type": content_type}
    )

    _assert_refused(response, 400, "MalformedPOSTRequest")


async def test_the_file_must_be_the_file_field(running: RunningApp, ticket: dict) -> None:
    fields = {f["name"]: f["value"] for f in ticket["fields"]}

    response = await running.client.post(
        ticket["url"], data=fields, files={"photo": ("a.jpg", jpeg(), "image/jpeg")}
    )

    _assert_refused(response, 400, "MalformedPOSTRequest")


# -- downloads


async def _available(running: RunningApp, wechat: httpx.AsyncClient) -> dict:
    program = await signed_in(running, wechat, "a")
    result = await program.upload_document("PHOTO", "证件照.jpg", "image/jpeg", jpeg())
    return dict(result["confirm"])


async def test_a_tampered_download_token_is_refused(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    url = (await _available(running, wechat))["downloadUrl"]
    sealed, _, signature = url.rpartition(".")

    forged_signature = await running.client.get(f"{sealed}.{'0' * len(signature)}")
    forged_payload = await running.client.get(f"{sealed[:-4]}AAAA.{signature}")

    _assert_refused(forged_signature, 403, "SignatureDoesNotMatch")
    _assert_refused(forged_payload, 403, "SignatureDoesNotMatch")


async def test_a_download_url_expires_within_five_minutes(
    running: RunningApp, wechat: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = (await _available(running, wechat))["downloadUrl"]
    later = time.time() + 301
    monkeypatch.setattr("storage.objects.time.time", lambda: later)

    response = await running.client.get(url)

    _assert_refused(response, 403, "AccessDenied")


async def test_the_download_url_shows_neither_key_nor_name(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    url = (await _available(running, wechat))["downloadUrl"]
    row = await Document.get()

    assert str(row.owner_id) not in url
    assert str(row.id) not in url
    assert "%E8%AF%81" not in url
    assert "证" not in url
    assert row.status is DocumentStatus.AVAILABLE
