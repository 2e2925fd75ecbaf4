"""An account's roles: each once, so the list never holds more than there are roles."""

from __future__ import annotations

from resolvers.accounts import sessions
from storage.models.accounts import Account, Role
from tests.conftest import RunningApp


async def test_each_role_is_listed_once(running: RunningApp) -> None:
    account = await Account.create(roles=["RESIDENT", "PROVIDER", "RESIDENT", "PROVIDER"])
    issued = await sessions.issue(running.resources, account, method="SMS")

    me = (await running.gql.data("{ me { roles } }", token=issued.token))["me"]

    assert me["roles"] == ["RESIDENT", "PROVIDER"]
    assert len(me["roles"]) <= len(Role)
