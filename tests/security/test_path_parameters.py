"""Every path parameter is bounded and checked against its format before it is used or
logged, and refused with the route's own typed 4xx: Open311's error list (JSON or XML), the
provider API's `{"error": {...}}`, the local store's S3 XML error."""

from __future__ import annotations

from urllib.parse import quote
from xml.etree import ElementTree

import httpx
import pytest
from starlette.routing import Route

from tests.conftest import RunningApp
from tests.providers.conftest import api_key, bearer, ensure_themes, member_of_approved_provider

HEX64 = "0123456789abcdef" * 4
# Path values no route may take: too long, a line break, a quote, spaces, non-ASCII.
BAD_VALUES = {
    "too long": "A" * 300,
    "line break": "SQ1\n2026-01-01 ERROR forged",
    "carriage return": "SQ1\rx",
    "quote": "SQ1'--",
    "space": "SQ 1",
    "non-ASCII": "张三13812345678",
    "NUL": "SQ1\x00",
}
# Every route with path parameters and the test that covers it: a new one fails here until
# its parameters are bounded and tested.
COVERED = {
    "/files/{token}",
    "/open311/discovery.{format}",
    "/open311/v2/services.{format}",
    "/open311/v2/services/{code}.{format}",
    "/open311/v2/requests.{format}",
    "/open311/v2/requests/{id}.{format}",
    "/provider-api/v1/services/{service_id}",
    "/provider-api/v1/services/{service_id}/submit",
    "/provider-api/v1/webhooks/{webhook_id}/deliveries",
    "/provider-api/v1/webhooks/{webhook_id}/test",
}


def test_every_route_with_path_parameters_is_covered(running: RunningApp) -> None:
    with_parameters = {
        route.path
        for route in running.app.routes
        if isinstance(route, Route) and route.param_convertors
    }

    assert with_parameters == COVERED


def _open311_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list)
    assert len(body) == 1
    assert body[0]["code"] == status
    return str(body[0]["description"])


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
async def test_open311_request_ids_are_bounded(running: RunningApp, value: str) -> None:
    response = await running.client.get(f"/open311/v2/requests/{quote(value)}.json")

    description = _open311_error(response, 400)
    assert description == "service_request_id must be 1 to 24 letters, digits or dashes"


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
async def test_open311_service_codes_are_bounded(running: RunningApp, value: str) -> None:
    response = await running.client.get(f"/open311/v2/services/{quote(value)}.json")

    description = _open311_error(response, 400)
    assert description.startswith("service_code must be 1 to 16 letters")


async def test_open311_list_parameters_are_bounded_too(running: RunningApp) -> None:
    ids = await running.client.get(
        "/open311/v2/requests.json", params={"service_request_id": "SQ1,SQ2\nforged"}
    )
    codes = await running.client.get(
        "/open311/v2/requests.json", params={"service_code": "0101," + "9" * 17}
    )

    assert _open311_error(ids, 400).startswith("service_request_id must be")
    assert _open311_error(codes, 400).startswith("service_code must be")


async def test_open311_errors_keep_the_requested_format(running: RunningApp) -> None:
    response = await running.client.get("/open311/v2/requests/SQ1%0Ax.xml")

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(response.text)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "400"
    assert "service_request_id" in (root.findtext("error/description") or "")


@pytest.mark.parametrize("fmt", ["html", "json\nforged", "j" * 300])
async def test_open311_formats_are_json_or_xml(running: RunningApp, fmt: str) -> None:
    for path in ("v2/services", "v2/requests", "v2/services/0101", "v2/requests/SQ1", "discovery"):
        response = await running.client.get(f"/open311/{path}.{quote(fmt)}")

        assert _open311_error(response, 400) == "format must be json or xml", path


async def test_well_formed_unknown_identifiers_are_still_not_found(running: RunningApp) -> None:
    request = await running.client.get("/open311/v2/requests/SQ20260101000001.json")
    service = await running.client.get("/open311/v2/services/9999.json")

    assert _open311_error(request, 404) == "service_request_id SQ20260101000001 not found"
    assert _open311_error(service, 404) == "service_code 9999 not found"


async def test_provider_api_path_ids_are_bounded(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    await ensure_themes("HOUSING")
    key = await api_key(seeded, member, "SERVICES_READ", "SERVICES_WRITE", "WEBHOOKS")
    api = "/provider-api/v1"
    calls = {
        "get service": ("GET", f"{api}/services/{{}}", "serviceId"),
        "update service": ("PATCH", f"{api}/services/{{}}", "serviceId"),
        "submit service": ("POST", f"{api}/services/{{}}/submit", "serviceId"),
        "deliveries": ("GET", f"{api}/webhooks/{{}}/deliveries", "webhookId"),
        "test webhook": ("POST", f"{api}/webhooks/{{}}/test", "webhookId"),
    }
    bad = [*BAD_VALUES.values(), "UHJvdmlkZXJTZXJ2aWNlOg==" * 8, "a.b", "a%b"]

    for name, (method, path, field) in calls.items():
        for value in bad:
            response = await seeded.client.request(
                method, path.format(quote(value, safe="")), headers=bearer(key), json={}
            )
            assert response.status_code == 400, (name, value, response.text)
            assert response.json() == {
                "error": {
                    "code": "INVALID_INPUT",
                    "message": "输入内容不符合要求。",
                    "field": field,
                }
            }, (name, value)
        # A well-formed id of nothing of ours is still just not found.
        unknown = await seeded.client.request(
            method, path.format("UHJvdmlkZXJTZXJ2aWNlOjA="), headers=bearer(key), json={}
        )
        assert unknown.status_code == 404, (name, unknown.text)


def _s3_code(response: httpx.Response) -> str:
    return ElementTree.fromstring(response.text).findtext("Code") or ""


@pytest.mark.parametrize(
    "token",
    [
        "A" * 5000 + "." + HEX64,
        "c2VhbGVk\n2026-01-01 ERROR forged." + HEX64,
        "c2VhbGVkc2VhbGVkc2VhbGVk." + HEX64.upper(),
        "c2VhbGVkc2VhbGVkc2VhbGVk." + HEX64[:-1],
        "c2VhbGVk'c2VhbGVkc2VhbGVk." + HEX64,
        "c2VhbGVkc2VhbGVkc2VhbGVk",
    ],
    ids=["too long", "line break", "upper-case hex", "short signature", "quote", "no signature"],
)
async def test_download_tokens_are_checked_for_form_first(running: RunningApp, token: str) -> None:
    response = await running.client.get(f"/files/{quote(token, safe='')}")

    assert response.status_code == 400
    assert _s3_code(response) == "InvalidArgument"


async def test_a_well_formed_forged_token_is_still_refused_by_its_signature(
    running: RunningApp,
) -> None:
    response = await running.client.get(f"/files/c2VhbGVkc2VhbGVkc2VhbGVk.{HEX64}")

    assert response.status_code == 403
    assert _s3_code(response) == "SignatureDoesNotMatch"
