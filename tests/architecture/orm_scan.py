"""Finds ORM queries written outside storage/: the repositories are the only place that
speaks to the database, so row scoping and statement counts stay reviewable in one layer."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("api", "schema", "resolvers", "integrations")

# Methods that build or run a query when called on a model class or a queryset.
QUERY_METHODS = frozenset(
    {
        "filter",
        "exclude",
        "get",
        "get_or_none",
        "get_or_create",
        "update_or_create",
        "create",
        "bulk_create",
        "bulk_update",
        "all",
        "first",
        "count",
        "exists",
        "annotate",
        "values",
        "values_list",
        "select_for_update",
        "select_related",
        "prefetch_related",
        "order_by",
        "raw",
        "update",
        "delete",
        "in_bulk",
    }
)
# Methods that touch the database when called on a model instance.
INSTANCE_METHODS = frozenset({"save", "fetch_related", "refresh_from_db"})


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _model_names(tree: ast.Module) -> set[str]:
    """Names bound to model classes (or model modules) by imports from storage.models."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("storage.models"):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("storage.models"):
                    names.add((alias.asname or alias.name).split(".")[0])
    return names


def _query_root(node: ast.expr) -> str | None:
    """The model a query chain starts from: `Model` in `Model.filter(...).order_by(...)`;
    None for anything else (an enum's `__members__`, a local object)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr not in QUERY_METHODS:
            return None
        node = node.func.value
    return node.id if isinstance(node, ast.Name) else None


def scan_source(path: str, source: str) -> list[Finding]:
    tree = ast.parse(source)
    models = _model_names(tree)
    findings: list[Finding] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tortoise":
            findings.append(Finding(path, node.lineno, f"imports {node.module}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tortoise":
                    findings.append(Finding(path, node.lineno, f"imports {alias.name}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            receiver = node.func.value
            if method in QUERY_METHODS and _query_root(receiver) in models:
                findings.append(Finding(path, node.lineno, f"{ast.unparse(node.func)}()"))
            elif method in INSTANCE_METHODS and not node.args:
                # A model instance's save() takes keywords only; Pillow's takes a file.
                findings.append(Finding(path, node.lineno, f"{ast.unparse(node.func)}()"))
    return findings


def scan(root: Path = ROOT) -> list[Finding]:
    findings: list[Finding] = []
    for top in SCANNED:
        for file in sorted((root / top).rglob("*.py")):
            relative = file.relative_to(root).as_posix()
            findings.extend(scan_source(relative, file.read_text(encoding="utf-8")))
    return findings


if __name__ == "__main__":
    import sys

    sys.stdout.writelines(f"{finding}\n" for finding in scan())
