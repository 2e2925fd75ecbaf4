"""The committed contract: the SDL, the mini-program's operations, and API.md's names."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema as parse_sdl
from graphql import find_breaking_changes, find_dangerous_changes, parse, validate

from mock_wechat.client import OPERATIONS
from schema.root import sdl

ROOT = Path(__file__).resolve().parent.parent


def test_committed_sdl_matches_the_code() -> None:
    committed = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")

    assert committed == sdl(), "schema drifted: run `make schema` and review the diff"


def test_the_code_breaks_nothing_the_committed_contract_promises() -> None:
    """Read with the test above: when the text drifts, this one says whether clients would
    notice (a field or type gone, an argument made required, a value added to an enum ...)."""
    committed = parse_sdl((ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8"))
    built = parse_sdl(sdl())

    assert [change.description for change in find_breaking_changes(committed, built)] == []
    assert [change.description for change in find_dangerous_changes(committed, built)] == []


@pytest.mark.parametrize("path", sorted(OPERATIONS.glob("*.graphql")), ids=lambda p: p.stem)
def test_every_mini_program_operation_is_valid(path: Path) -> None:
    schema = parse_sdl(sdl())

    errors = validate(schema, parse(path.read_text(encoding="utf-8")))

    assert errors == []


# Root fields API.md promises clients; they may gain arguments but never go away.
CONTRACT_MUTATIONS = {
    "loginWithWeChat",
    "bindWeChatPhone",
    "requestSmsCode",
    "loginWithSms",
    "refreshSession",
    "logout",
    "verifyIdentity",
    "loginStaff",
}
CONTRACT_QUERIES = {"me", "regions", "region", "departments", "department", "node"}


def test_the_contracts_root_fields_exist() -> None:
    schema = parse_sdl(sdl())
    assert schema.query_type is not None
    assert schema.mutation_type is not None

    assert set(schema.query_type.fields) >= CONTRACT_QUERIES
    assert set(schema.mutation_type.fields) >= CONTRACT_MUTATIONS
    for name in CONTRACT_MUTATIONS:
        field = schema.mutation_type.fields[name]
        assert list(field.args) == ["input"], name
        assert str(field.type) == f"{name[0].upper()}{name[1:]}Result!", name
