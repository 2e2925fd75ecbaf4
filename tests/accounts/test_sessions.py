"""Sessions: bearer tokens, refresh rotation and replay, logout, expiry, node(id) scoping."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import cast

import httpx
import pytest

from mock_wechat.client import GraphQLFailure, MiniProgram
from resolvers.accounts import sessions
from resolvers.resources import Resources
from storage.crypto import Keyring
from storage.models.accounts import AuthSession
from tests.conftest import RunningApp

ME = "{ me { id roles } }"


async def signed_in(running: RunningApp, wechat: httpx.AsyncClient, user: str = "a") -> MiniProgram:
    program = MiniProgram(running.client, wechat, user)
    assert (await program.login())["__typename"] == "Session"
    return program


async def test_tokens_are_stored_only_as_keyed_hashes(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    session = await AuthSession.get()

    assert program.token is not None
    assert program.refresh_token is not None
    assert len(program.token) >= 43  # 256 random bits
    assert program.token not in (session.access_hash, session.refresh_hash)
    assert session.access_hash == running.resources.keyring.token_hash(program.token)


async def test_refresh_rotates_both_tokens(running: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = await signed_in(running, wechat)
    old_token, old_refresh = program.token, program.refresh_token

    result = await program.refresh()

    assert result["__typename"] == "Session"
    assert program.token != old_token
    assert program.refresh_token != old_refresh
    assert (await running.gql(ME, token=program.token)).data["me"] is not None
    stale = await running.gql(ME, token=old_token)
    assert stale.status == 401
    assert stale.error_codes == ["UNAUTHENTICATED"]


async def test_a_replayed_refresh_token_ends_the_session(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    stolen = program.refresh_token
    await program.refresh()
    # Past the short grace a mobile retry gets, the old refresh token comes back.
    await AuthSession.all().update(rotated_at=datetime.now(UTC) - timedelta(minutes=5))

    replay = await running.gql(
        "mutation($r: String!) { refreshSession(input: {refreshToken: $r}) "
        "{ __typename ... on RefreshSessionError { code } } }",
        {"r": stolen},
    )

    assert replay.data["refreshSession"]["code"] == "INVALID_REFRESH_TOKEN"
    assert (await running.gql(ME, token=program.token)).status == 401  # the thief's victim too
    assert (await program.refresh())["code"] == "INVALID_REFRESH_TOKEN"


async def test_a_quick_retry_of_a_refresh_is_refused_without_ending_the_session(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    first_refresh = program.refresh_token
    await program.refresh()

    retry = await running.gql(
        "mutation($r: String!) { refreshSession(input: {refreshToken: $r}) "
        "{ __typename ... on RefreshSessionError { code } } }",
        {"r": first_refresh},
    )

    assert retry.data["refreshSession"]["code"] == "INVALID_REFRESH_TOKEN"
    assert (await running.gql(ME, token=program.token)).data["me"] is not None


async def test_logout_ends_this_session_only(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    phone = await signed_in(running, wechat)
    tablet = await signed_in(running, wechat)
    phone_token = phone.token

    result = await phone.logout()

    assert result == {"__typename": "SignedOut", "sessionsEnded": 1}
    assert (await running.gql(ME, token=phone_token)).status == 401
    assert (await running.gql(ME, token=tablet.token)).data["me"] is not None


async def test_logout_everywhere_ends_every_session(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    phone = await signed_in(running, wechat)
    tablet = await signed_in(running, wechat)

    result = await phone.logout(all_devices=True)

    assert result["sessionsEnded"] == 2
    assert (await running.gql(ME, token=tablet.token)).status == 401


async def test_logout_needs_a_session(running: RunningApp) -> None:
    result = await running.gql.data(
        "mutation { logout(input: {}) { ... on LogoutError { code } } }"
    )

    assert result["logout"]["code"] == "UNAUTHENTICATED"


async def test_an_expired_token_is_refused_with_401(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    await AuthSession.all().update(access_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    await running.resources.redis.flushdb()

    response = await running.gql(ME, token=program.token)

    assert response.status == 401
    assert response.http.headers["www-authenticate"].startswith("Bearer")
    refreshed = await program.refresh()
    assert refreshed["__typename"] == "Session"


async def test_garbage_tokens_are_refused(running: RunningApp) -> None:
    for header in ("Bearer nonsense", "Bearer " + "x" * 500, "Basic abc", "Bearer "):
        response = await running.gql(ME, headers={"authorization": header})
        assert response.status == 401, header


async def test_me_is_null_when_signed_out(running: RunningApp) -> None:
    assert (await running.gql.data(ME))["me"] is None


async def test_node_shows_only_ones_own_account(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    alice = await signed_in(running, wechat, "alice")
    bob = await signed_in(running, wechat, "bob")
    alice_id = (await alice.me() or {})["id"]
    query = "query($id: ID!) { node(id: $id) { __typename ... on Account { id } } }"

    own = await running.gql.data(query, {"id": alice_id}, token=alice.token)
    others = await running.gql.data(query, {"id": alice_id}, token=bob.token)
    anonymous = await running.gql.data(query, {"id": alice_id})

    assert own["node"] == {"__typename": "Account", "id": alice_id}
    assert others["node"] is None
    assert anonymous["node"] is None


async def test_node_ignores_malformed_and_foreign_ids(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    query = "query($id: ID!) { node(id: $id) { __typename } }"
    forged = base64.b64encode(b"Secret:123").decode()

    for node_id in ("not-base64!", forged, "", base64.b64encode(b"Account:").decode()):
        result = await running.gql.data(query, {"id": node_id}, token=program.token)
        assert result["node"] is None


async def test_the_scripted_client_surfaces_http_failures(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat)
    program.token = "revoked-or-forged"
    with pytest.raises(GraphQLFailure) as failure:
        await program.me()

    assert failure.value.status == 401


def test_a_tokens_keyed_hash_is_reused_only_under_the_keyring_that_made_it() -> None:
    """The process keeps each token's keyed hash; a process running apps with two master
    secrets (as tests do) must never look a session up under the other one's hash."""
    token = "t" * 43
    first = Keyring([b"first master secret, 32 bytes.."])
    second = Keyring([b"second master secret, 32 bytes."])
    assert first.token_hash(token) != second.token_hash(token)
    under_first = cast(Resources, SimpleNamespace(keyring=first))
    under_second = cast(Resources, SimpleNamespace(keyring=second))

    assert sessions._access_hash(under_first, token) == first.token_hash(token)
    assert sessions._access_hash(under_second, token) == second.token_hash(token)
    assert sessions._access_hash(under_first, token) == first.token_hash(token)
