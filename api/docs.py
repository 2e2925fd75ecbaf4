"""Writes each domain's state diagram into its docs page from the transition table the code
runs, so that the docs cannot drift from the workflow: `make schema` (or `python -m api.docs`)
rewrites them, and a test fails when a committed page differs from what the tables draw."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resolvers.appeals.workflow import APPEAL_WORKFLOW
from resolvers.applications.workflow import APPLICATION_WORKFLOW, BUNDLE_WORKFLOW
from resolvers.providers.onboarding import PROVIDER_WORKFLOW
from resolvers.providers.services import PROVIDER_SERVICE_WORKFLOW

BEGIN = "<!-- states:begin -->"
END = "<!-- states:end -->"
DOCS = Path(__file__).resolve().parents[1] / "docs"


@dataclass(frozen=True, slots=True)
class Diagram:
    title: str
    table: Any  # resolvers.workflow.Table


# Each page, and the tables it draws, in order.
PAGES: dict[str, tuple[Diagram, ...]] = {
    "applications.md": (
        Diagram("An application", APPLICATION_WORKFLOW),
        Diagram("A bundle's parent application (follows its items)", BUNDLE_WORKFLOW),
    ),
    "appeals.md": (Diagram("An appeal", APPEAL_WORKFLOW),),
    "providers.md": (
        Diagram("A provider", PROVIDER_WORKFLOW),
        Diagram("A provider's service", PROVIDER_SERVICE_WORKFLOW),
    ),
}


def section(diagrams: tuple[Diagram, ...]) -> str:
    parts = [
        "Generated from the transition tables in `resolvers/` by `make schema`; edit the "
        "tables, not this block. Each arrow is an action, labelled with its name."
    ]
    for diagram in diagrams:
        parts.append(f"**{diagram.title}** (`{diagram.table.name}`)")
        parts.append(f"```mermaid\n{diagram.table.mermaid()}```")
    return "\n\n".join(parts)


def rendered(text: str, diagrams: tuple[Diagram, ...]) -> str:
    """`text` with the block between the markers replaced by the diagrams."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return f"{text[:start]}\n{section(diagrams)}\n{text[end:]}"


def write(folder: Path = DOCS) -> list[Path]:
    """Rewrites the pages whose diagrams changed; returns them."""
    changed = []
    for name, diagrams in PAGES.items():
        path = folder / name
        text = path.read_text(encoding="utf-8")
        new = rendered(text, diagrams)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for path in write():
        sys.stdout.write(f"wrote {path.relative_to(DOCS.parent)}\n")
