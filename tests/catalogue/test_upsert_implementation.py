"""upsertImplementation: drafts beside the live guide, permissions, validation by field."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from storage.models.catalogue import Implementation, PublicationStatus
from tests.catalogue.editing import (
    UPSERT,
    guide_input,
    officer_of,
    resident_token,
    staff_token,
    unaliased,
)
from tests.conftest import RunningApp

LICENSING_OFFICE = "锦江区行政审批局"
# A well-formed credit code that belongs to no department here.
STRANGER = "91510100MA6CQ3WA2" + uscc.calc_check_digit("91510100MA6CQ3WA2")


async def upsert(app: RunningApp, token: str | None, **input: object) -> dict:
    return unaliased(
        (await app.gql.data(UPSERT, {"input": input}, token=token))["upsertImplementation"]
    )


async def test_a_draft_is_written_beside_the_live_version(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, LICENSING_OFFICE)
    live = await Implementation.get(
        code__startswith="51000100010000-510104", status=PublicationStatus.PUBLISHED
    )

    draft = await upsert(seeded, token, **guide_input(department.code, promisedDays=2))

    assert draft["__typename"] == "Service"
    assert draft["code"] == live.code
    assert draft["version"] == live.version + 1
    assert draft["status"] == "DRAFT"
    assert draft["name"] == "食品经营许可"  # inherited from the base item (三级四同)
    public = await seeded.gql.data(
        "query($c: String!) { service(code: $c) { version promisedDays } }", {"c": live.code}
    )
    assert public["service"] == {"version": live.version, "promisedDays": live.promised_days}


async def test_editing_the_draft_again_keeps_one_draft(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, LICENSING_OFFICE)
    first = await upsert(seeded, token, **guide_input(department.code))

    second = await upsert(
        seeded, token, **guide_input(department.code, promisedDays=1, materials=[])
    )

    assert second["version"] == first["version"]
    assert second["materials"] == []
    drafts = await Implementation.filter(code=first["code"], status=PublicationStatus.DRAFT).count()
    assert drafts == 1


async def test_admins_may_edit_any_department(seeded: RunningApp) -> None:
    _, department = await officer_of(seeded, LICENSING_OFFICE)
    admin = await staff_token(seeded, "demo-admin")

    result = await upsert(seeded, admin, **guide_input(department.code))

    assert result["__typename"] == "Service"


@pytest.mark.parametrize("who", ["other-officer", "resident", "anonymous"])
async def test_only_the_departments_staff_or_admins_may_edit(seeded: RunningApp, who: str) -> None:
    _, department = await officer_of(seeded, LICENSING_OFFICE)
    tokens = {
        "other-officer": (await officer_of(seeded, "青羊区行政审批局"))[0],
        "resident": await resident_token(seeded),
        "anonymous": None,
    }

    result = await upsert(seeded, tokens[who], **guide_input(department.code))

    assert result["code"] == ("UNAUTHENTICATED" if who == "anonymous" else "FORBIDDEN")
    assert await Implementation.filter(status=PublicationStatus.DRAFT).count() == 0


async def test_every_invalid_field_is_listed_at_once(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, LICENSING_OFFICE)

    result = await upsert(
        seeded,
        token,
        **guide_input(
            department.code,
            statutoryDays=-1,
            onlineDepth=7,
            phone="call me",
            conditions="nul\u0000byte",
            materials=[
                {
                    "name": "",
                    "necessity": "REQUIRED",
                    "source": "APPLICANT",
                    "documentKind": "PASSPORT",
                }
            ],
            formSchema={"type": "not-a-type"},
        ),
    )

    assert result["code"] == "INVALID_INPUT"
    fields = {v["field"] for v in result["violations"]}
    assert fields == {
        "statutoryDays",
        "onlineDepth",
        "phone",
        "conditions",
        "materials[0].name",
        "materials[0].documentKind",
        "formSchema",
    }
    assert await Implementation.filter(status=PublicationStatus.DRAFT).count() == 0


@pytest.mark.parametrize(
    ("override", "code", "field"),
    [
        ({"baseCode": "99999999999999"}, "UNKNOWN_BASE_ITEM", "baseCode"),
        ({"regionCode": "510199"}, "UNKNOWN_REGION", "regionCode"),
        ({"departmentCode": STRANGER}, "UNKNOWN_DEPARTMENT", "departmentCode"),
        ({"departmentCode": "not-a-credit-code"}, "INVALID_INPUT", "departmentCode"),
        ({"cooperatingDepartments": [STRANGER]}, "UNKNOWN_DEPARTMENT", "cooperatingDepartments[0]"),
    ],
)
async def test_references_must_exist(
    seeded: RunningApp, override: dict, code: str, field: str
) -> None:
    token, department = await officer_of(seeded, LICENSING_OFFICE)

    result = await upsert(seeded, token, **guide_input(department.code, **override))

    assert result["code"] == code
    assert result["field"] == field
