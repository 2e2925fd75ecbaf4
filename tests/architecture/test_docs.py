"""The state diagrams in docs/ are the transition tables the code runs: a page that differs
from what the tables draw fails here (`make schema` rewrites them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api import docs
from resolvers.appeals.workflow import APPEAL_WORKFLOW


@pytest.mark.parametrize("page", sorted(docs.PAGES))
def test_each_page_shows_the_tables_the_code_runs(page: str) -> None:
    text = (docs.DOCS / page).read_text(encoding="utf-8")

    assert docs.rendered(text, docs.PAGES[page]) == text, f"run `make schema`: {page} is stale"


def test_every_transition_of_a_table_is_on_its_page() -> None:
    text = (docs.DOCS / "appeals.md").read_text(encoding="utf-8")

    for rule in APPEAL_WORKFLOW.rules.values():
        assert f"{rule.source.name} --> " in text
        assert f": {rule.action.name}" in text


def test_a_page_that_drifted_is_rewritten(tmp_path: Path) -> None:
    page = tmp_path / "applications.md"
    original = (docs.DOCS / "applications.md").read_text(encoding="utf-8")
    page.write_text(original.replace("SUBMITTED --> ACCEPTED: ACCEPT", "SUBMITTED --> X: Y"))
    for name in docs.PAGES:
        if name != "applications.md":
            (tmp_path / name).write_text((docs.DOCS / name).read_text(encoding="utf-8"))

    changed = docs.write(tmp_path)

    assert changed == [page]
    assert page.read_text(encoding="utf-8") == original
