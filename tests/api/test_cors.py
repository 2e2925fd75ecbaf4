"""CORS as a browser and a shared cache see it: the allowed origin (WeChat's web views) is
answered with its own name, any other origin gets no grant, a preflight is answered before
the endpoint, and every answer says it varies by Origin, whether or not the request had one
(a cache must not hand a granted answer to another origin, nor an ungranted one to it). A
refusal is granted as an answer is, so the page can read why."""

from __future__ import annotations

from tests.conftest import RunningApp

QUERY = {"query": "{ __typename }"}
PAGE = "query Page { services(first: 5) { nodes { code name } } }"
ALLOWED = "https://servicewechat.com"


def _vary(response: object) -> list[str]:
    values = response.headers.get_list("vary")  # type: ignore[attr-defined]
    return [part.strip() for value in values for part in value.split(",")]


async def test_an_answer_to_a_request_without_origin_varies_by_origin(
    running: RunningApp,
) -> None:
    answer = await running.client.post("/graphql", json=QUERY)

    assert answer.status_code == 200
    assert answer.json()["data"] == {"__typename": "Query"}
    assert "access-control-allow-origin" not in answer.headers
    assert _vary(answer) == ["Origin"]


async def test_a_public_answer_varies_by_origin_computed_or_from_memory(
    seeded: RunningApp,
) -> None:
    """The response cache's answers are public: a shared cache keeps them, so they say what
    they vary by, Origin included, once, whichever layer answered."""
    params = {"query": PAGE}
    computed = await seeded.client.get("/graphql", params=params)
    stored = await seeded.client.get("/graphql", params=params)  # the endpoint's cache
    remembered = await seeded.client.get("/graphql", params=params)  # ahead of the endpoint

    assert computed.headers["cache-control"] == "no-store"
    for answer in (stored, remembered):
        assert answer.headers["cache-control"].startswith("public")
        assert len(answer.headers.get_list("vary")) == 1, "one Vary line, the values merged"
        assert sorted(_vary(answer)) == ["Accept", "Accept-Encoding", "Authorization", "Origin"]


async def test_the_allowed_origin_is_granted_by_name_and_another_is_not(
    running: RunningApp,
) -> None:
    granted = await running.client.post("/graphql", json=QUERY, headers={"origin": ALLOWED})
    other = await running.client.post(
        "/graphql", json=QUERY, headers={"origin": "https://evil.example"}
    )

    assert granted.headers["access-control-allow-origin"] == ALLOWED
    assert "Origin" in _vary(granted)
    assert "access-control-allow-origin" not in other.headers
    assert "Origin" in _vary(other)


async def test_a_preflight_is_answered_for_the_allowed_origin_only(running: RunningApp) -> None:
    asked = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    allowed = await running.client.options("/graphql", headers={"origin": ALLOWED} | asked)
    refused = await running.client.options(
        "/graphql", headers={"origin": "https://evil.example"} | asked
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


async def test_a_body_refused_as_too_large_is_granted_to_the_allowed_origin(
    running: RunningApp,
) -> None:
    huge = {"query": "{ __typename }", "variables": {"x": "x" * 1_100_000}}

    refused = await running.client.post("/graphql", json=huge, headers={"origin": ALLOWED})

    assert refused.status_code == 413
    assert refused.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert refused.headers["access-control-allow-origin"] == ALLOWED
    assert "Origin" in _vary(refused)
