"""The workflow tables: one shape in every domain, checked when built, drawn as Mermaid."""

from __future__ import annotations

from enum import StrEnum

import pytest

from resolvers.appeals.workflow import APPEAL_WORKFLOW
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.workflow import APPLICATION_WORKFLOW, BUNDLE_WORKFLOW
from resolvers.applications.workflow import Action as AppAction
from resolvers.policy import Action as Do
from resolvers.providers.services import PROVIDER_SERVICE_WORKFLOW
from resolvers.workflow import Rule, Table
from storage.models.applications import ApplicationStatus as S
from storage.models.applications import EventType as E


class Light(StrEnum):
    RED = "RED"
    GREEN = "GREEN"


class Turn(StrEnum):
    GO = "GO"
    STOP = "STOP"


class Seen(StrEnum):
    WENT = "WENT"
    STOPPED = "STOPPED"


def lights(*rules: Rule[Light, Turn, Seen]) -> Table[Light, Turn, Seen]:
    return Table(
        "lights",
        rules,
        error=ApplicationError,
        invalid_state=Code.INVALID_STATE,
        field="lightId",
        initial=[Light.RED],
    )


def test_a_rule_nobody_may_take_is_refused() -> None:
    with pytest.raises(ValueError, match="nobody"):
        Rule(Light.RED, Turn.GO, Light.GREEN, Seen.WENT)


def test_two_rules_for_one_move_are_refused() -> None:
    rule = Rule(Light.RED, Turn.GO, Light.GREEN, Seen.WENT, system=True)
    with pytest.raises(ValueError, match="two rules"):
        lights(rule, rule)


def test_one_action_is_allowed_to_the_same_people_from_every_status() -> None:
    with pytest.raises(ValueError, match="different people"):
        lights(
            Rule(Light.RED, Turn.GO, Light.GREEN, Seen.WENT, (Do.APPLICATION_ACCEPT,)),
            Rule(Light.GREEN, Turn.GO, Light.GREEN, Seen.WENT, (Do.APPLICATION_REJECT,)),
        )


def test_a_move_missing_from_the_table_is_the_domains_invalid_state() -> None:
    table = lights(Rule(Light.RED, Turn.GO, Light.GREEN, Seen.WENT, system=True))
    assert table.target(Light.RED, Turn.GO) is Light.GREEN
    with pytest.raises(ApplicationError) as raised:
        table.target(Light.GREEN, Turn.GO, field="elsewhere")
    assert raised.value.field == "elsewhere"
    assert not table.allowed(Light.GREEN, Turn.STOP)


def test_a_resuming_rule_goes_back_where_the_row_was_and_only_there() -> None:
    table = APPLICATION_WORKFLOW
    assert table.target(S.SUPPLEMENT_REQUESTED, AppAction.SUPPLEMENT, resume=S.ACCEPTED) is (
        S.ACCEPTED
    )
    with pytest.raises(ApplicationError):
        table.target(S.SUPPLEMENT_REQUESTED, AppAction.SUPPLEMENT, resume=S.APPROVED)
    with pytest.raises(ApplicationError):
        table.target(S.SUPPLEMENT_REQUESTED, AppAction.WITHDRAW, resume=S.ACCEPTED)


def test_the_table_draws_itself_as_a_mermaid_state_diagram() -> None:
    drawn = APPLICATION_WORKFLOW.mermaid().splitlines()
    assert drawn[0] == "stateDiagram-v2"
    assert "    [*] --> SUBMITTED" in drawn
    assert "    SUBMITTED --> ACCEPTED: ACCEPT" in drawn
    assert "    SUPPLEMENT_REQUESTED --> ACCEPTED: SUPPLEMENT (resumes)" in drawn
    assert "    SUPPLEMENT_REQUESTED --> WITHDRAWN: WITHDRAW (if it resumes to SUBMITTED)" in drawn
    # One line per transition (a resuming one once per status it may go back to).
    edges = [line for line in drawn if "-->" in line and "[*]" not in line]
    expected = sum(
        len(r.resume) if r.target is None else 1 for r in APPLICATION_WORKFLOW.rules.values()
    )
    assert len(edges) == expected


def test_the_bundle_parent_may_go_from_every_open_status_to_every_other() -> None:
    open_ = (S.SUBMITTED, S.SUPPLEMENT_REQUESTED, S.ACCEPTED, S.APPROVED)
    for source in open_:
        targets = {r.target for (s, _), r in BUNDLE_WORKFLOW.rules.items() if s is source}
        assert targets == set(S) - {source}, source
    back = BUNDLE_WORKFLOW.rules[(S.SUPPLEMENT_REQUESTED, AppAction.ACCEPT)]
    assert back.event is E.SUPPLEMENTED
    assert BUNDLE_WORKFLOW.rules[(S.SUBMITTED, AppAction.ACCEPT)].event is E.ACCEPTED
    assert all(r.system and not r.by for r in BUNDLE_WORKFLOW.rules.values())


def test_every_application_move_is_some_policy_actions() -> None:
    for rule in APPLICATION_WORKFLOW.rules.values():
        assert rule.by, rule
        assert APPLICATION_WORKFLOW.policy_actions(rule.action) == rule.by


@pytest.mark.parametrize(
    "table", [APPLICATION_WORKFLOW, BUNDLE_WORKFLOW, APPEAL_WORKFLOW, PROVIDER_SERVICE_WORKFLOW]
)
def test_every_domain_draws_every_transition_of_its_table(table: Table) -> None:
    drawn = table.mermaid()
    assert drawn.startswith("stateDiagram-v2\n")
    for rule in table.rules.values():
        for target in rule.resume if rule.target is None else (rule.target,):
            assert f"    {rule.source.name} --> {target.name}: {rule.action.name}" in drawn
