"""submitApplication: forms, materials, channels, idempotency; every rejection stores nothing."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
import pytest
from strawberry import relay

from resolvers.settings import Settings
from storage.models.applications import Application
from storage.models.catalogue import MaterialSource, Necessity
from storage.repositories.catalogue import materials_of
from tests.applications.conftest import (
    FOOD,
    HYGIENE,
    SUBMIT,
    implementation,
    submit,
    upload,
    verified_resident,
)
from tests.conftest import RunningApp
from tests.documents.conftest import count_rows, signed_in


async def test_a_form_that_fails_its_schema_names_every_field(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "food")
    documents = [await upload(program, "ID_CARD_FRONT")] + [
        await upload(program, "OTHER") for _ in range(3)
    ]

    result = await submit(
        seeded,
        program,
        serviceCode=FOOD[0],
        regionCode=FOOD[1],
        documentIds=documents,
        form={"businessScope": ["卖火箭"], "seats": -1},
    )

    assert result["__typename"] == "SubmitApplicationError"
    assert result["code"] == "INVALID_FORM"
    assert set(result["fields"]) == {"form.shopName", "form.businessScope[0]", "form.seats"}
    assert await count_rows("application") == 0


async def test_a_valid_form_is_kept_sealed_and_shown_to_its_owner(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "food")
    documents = [await upload(program, "ID_CARD_FRONT")] + [
        await upload(program, "OTHER") for _ in range(3)
    ]
    form = {"shopName": "蓉城小面", "businessScope": ["热食类食品制售"], "seats": 12}

    result = await submit(
        seeded, program, serviceCode=FOOD[0], regionCode=FOOD[1], documentIds=documents, form=form
    )

    assert result["__typename"] == "Application", result
    assert result["form"] == form
    stored = await Application.get(id=UUID(relay.GlobalID.from_id(result["id"]).node_id))
    assert stored.form_sealed
    assert "蓉城小面" not in stored.form_sealed


async def test_a_missing_required_material_is_named(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")

    result = await submit(seeded, program, documentIds=[await upload(program, "OTHER")])

    assert result["code"] == "MATERIAL_MISSING"
    assert result["field"].startswith("materials[")
    assert await count_rows("application") == 0


async def test_every_missing_required_material_is_named_at_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    """Not only the first: the resident fixes them all in one go."""
    program = await verified_resident(seeded, wechat, "a")
    item = await implementation(HYGIENE)
    materials = sorted(await materials_of([item.id]), key=lambda m: m.position)
    expected = [
        f"materials[{index}]"
        for index, material in enumerate(materials)
        if material.necessity is Necessity.REQUIRED
        and material.source is not MaterialSource.GOVERNMENT
    ]
    assert len(expected) >= 2  # the guide asks for several, or this proves nothing

    response = await seeded.gql(
        SUBMIT,
        {
            "input": {
                "serviceCode": HYGIENE[0],
                "regionCode": HYGIENE[1],
                "documentIds": [],
                "channel": "MINI_PROGRAM",
            }
        },
        token=program.token,
    )
    result = response.data["submitApplication"]

    assert result["code"] == "MATERIAL_MISSING"
    assert result["fields"] == expected
    assert result["field"] == expected[0]
    assert await count_rows("application") == 0


@pytest.mark.parametrize("case", ["wrong-kind", "someone-elses", "not-a-document"])
async def test_documents_must_be_mine_and_asked_for(
    seeded: RunningApp, wechat: httpx.AsyncClient, case: str
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    other = await signed_in(seeded, wechat, "b")
    documents = [await upload(program, "ID_CARD_FRONT"), await upload(program, "OTHER")]
    if case == "wrong-kind":
        documents.append(await upload(program, "PHOTO"))
        expected = "DOCUMENT_NOT_REQUESTED"
    elif case == "someone-elses":
        documents.append(await upload(other, "OTHER"))
        expected = "DOCUMENT_NOT_FOUND"
    else:
        documents.append("QXBwbGljYXRpb246MQ==")
        expected = "DOCUMENT_NOT_FOUND"

    result = await submit(seeded, program, documentIds=documents)

    assert result["code"] == expected
    assert result["field"] == "documentIds[2]"
    assert await count_rows("application") == 0
    assert await count_rows("outbox_message") == 0


async def test_residents_without_real_name_and_claimed_channels_are_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    anonymous = await signed_in(seeded, wechat, "x")
    verified = await verified_resident(seeded, wechat, "y")

    unverified = await submit(seeded, anonymous, documentIds=[await upload(anonymous, "OTHER")])
    terminal = await submit(seeded, verified, channel="TERMINAL")

    assert unverified["code"] == "IDENTITY_NOT_VERIFIED"
    assert terminal["code"] == "CHANNEL_NOT_ALLOWED"
    assert terminal["field"] == "channel"


async def test_the_same_key_and_input_return_the_same_application(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    documents = [await upload(program, "ID_CARD_FRONT"), await upload(program, "OTHER")]

    first = await submit(seeded, program, documentIds=documents, idempotencyKey="k-1")
    again = await submit(seeded, program, documentIds=documents, idempotencyKey="k-1")
    changed = await submit(
        seeded, program, documentIds=documents, idempotencyKey="k-1", channel="MOBILE_APP"
    )

    assert first["__typename"] == again["__typename"] == "Application"
    assert again["id"] == first["id"]
    assert changed["code"] == "IDEMPOTENCY_CONFLICT"
    assert await count_rows("application") == 1


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    # Twenty at once from one account: past the per-account cap on concurrent executions,
    # which would answer some with TOO_MANY_REQUESTS before the key is even looked at.
    built: Settings = settings_factory(max_concurrent_per_account=32)
    return built


async def test_twenty_simultaneous_submissions_with_one_key_make_one_application(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    documents = [await upload(program, "ID_CARD_FRONT"), await upload(program, "OTHER")]
    variables = {
        "input": {
            "serviceCode": "51000100020000",
            "regionCode": "510104",
            "documentIds": documents,
            "channel": "MINI_PROGRAM",
            "idempotencyKey": "double-tap",
        }
    }

    responses = await asyncio.gather(
        *[seeded.gql(SUBMIT, variables, token=program.token) for _ in range(20)]
    )

    ids = {r.data["submitApplication"].get("id") for r in responses}
    assert len(ids) == 1, [r.body for r in responses]
    assert None not in ids
    assert await count_rows("application") == 1
    assert await count_rows("idempotency_record") == 1
