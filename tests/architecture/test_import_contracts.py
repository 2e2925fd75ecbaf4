"""The layers are contracts import-linter checks (`make lint`): the tree keeps them, and a
forbidden import planted in a copy of the tree breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "schema", "resolvers", "storage", "integrations")
FAKES = ROOT / "miniprogram-mock"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tree), str(tree / "miniprogram-mock")]),
    }
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(tree / "pyproject.toml")],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the production packages, the fakes and the contracts."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    for fake in ("mock_wechat", "province_sandbox"):
        shutil.copytree(FAKES / fake, tmp_path / "miniprogram-mock" / fake, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _plant(tree: Path, module: str, line: str) -> None:
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "contract", "named"),
    [
        ("storage/cache.py", "import schema.root", "Layers", "storage.cache -> schema.root"),
        ("resolvers/policy.py", "import api.app", "Layers", "resolvers.policy -> api.app"),
        (
            "resolvers/reference.py",
            "import strawberry",
            "GraphQL and HTTP frameworks",
            "resolvers.reference -> strawberry",
        ),
        (
            "api/health.py",
            "import mock_wechat",
            "never imports the fakes",
            "api.health -> mock_wechat",
        ),
        (
            "schema/cost.py",
            "import tortoise",
            "Only storage speaks to the ORM",
            "schema.cost -> tortoise",
        ),
        (
            "schema/exchange/queries.py",
            "from storage.repositories import exchange",
            "The schema reads through the services",
            "schema.exchange.queries -> storage.repositories.exchange",
        ),
        (
            "resolvers/scenarios/plan.py",
            "import resolvers.applications.deadlines",
            "only through its public modules",
            "resolvers.scenarios.plan -> resolvers.applications.deadlines",
        ),
        (
            "resolvers/catalogue/rules.py",
            "import resolvers.scenarios.service",
            "No import cycles",
            ".catalogue -> .scenarios",
        ),
    ],
)
def test_a_forbidden_import_breaks_a_contract(
    tree: Path, module: str, line: str, contract: str, named: str
) -> None:
    _plant(tree, module, line)
    result = _lint(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [row for row in result.stdout.splitlines() if "BROKEN" in row]
    assert [row for row in broken if contract in row], result.stdout
    assert named in result.stdout
