"""publishImplementation: the guide checks, 三级四同, versions, caches and concurrency."""

from __future__ import annotations

import asyncio

import pytest

from storage.models.catalogue import Implementation, PublicationStatus
from tests.catalogue.editing import (
    PUBLISH,
    UPSERT,
    guide_input,
    officer_of,
    resident_token,
    staff_token,
    unaliased,
)
from tests.conftest import RunningApp

OFFICE = "锦江区行政审批局"


async def draft(app: RunningApp, token: str, **input: object) -> dict:
    result = (await app.gql.data(UPSERT, {"input": input}, token=token))["upsertImplementation"]
    assert result["__typename"] == "Service", result
    return dict(result)


async def publish(app: RunningApp, token: str, code: str, justification: str | None = None) -> dict:
    variables = {"input": {"code": code, "justification": justification}}
    return unaliased((await app.gql.data(PUBLISH, variables, token=token))["publishImplementation"])


async def test_publishing_replaces_the_live_version(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, OFFICE)
    pending = await draft(seeded, token, **guide_input(department.code, promisedDays=2))

    live = await publish(seeded, token, pending["code"])

    assert live == {
        "__typename": "Service",
        "code": pending["code"],
        "version": pending["version"],
        "status": "PUBLISHED",
        "publishedAt": live["publishedAt"],
    }
    statuses = (
        await Implementation.filter(code=pending["code"])
        .order_by("version")
        .values_list("status", flat=True)
    )
    assert [str(s) for s in statuses] == ["ARCHIVED", "PUBLISHED"]
    public = await seeded.gql.data(
        "query($c: String!) { service(code: $c) { promisedDays } }", {"c": pending["code"]}
    )
    assert public["service"]["promisedDays"] == 2


async def test_anonymous_cached_answers_change_when_a_guide_is_published(
    seeded: RunningApp,
) -> None:
    token, department = await officer_of(seeded, OFFICE)
    pending = await draft(seeded, token, **guide_input(department.code, promisedDays=1))
    query = "query($c: String!) { service(code: $c) { promisedDays } }"
    before = await seeded.gql.data(query, {"c": pending["code"]})  # now cached

    await publish(seeded, token, pending["code"])
    after = await seeded.gql.data(query, {"c": pending["code"]})

    assert before["service"]["promisedDays"] != 1
    assert after["service"]["promisedDays"] == 1


@pytest.mark.parametrize(
    ("override", "rule", "field"),
    [
        (
            {"onlineDepth": 4, "visits": 1, "visitReason": "现场核验"},
            "FULLY_ONLINE_MEANS_ZERO_VISITS",
            "visits",
        ),
        ({"onlineDepth": 3, "visits": 1}, "VISIT_NEEDS_REASON", "visitReason"),
        ({"fee": "10元/件"}, "FEE_NEEDS_BASIS", "feeBasis"),
        ({"promisedDays": 20}, "PROMISED_WITHIN_STATUTORY", "promisedDays"),
        ({"handlingType": "IMMEDIATE"}, "IMMEDIATE_MEANS_ZERO_DAYS", "promisedDays"),
        ({"complaintPhone": ""}, "GUIDE_FIELD_REQUIRED", "complaintPhone"),
        ({"channels": []}, "GUIDE_FIELD_REQUIRED", "channels"),
        (
            {"materials": [{"name": "申请书", "necessity": "REQUIRED", "source": "APPLICANT"}]},
            "REQUIRED_MATERIAL_NEEDS_KIND",
            "materials[0].documentKind",
        ),
        (
            {
                "materials": [
                    {
                        "name": "营业执照",
                        "necessity": "OPTIONAL",
                        "source": "GOVERNMENT",
                        "documentKind": "BUSINESS_LICENCE",
                    }
                ]
            },
            "GOVERNMENT_MATERIAL_NEEDS_ISSUER",
            "materials[0].issuingItemCode",
        ),
    ],
)
async def test_each_guide_rule_stops_publication_and_changes_nothing(
    seeded: RunningApp, override: dict, rule: str, field: str
) -> None:
    token, department = await officer_of(seeded, OFFICE)
    pending = await draft(seeded, token, **guide_input(department.code, **override))

    result = await publish(seeded, token, pending["code"])

    assert result["code"] == "GUIDE_CHECK_FAILED"
    assert {"rule": rule, "field": field} in [
        {"rule": v["rule"], "field": v["field"]} for v in result["violations"]
    ]
    assert all(v["message"] for v in result["violations"])
    still = await Implementation.get(code=pending["code"], version=pending["version"])
    assert still.status is PublicationStatus.DRAFT


async def test_a_divergent_guide_needs_a_justification(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, OFFICE)
    pending = await draft(seeded, token, **guide_input(department.code, name="餐饮服务许可"))

    refused = await publish(seeded, token, pending["code"])
    accepted = await publish(
        seeded, token, pending["code"], "本区沿用餐饮服务许可名称，待省级目录调整。"
    )

    assert refused["code"] == "DIVERGENCE_NEEDS_JUSTIFICATION"
    assert refused["field"] == "justification"
    # It says what diverged, and where.
    assert [(v["rule"], v["field"]) for v in refused["violations"]] == [("DIVERGENT_NAME", "name")]
    assert "基本目录" in refused["violations"][0]["message"]
    assert accepted["status"] == "PUBLISHED"
    report = await seeded.gql.data(
        '{ catalogueDivergences(regionCode: "510104") { service { name } fields justification } }',
        token=await staff_token(seeded, "demo-admin"),
    )
    assert report["catalogueDivergences"] == [
        {
            "service": {"name": "餐饮服务许可"},
            "fields": ["NAME"],
            "justification": "本区沿用餐饮服务许可名称，待省级目录调整。",
        }
    ]


async def test_divergences_are_for_staff_only(seeded: RunningApp) -> None:
    query = '{ catalogueDivergences(regionCode: "510104") { fields } }'
    resident = await seeded.gql(query, token=await resident_token(seeded))
    anonymous = await seeded.gql(query)

    assert resident.error_codes == ["FORBIDDEN"]
    assert anonymous.error_codes == ["UNAUTHENTICATED"]


async def test_nothing_to_publish_and_unknown_codes(seeded: RunningApp) -> None:
    token, _ = await officer_of(seeded, OFFICE)
    live = await Implementation.get(
        code__startswith="51000100010000-510104", status=PublicationStatus.PUBLISHED
    )

    assert (await publish(seeded, token, live.code))["code"] == "NOTHING_TO_PUBLISH"
    assert (await publish(seeded, token, "NO-SUCH-CODE"))["code"] == "NOT_FOUND"


async def test_another_departments_draft_cannot_be_published(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, OFFICE)
    pending = await draft(seeded, token, **guide_input(department.code))
    stranger, _ = await officer_of(seeded, "青羊区行政审批局")

    assert (await publish(seeded, stranger, pending["code"]))["code"] == "FORBIDDEN"


async def test_two_publications_at_once_publish_one_version(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, OFFICE)
    pending = await draft(seeded, token, **guide_input(department.code))

    results = await asyncio.gather(*(publish(seeded, token, pending["code"]) for _ in range(4)))

    assert sorted(r["__typename"] for r in results) == ["PublishImplementationError"] * 3 + [
        "Service"
    ]
    assert {r["code"] for r in results if r["__typename"] != "Service"} == {"NOTHING_TO_PUBLISH"}
    assert (
        await Implementation.filter(
            code=pending["code"], status=PublicationStatus.PUBLISHED
        ).count()
        == 1
    )
