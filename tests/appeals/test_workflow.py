"""The transition table: every (status, action) pair, and who may take each transition."""

from __future__ import annotations

import pytest

from resolvers.appeals.errors import AppealError
from resolvers.appeals.workflow import TABLE, Action, Actor, step
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
            step(status, action, set(Actor))
        assert raised.value.code.value == "INVALID_STATE"
        return
    assert step(status, action, set(Actor)) is expected
    for actor in set(Actor) - TABLE[(status, action)].actors:
        with pytest.raises(AppealError) as raised:
            step(status, action, {actor})
        assert raised.value.code.value == "FORBIDDEN"


def test_departments_never_dispatch_and_residents_never_handle() -> None:
    for (status, action), transition in TABLE.items():
        if action is Action.DISPATCH:
            assert Actor.HANDLER not in transition.actors, status
        if action in (Action.SIGN, Action.RETURN, Action.REPLY):
            assert transition.actors == {Actor.HANDLER}, (status, action)
        if action in (Action.RATE_CLOSE, Action.REOPEN):
            assert transition.actors == {Actor.OWNER}, (status, action)
