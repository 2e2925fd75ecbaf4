"""Every status change of an application, an appeal, a provider or its service has one shape: the
repositories' compare-and-sets of the status are handed to a workflow Machine, and no service
calls them, or writes a status through a plain update, by itself."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("api", "resolvers", "schema")

# Each repository's compare-and-set of the status, and its updates of other columns.
MOVES = {
    "storage.repositories.applications": ("move",),
    "storage.repositories.appeals": ("move",),
    "storage.repositories.providers": ("move_service", "move_provider"),
}
UPDATES = {
    "storage.repositories.applications": {"update"},
    "storage.repositories.appeals": {"update", "set_extension"},
    "storage.repositories.providers": {"set_service_fields"},
}


def offences(source: str, where: str = "<source>") -> list[str]:
    """Where `source` moves a status around a Machine."""
    tree = ast.parse(source)
    repos: dict[str, str] = {}  # local name -> repository module
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "storage.repositories":
            for name in node.names:
                imported = f"storage.repositories.{name.name}"
                if imported in MOVES:
                    repos[name.asname or name.name] = imported
        elif isinstance(node, ast.ImportFrom) and node.module in MOVES:
            for name in node.names:
                if name.name in MOVES[node.module]:
                    found.append(f"{where}:{node.lineno}: imports {node.module}.{name.name}")
        elif isinstance(node, ast.Import):
            for name in node.names:
                if name.name in MOVES and name.asname:
                    repos[name.asname] = name.name
    handed = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword) and node.arg == "compare_and_set"
    }
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            continue
        module = repos.get(node.value.id)
        if module is None:
            continue
        if node.attr in MOVES[module] and id(node) not in handed:
            found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr} outside a Machine")
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        ):
            continue
        module = repos.get(node.func.value.id)
        if module is None or node.func.attr not in UPDATES[module]:
            continue
        if any(keyword.arg == "status" for keyword in node.keywords):
            found.append(f"{where}:{node.lineno}: a status written by {node.func.attr}")
    return found


def test_no_service_moves_a_status_around_its_machine() -> None:
    found = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            found += offences(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == []


def test_the_scan_finds_a_move_around_the_machine() -> None:
    source = """
from storage.repositories import appeals as repo
from storage.repositories import providers
from storage.repositories.applications import move

SERVICES = Machine(TABLE, compare_and_set=providers.move_service)

async def sign(appeal):
    await repo.move(appeal.id, expected=appeal.status, status="SIGNED")
    await repo.update(appeal.id, status="SIGNED")
    await repo.update(appeal.id, hold_reason=None)
    await providers.set_service_fields(appeal.id, status="DRAFT")
    await providers.move_provider(appeal.id, expected="APPROVED", status="SUSPENDED")
"""
    assert offences(source) == [
        "<source>:4: imports storage.repositories.applications.move",
        "<source>:9: repo.move outside a Machine",
        "<source>:13: providers.move_provider outside a Machine",
        "<source>:10: a status written by update",
        "<source>:12: a status written by set_service_fields",
    ]
