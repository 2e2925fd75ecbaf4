"""The GraphQL transport against the newest strawberry and starlette that pyproject.toml admits.

constraints.txt pins what `make setup` installs; the ranges in pyproject.toml are what we
promise to work with. We use only their public APIs, so an upgrade inside the range must not
break us silently: this builds an environment with both at their newest allowed release
(everything else as pinned) and runs the transport's tests there.

The environment layers over the suite's own: its site-packages reads this one's after its own
(a `.pth` file), so pip installs only what the upgrade changes, in seconds rather than the
minutes a second copy of every dependency took, and the suite's environment is never touched
(pip leaves distributions outside its environment alone).
"""

from __future__ import annotations

import os
import re
import site
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

UPGRADED = ("strawberry-graphql", "starlette")
# The tests that exercise what we build on: GraphQL over HTTP and WebSockets, preparation,
# limits and the cost model.
TESTS = (
    "tests/api/test_graphql_over_http.py",
    "tests/api/test_subscriptions.py",
    "tests/api/test_persisted_queries_and_cache.py",
    "tests/security/test_transports.py",
    "tests/security/test_query_cost.py",
)


def _ranges() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = [
        requirement
        for requirement in project["project"]["dependencies"]
        # By the whole name: starlette-compress is not starlette.
        if re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0] in UPGRADED
    ]
    assert len(found) == len(UPGRADED), found
    return found


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]


@pytest.mark.slow
def test_the_transport_works_with_the_newest_allowed_strawberry_and_starlette(
    tmp_path: Path,
) -> None:
    environment = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(environment)]).returncode == 0
    python = str(environment / "bin" / "python")
    own = _run([python, "-c", "import site; print(site.getsitepackages()[0])"]).stdout.strip()
    (Path(own) / "_rongban_pinned.pth").write_text(
        "".join(f"import site; site.addsitedir({path!r})\n" for path in site.getsitepackages()),
        encoding="utf-8",
    )
    pinned = [
        line
        for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if line and not any(line.lower().startswith(f"{name}==") for name in UPGRADED)
    ]
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("\n".join(pinned) + "\n", encoding="utf-8")
    install = _run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-c",
            str(constraints),
            "--upgrade",
            *_ranges(),
        ],
    )
    assert install.returncode == 0, install.stderr[-3000:]
    # What the tests below import is what pip reports: the upgraded layer comes first.
    imported = _run(
        [
            python,
            "-c",
            "import importlib.metadata as m; "
            "print(m.version('strawberry-graphql'), m.version('starlette'))",
        ]
    ).stdout.split()
    versions = _run([python, "-m", "pip", "list", "--format=freeze"]).stdout
    upgraded = [line for line in versions.splitlines() if line.split("==")[0] in UPGRADED]
    assert sorted(upgraded) == sorted(
        [f"strawberry-graphql=={imported[0]}", f"starlette=={imported[1]}"]
    ), (upgraded, imported)
    tests = _run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
        cwd=ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert tests.returncode == 0, f"{upgraded}\n{tests.stdout[-5000:]}"
