"""The transition table: every (status, action) pair; and who may take each action."""

from __future__ import annotations

import pytest

from resolvers.appeals.errors import AppealError
from resolvers.appeals.workflow import Action, step
from resolvers.policy import POLICY
from resolvers.policy import Action as Do
from storage.models.appeals import AppealStatus as S

ALLOWED = {
    (S.HELD, Action.HOLD): S.HELD,
    (S.HELD, Action.RELEASE): S.SUBMITTED,
    (S.HELD, Action.REJECT): S.REJECTED,
    (S.SUBMITTED, Action.DISPATCH): S.DISPATCHED,
    (S.RETURNED, Action.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, Action.DISPATCH): S.DISPATCHED,
    (S.SIGNED, Action.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, Action.SIGN): S.SIGNED,
    (S.DISPATCHED, Action.RETURN): S.RETURNED,
    (S.SIGNED, Action.RETURN): S.RETURNED,
    (S.SIGNED, Action.REQUEST_EXTENSION): S.SIGNED,
    (S.SIGNED, Action.DECIDE_EXTENSION): S.SIGNED,
    (S.DISPATCHED, Action.REPLY): S.REPLIED,
    (S.SIGNED, Action.REPLY): S.REPLIED,
    (S.REPLIED, Action.RATE_CLOSE): S.CLOSED,
    (S.REPLIED, Action.REOPEN): S.DISPATCHED,
    (S.CLOSED, Action.REOPEN): S.DISPATCHED,
    (S.REPLIED, Action.CLOSE): S.CLOSED,
    (S.SUBMITTED, Action.MERGE): S.MERGED,
    (S.DISPATCHED, Action.MERGE): S.MERGED,
    (S.SIGNED, Action.MERGE): S.MERGED,
    (S.RETURNED, Action.MERGE): S.MERGED,
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", list(Action))
def test_the_transition_table(status: S, action: Action) -> None:
    expected = ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(AppealError) as raised:
            step(status, action)
        assert raised.value.code.value == "INVALID_STATE"
        return
    assert step(status, action) is expected


# What each kind of caller holds toward an appeal (see resolvers/policy.py).
HANDLER = {"anyone", "signed_in", "staff", "own_department"}
CENTRE = {"anyone", "signed_in", "staff", "supervisor"}
OWNER = {"anyone", "signed_in", "resident", "owner"}


def test_departments_never_dispatch_and_residents_never_handle() -> None:
    for action in (Do.APPEAL_DISPATCH, Do.APPEAL_DECIDE_EXTENSION, Do.APPEAL_MODERATE):
        assert not POLICY[action].holds_for(HANDLER), action
        assert POLICY[action].holds_for(CENTRE), action
    for action in (Do.APPEAL_SIGN, Do.APPEAL_RETURN, Do.APPEAL_REPLY):
        assert POLICY[action].holds_for(HANDLER), action
        assert not POLICY[action].holds_for(CENTRE | OWNER), action
    for action in (Do.APPEAL_RATE, Do.APPEAL_REOPEN):
        assert POLICY[action].holds_for(OWNER), action
        assert not POLICY[action].holds_for(HANDLER | CENTRE - {"anyone"}), action
