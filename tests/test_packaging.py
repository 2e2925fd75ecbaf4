"""The production wheel holds the service and nothing else: the fakes (the mock WeChat server,
the provincial sandbox) are a distribution of their own, for development and tests only."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_the_wheel_leaves_the_fakes_out(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("rongban-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names if "/" in name}

    assert {"api", "schema", "resolvers", "storage", "integrations"} <= packages
    assert not [
        n for n in names if "mock_wechat" in n or "province_sandbox" in n or n.startswith("tests/")
    ]
    assert "schema/schema.graphql" in names  # the contract ships with the code
