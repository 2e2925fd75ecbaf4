"""The names API.md promises for themes, scenarios, plans and recommendations."""

from __future__ import annotations

from graphql import GraphQLInputObjectType, GraphQLObjectType
from graphql import build_schema as parse_sdl

from schema.root import sdl


def test_the_scenario_contract_holds() -> None:
    schema = parse_sdl(sdl())
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    queries = schema.query_type.fields

    assert set(queries["themes"].args) == {"audience", "first"}
    assert str(queries["themes"].args["first"].type) == "Int"  # optional: clients may omit it
    assert set(queries["theme"].args) == {"code"}
    assert {"filter", "first", "after"} <= set(queries["scenarios"].args)
    assert set(queries["scenario"].args) == {"code"}
    assert {"code", "answers"} <= set(queries["scenarioPlan"].args)
    assert set(queries["recommendedServices"].args) == {"first", "regionCode"}
    submit = schema.mutation_type.fields["submitScenario"]
    assert list(submit.args) == ["input"]
    assert str(submit.type) == "SubmitScenarioResult!"

    def fields(name: str) -> set[str]:
        found = schema.get_type(name)
        assert isinstance(found, GraphQLObjectType | GraphQLInputObjectType), name
        return set(found.fields)

    assert {
        "scenarioCode",
        "answers",
        "form",
        "documentIds",
        "channel",
        "idempotencyKey",
    } <= fields("SubmitScenarioInput")
    assert fields("ScenarioAnswerInput") == {"question", "values"}
    assert {"code", "name", "questions"} <= fields("Scenario")
    assert {"code", "text", "kind", "options"} <= fields("ScenarioQuestion")
    assert fields("ScenarioOption") == {"value", "label"}
    assert {"services", "materials", "promisedDays", "visits"} <= fields("ScenarioPlan")
    assert "children" in fields("Application")
    assert "themeCode" in fields("ServiceFilter")
