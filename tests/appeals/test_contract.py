"""API.md's appeal names: root fields, one `input` per mutation, `XxxResult` unions, enums."""

from __future__ import annotations

from graphql import GraphQLEnumType
from graphql import build_schema as parse_sdl

from schema.root import sdl

MUTATIONS = {
    "fileAppeal",
    "rateAppeal",
    "reopenAppeal",
    "dispatchAppeal",
    "returnAppeal",
    "replyAppeal",
    "mergeAppeals",
    "signAppeal",
    "requestAppealExtension",
    "decideAppealExtension",
    "moderateAppeal",
    "recordAppealRevisit",
}
QUERIES = {"myAppeals", "appeal", "appealCategories", "workItems", "appealInsights", "node"}


def test_the_appeal_contract() -> None:
    schema = parse_sdl(sdl())
    assert schema.query_type is not None
    assert schema.mutation_type is not None

    assert set(schema.query_type.fields) >= QUERIES
    for name in MUTATIONS:
        field = schema.mutation_type.fields[name]
        assert list(field.args) == ["input"], name
        assert str(field.args["input"].type) == f"{name[0].upper()}{name[1:]}Input!", name
        assert str(field.type) == f"{name[0].upper()}{name[1:]}Result!", name
    file_input = schema.type_map["FileAppealInput"]
    assert set(file_input.fields) >= {  # type: ignore[attr-defined]
        "kind", "categoryCode", "content", "location", "regionCode", "documentIds", "channel",
        "noReplyWanted",
    }  # fmt: skip
    assert "noReplyWanted: Boolean! = false" in sdl()  # additive: old clients file as before
    appeal = schema.type_map["Appeal"]
    assert set(appeal.fields) >= {  # type: ignore[attr-defined]
        "id", "number", "kind", "category", "content", "status", "department", "dueDate",
        "replies", "rating", "replyWanted",
    }  # fmt: skip
    kinds = schema.type_map["AppealKind"]
    statuses = schema.type_map["AppealStatus"]
    assert isinstance(kinds, GraphQLEnumType)
    assert isinstance(statuses, GraphQLEnumType)
    assert set(kinds.values) == {
        "CONSULTATION", "HELP", "COMPLAINT", "REPORT", "SUGGESTION", "PRAISE",
    }  # fmt: skip
    assert set(statuses.values) >= {
        "SUBMITTED", "HELD", "DISPATCHED", "SIGNED", "REPLIED", "CLOSED", "RETURNED", "MERGED",
    }  # fmt: skip
    assert list(schema.query_type.fields["myAppeals"].args) == ["filter", "first", "after"]
