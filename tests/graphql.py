"""A small GraphQL client for tests, speaking to the app as the mini-program does."""

from __future__ import annotations

from typing import Any

import httpx


class GraphQLResponse:
    def __init__(self, response: httpx.Response) -> None:
        self.http = response
        self.status = response.status_code
        self.body: dict[str, Any] = response.json()

    @property
    def data(self) -> dict[str, Any]:
        assert not self.body.get("errors"), self.body
        data: dict[str, Any] = self.body["data"]
        return data

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    @property
    def error_codes(self) -> list[str]:
        return [error.get("extensions", {}).get("code") for error in self.errors]


class GraphQLClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> GraphQLResponse:
        all_headers = {"accept": "application/graphql-response+json"}
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )
        return GraphQLResponse(response)

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        return (await self(query, variables, **kw)).data
