"""A guide's structured fee items as staff write them (upsertImplementation) and residents
read them (Service.feeItems): who charges, at which step, which rules waive them."""

from __future__ import annotations

from typing import Any

from storage.models.catalogue import Implementation, PublicationStatus
from tests.catalogue.editing import UPSERT, guide_input, officer_of, unaliased
from tests.conftest import RunningApp

LICENSING_OFFICE = "锦江区行政审批局"
DIBAO = {"code": "DIBAO", "name": "最低生活保障对象", "basis": "演示规定"}


async def _upsert(app: RunningApp, token: str, fee_items: list[dict[str, Any]]) -> dict[str, Any]:
    department = (await officer_of(app, LICENSING_OFFICE))[1]
    values = guide_input(department.code, feeItems=fee_items)
    found: dict[str, Any] = unaliased(
        (await app.gql.data(UPSERT, {"input": values}, token=token))["upsertImplementation"]
    )
    return found


async def test_fee_items_carry_their_step_and_exemptions(seeded: RunningApp) -> None:
    token, _ = await officer_of(seeded, LICENSING_OFFICE)
    item = {
        "name": "许可证工本费",
        "amountFen": 1000,
        "legalBasis": "演示依据",
        "chargedAt": "BEFORE_RESULT",
        "exemptions": [DIBAO],
    }
    saved = await _upsert(seeded, token, [item])
    assert saved["__typename"] == "Service", saved
    draft = await Implementation.get(code=saved["code"], status=PublicationStatus.DRAFT)
    assert draft.fee_items == [
        {
            "name": "许可证工本费",
            "amountFen": 1000,
            "unit": "",
            "legalBasis": "演示依据",
            "chargedAt": "BEFORE_RESULT",
            "exemptions": [DIBAO],
        }
    ]


async def test_bad_fee_items_are_refused_field_by_field(seeded: RunningApp) -> None:
    token, _ = await officer_of(seeded, LICENSING_OFFICE)
    before = await Implementation.all().count()
    refused = await _upsert(
        seeded,
        token,
        [
            {
                "name": "许可证工本费",
                "amountFen": 1000,
                "legalBasis": "演示依据",
                "chargingDepartment": "not-a-credit-code",
                "exemptions": [{"code": "dibao", "name": ""}],
            }
        ],
    )
    assert refused["__typename"] == "UpsertImplementationError", refused
    fields = {v["field"] for v in refused["violations"]}
    assert {"feeItems[0].chargingDepartment", "feeItems[0].exemptions[0]"} <= fields
    assert await Implementation.all().count() == before


async def test_residents_read_the_step_and_the_exemptions(seeded: RunningApp) -> None:
    found = await seeded.gql.data(
        "query($c: String!, $r: String) { service(code: $c, regionCode: $r) { feeItems { name "
        "amountFen chargedAt exemptions { code name } } } }",
        {"c": "51002000020000", "r": "510104"},
    )
    assert found["service"]["feeItems"] == [
        {
            "name": "居民身份证工本费",
            "amountFen": 2000,
            "chargedAt": "ON_SUBMISSION",
            "exemptions": [{"code": "DIBAO", "name": "最低生活保障对象"}],
        }
    ]
