"""A guide a screen can show: structured fees, FAQs and a result sample, the department's phone,
the centres that handle it, and blank forms and samples to download."""

from __future__ import annotations

from typing import Any

import pytest

from api.seed import seed_demo
from storage.models.catalogue import Department, Implementation, Region, RegionLevel, ServiceCentre
from tests.catalogue.editing import (
    PUBLISH,
    UPSERT,
    guide_input,
    officer_of,
    resident_token,
    staff_token,
)
from tests.conftest import RunningApp
from tests.documents.conftest import pdf
from tests.sql import count_statements

GUIDE = """
query($code: String!, $region: String) {
  service(code: $code, regionCode: $region) {
    code name fee isFree phone consultationPhone resultSample
    feeItems { name amountFen unit legalBasis }
    faqs { question answer }
    department { name }
    handlingCentres { name level address location { lat lng } hours windows phone }
    materials { name blankForm { url expiresAt fileName contentType size } sample { url fileName } }
  }
}
"""
ID_CARD = "51002000010000"
MARRIAGE = "51000700030000"
SOCIAL_SECURITY_CARD = "51002000060000"


async def guide(app: RunningApp, code: str, region: str | None = None, **kw: Any) -> dict:
    found = (await app.gql.data(GUIDE, {"code": code, "region": region}, **kw))["service"]
    assert found is not None
    return found


async def test_a_paid_guide_itemises_its_fee(catalogue: RunningApp) -> None:
    found = await guide(catalogue, ID_CARD, "510104")

    assert found["isFree"] is False
    assert found["feeItems"] == [
        {
            "name": "居民身份证工本费",
            "amountFen": 2000,
            "unit": "证",
            "legalBasis": found["feeItems"][0]["legalBasis"],
        }
    ]
    assert "居民身份证法" in found["feeItems"][0]["legalBasis"]
    assert found["fee"]


async def test_a_free_guide_says_so_and_never_an_empty_fee(catalogue: RunningApp) -> None:
    found = await guide(catalogue, MARRIAGE, "510104")

    assert found["isFree"] is True
    assert found["feeItems"] == []
    assert found["fee"] == "免费"


async def test_every_demo_guide_has_faqs_and_a_result_sample(catalogue: RunningApp) -> None:
    query = """query($region: String, $after: String) {
        services(filter: {regionCode: $region}, first: 50, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { code faqs { question } resultSample fee consultationPhone department { code } } } }"""
    # Every implementation: each district's list holds its own and the city's.
    found: dict[str, dict] = {}
    for region in await Region.filter(
        level__in=[RegionLevel.COUNTY, RegionLevel.ZONE], retired=False
    ):
        after = None
        while True:
            page = (await catalogue.gql.data(query, {"region": region.code, "after": after}))[
                "services"
            ]
            found.update((n["code"], n) for n in page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    nodes = list(found.values())
    phones = {d.code: d.phone for d in await Department.all()}

    assert len(nodes) == 240
    assert all(n["faqs"] for n in nodes)
    assert all(n["resultSample"].startswith("【演示样本】") for n in nodes)
    assert all(n["fee"] for n in nodes)
    assert all(n["consultationPhone"] == phones[n["department"]["code"]] for n in nodes)
    assert all(n["consultationPhone"] and n["consultationPhone"] != "12345" for n in nodes)


async def test_a_citywide_guide_is_handled_at_every_citywide_centre(catalogue: RunningApp) -> None:
    found = await guide(catalogue, SOCIAL_SECURITY_CARD, "510100")
    citywide = await ServiceCentre.filter(accepts_citywide=True).count()

    centres = found["handlingCentres"]
    assert len(centres) == citywide >= 23
    assert centres[0]["name"] == "成都市政务服务中心"
    assert [c["level"] for c in centres] == sorted(
        (c["level"] for c in centres), key=["CITY", "COUNTY", "STREET", "COMMUNITY"].index
    )
    for centre in centres:
        assert centre["address"]
        assert centre["hours"]
        assert centre["windows"]
        assert 30 < centre["location"]["lat"] < 31.5


async def test_a_district_guide_is_handled_at_the_districts_centre(catalogue: RunningApp) -> None:
    found = await guide(catalogue, MARRIAGE, "510104")

    assert [c["name"] for c in found["handlingCentres"]] == ["锦江区政务服务中心"]
    assert "窗口" in found["handlingCentres"][0]["windows"]


async def test_handling_centres_cost_the_same_statements_for_any_page(
    catalogue: RunningApp,
) -> None:
    query = """query($first: Int) { services(first: $first) { nodes {
        code consultationPhone handlingCentres { name region { code } } } } }"""

    async def statements(first: int) -> int:
        with count_statements() as counted:
            response = await catalogue.gql(query, {"first": first})
        assert not response.errors
        assert all(n["handlingCentres"] for n in response.data["services"]["nodes"])
        return counted.count

    assert await statements(2) == await statements(30) <= 5


async def test_a_guide_without_its_own_phone_gives_its_departments(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, "锦江区行政审批局")
    result = await seeded.gql.data(
        UPSERT, {"input": guide_input(department.code, phone="")}, token=token
    )
    draft = result["upsertImplementation"]
    assert draft["__typename"] == "Service", draft

    shown = (
        await seeded.gql.data(
            "query($id: ID!) { node(id: $id) { ... on Service { phone consultationPhone } } }",
            {"id": draft["id"]},
            token=token,
        )
    )["node"]

    assert shown == {"phone": "", "consultationPhone": department.phone}
    assert department.phone


FEES = """mutation($input: UpsertImplementationInput!) { upsertImplementation(input: $input) {
  __typename
  ... on Service { fee isFree feeItems { name amountFen unit legalBasis } }
  ... on UpsertImplementationError { message violations { rule field } }
} }"""


async def test_staff_write_fee_items_and_the_text_follows(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, "锦江区行政审批局")
    items = [
        {"name": "许可证工本费", "amountFen": 1050, "unit": "证", "legalBasis": "演示收费依据"}
    ]

    paid = await seeded.gql.data(
        FEES, {"input": guide_input(department.code, feeItems=items)}, token=token
    )
    free = await seeded.gql.data(
        FEES, {"input": guide_input(department.code, feeItems=[])}, token=token
    )
    bad = await seeded.gql.data(
        FEES,
        {"input": guide_input(department.code, feeItems=[{**items[0], "amountFen": 0}])},
        token=token,
    )

    assert paid["upsertImplementation"] == {
        "__typename": "Service",
        "fee": "许可证工本费 10.50 元/证",
        "isFree": False,
        "feeItems": items,
    }
    assert free["upsertImplementation"]["isFree"] is True
    assert free["upsertImplementation"]["fee"] == "免费"
    assert bad["upsertImplementation"]["__typename"] == "UpsertImplementationError"
    assert {"rule": "INVALID_FIELD", "field": "feeItems[0].amountFen"} in bad[
        "upsertImplementation"
    ]["violations"]


# -- blank forms and samples

REQUEST = """mutation($size: Int!) { requestDocumentUpload(input: {kind: OTHER,
  fileName: "食品经营许可申请书.pdf", contentType: "application/pdf", size: $size}) {
  __typename ... on DocumentUploadTicket { documentId url fields { name value } } } }"""
CONFIRM = """mutation($id: ID!) { confirmDocumentUpload(input: {documentId: $id}) {
  __typename ... on Document { id } } }"""
ATTACH = """mutation($input: AttachMaterialFileInput!) { attachMaterialFile(input: $input) {
  __typename
  ... on Material { name blankForm { fileName url } sample { fileName } }
  ... on AttachMaterialFileError { errorCode: code field }
} }"""


async def staff_upload(app: RunningApp, token: str, data: bytes) -> str:
    ticket = (await app.gql.data(REQUEST, {"size": len(data)}, token=token))[
        "requestDocumentUpload"
    ]
    assert ticket["__typename"] == "DocumentUploadTicket", ticket
    fields = {f["name"]: f["value"] for f in ticket["fields"]}
    posted = await app.client.post(
        ticket["url"], data=fields, files={"file": ("form.pdf", data, "application/pdf")}
    )
    assert posted.status_code in (200, 204), posted.text
    confirmed = (await app.gql.data(CONFIRM, {"id": ticket["documentId"]}, token=token))[
        "confirmDocumentUpload"
    ]
    assert confirmed["__typename"] == "Document", confirmed
    return str(confirmed["id"])


async def draft_food_licence(app: RunningApp) -> tuple[str, str, Department]:
    token, department = await officer_of(app, "锦江区行政审批局")
    result = await app.gql.data(UPSERT, {"input": guide_input(department.code)}, token=token)
    assert result["upsertImplementation"]["__typename"] == "Service", result
    return token, result["upsertImplementation"]["code"], department


async def test_staff_attach_a_blank_form_anyone_can_download(seeded: RunningApp) -> None:
    token, code, _ = await draft_food_licence(seeded)
    form, sample = pdf(3000), pdf(2500)
    form_id = await staff_upload(seeded, token, form)
    sample_id = await staff_upload(seeded, token, sample)

    attached = await seeded.gql.data(
        ATTACH,
        {"input": {"code": code, "material": 1, "role": "BLANK_FORM", "documentId": form_id}},
        token=token,
    )
    await seeded.gql.data(
        ATTACH,
        {"input": {"code": code, "material": 1, "role": "SAMPLE", "documentId": sample_id}},
        token=token,
    )
    published = await seeded.gql.data(PUBLISH, {"input": {"code": code}}, token=token)
    shown = await guide(seeded, code)

    assert attached["attachMaterialFile"]["blankForm"]["fileName"] == "食品经营许可申请书.pdf"
    assert published["publishImplementation"]["status"] == "PUBLISHED"
    plan, licence = shown["materials"][1], shown["materials"][0]
    assert licence["blankForm"] is None
    assert licence["sample"] is None
    assert plan["blankForm"]["fileName"] == "食品经营许可申请书.pdf"
    assert plan["blankForm"]["contentType"] == "application/pdf"
    assert plan["blankForm"]["size"] == len(form)
    downloaded = await seeded.client.get(plan["blankForm"]["url"])  # anonymous
    assert downloaded.status_code == 200
    assert downloaded.content == form
    assert (await seeded.client.get(plan["sample"]["url"])).content == sample


async def test_the_file_outlives_the_upload_and_carries_into_the_next_draft(
    seeded: RunningApp,
) -> None:
    token, code, department = await draft_food_licence(seeded)
    form = pdf(2222)
    form_id = await staff_upload(seeded, token, form)
    await seeded.gql.data(
        ATTACH,
        {"input": {"code": code, "material": 1, "role": "BLANK_FORM", "documentId": form_id}},
        token=token,
    )
    await seeded.gql.data(PUBLISH, {"input": {"code": code}}, token=token)
    deleted = await seeded.gql.data(
        "mutation($id: ID!) { deleteDocument(input: {documentId: $id}) { __typename } }",
        {"id": form_id},
        token=token,
    )
    # The next version, edited from scratch: the material of the same name keeps its form.
    edited = guide_input(department.code, conditions="已取得营业执照。")
    await seeded.gql.data(UPSERT, {"input": edited}, token=token)
    await seeded.gql.data(PUBLISH, {"input": {"code": code}}, token=token)

    shown = await guide(seeded, code)

    assert deleted["deleteDocument"]["__typename"] == "DeletedDocument", deleted
    assert (await Implementation.filter(code=code).count()) == 3  # the demo's, ours, the edit
    link = shown["materials"][1]["blankForm"]
    assert (await seeded.client.get(link["url"])).content == form


async def test_null_takes_the_file_off(seeded: RunningApp) -> None:
    token, code, _ = await draft_food_licence(seeded)
    form_id = await staff_upload(seeded, token, pdf())
    variables = {"code": code, "material": 0, "role": "BLANK_FORM", "documentId": form_id}
    await seeded.gql.data(ATTACH, {"input": variables}, token=token)

    off = await seeded.gql.data(ATTACH, {"input": {**variables, "documentId": None}}, token=token)

    assert off["attachMaterialFile"]["blankForm"] is None


@pytest.mark.parametrize("who", ["resident", "another district's officer"])
async def test_only_the_department_attaches_files(seeded: RunningApp, who: str) -> None:
    _, code, _ = await draft_food_licence(seeded)
    if who == "resident":
        caller = await resident_token(seeded)
    else:
        caller, _ = await officer_of(seeded, "青羊区行政审批局")
    form_id = await staff_upload(seeded, caller, pdf())

    response = await seeded.gql(
        ATTACH,
        {"input": {"code": code, "material": 0, "role": "SAMPLE", "documentId": form_id}},
        token=caller,
    )

    assert response.data["attachMaterialFile"]["errorCode"] == "FORBIDDEN"


async def test_an_upload_of_someone_else_is_not_found(seeded: RunningApp) -> None:
    token, code, _ = await draft_food_licence(seeded)
    admin = await staff_token(seeded, "demo-admin")
    theirs = await staff_upload(seeded, admin, pdf())

    response = await seeded.gql.data(
        ATTACH,
        {"input": {"code": code, "material": 0, "role": "SAMPLE", "documentId": theirs}},
        token=token,
    )

    assert response["attachMaterialFile"] == {
        "__typename": "AttachMaterialFileError",
        "errorCode": "NOT_FOUND",
        "field": "documentId",
    }


async def test_a_file_needs_a_draft_and_a_material(seeded: RunningApp) -> None:
    token, code, _ = await draft_food_licence(seeded)
    form_id = await staff_upload(seeded, token, pdf())

    no_material = await seeded.gql.data(
        ATTACH,
        {"input": {"code": code, "material": 9, "role": "SAMPLE", "documentId": form_id}},
        token=token,
    )
    no_draft = await seeded.gql.data(
        ATTACH,
        {"input": {"code": "NOPE-1", "material": 0, "role": "SAMPLE", "documentId": form_id}},
        token=token,
    )

    assert no_material["attachMaterialFile"] == {
        "__typename": "AttachMaterialFileError",
        "errorCode": "NOT_FOUND",
        "field": "material",
    }
    assert no_draft["attachMaterialFile"]["errorCode"] == "NOTHING_TO_PUBLISH"


async def test_seeding_again_fills_what_older_demo_databases_lack(seeded: RunningApp) -> None:
    guide_row = await Implementation.filter(code__startswith=f"{MARRIAGE}-510104").first()
    assert guide_row is not None
    department = await Department.get(id=guide_row.department_id)
    await Implementation.filter(id=guide_row.id).update(faqs=[], result_sample="", phone="12345")
    await Department.filter(id=department.id).update(phone="")
    await ServiceCentre.filter(name="锦江区政务服务中心").update(windows="")

    counts = await seed_demo(seeded.settings.model_copy(update={"demo_data": True}))
    again = await seed_demo(seeded.settings.model_copy(update={"demo_data": True}))

    refreshed = await Implementation.get(id=guide_row.id)
    assert counts["guidesFilled"] == 3
    assert again["guidesFilled"] == 0
    assert refreshed.faqs
    assert refreshed.result_sample
    assert refreshed.phone == (await Department.get(id=department.id)).phone != ""
    assert (await ServiceCentre.get(name="锦江区政务服务中心")).windows
