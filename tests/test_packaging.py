"""The built wheel holds every subpackage and the SDK's install stays light."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER_PACKAGE = {
    "sdk": "chainsight",
    "collector": "chainsight/collector",
    "storage": "chainsight/storage",
    "dashboard": "chainsight/dashboard",
    "demo": "chainsight/demo",
}


def _source_files() -> set[str]:
    """Every file the wheel must carry, as its path inside the wheel."""
    wanted: set[str] = set()
    suffixes = {".py", ".sql", ".json", ".yaml", ".typed"}
    for folder, prefix in FOLDER_PACKAGE.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in suffixes and "__pycache__" not in path.parts:
                wanted.add(f"{prefix}/{path.relative_to(ROOT / folder).as_posix()}")
    return wanted


def test_wheel_contains_every_module(tmp_path: Path) -> None:
    """A package missing from pyproject's list silently vanishes from the wheel."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("chainsight-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(_source_files() - names)
    assert missing == []


def test_sdk_dependencies_exclude_server_parts() -> None:
    """`pip install chainsight` installs instrumentation only; servers are the extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"]).lower()
    for heavy in ("duckdb", "fastapi", "uvicorn", "streamlit", "plotly", "pyarrow"):
        assert heavy not in base
    server = " ".join(project["optional-dependencies"]["server"]).lower()
    for needed in ("duckdb", "fastapi", "uvicorn", "streamlit", "plotly"):
        assert needed in server
