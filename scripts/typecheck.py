"""Type-check the ``chainsight`` package as it is laid out once installed.

mypy cannot follow setuptools' editable finder that maps ``sdk/`` to ``chainsight`` and
``collector/`` to ``chainsight.collector``, so this builds that tree from symlinks under
``.venv/typecheck/`` and runs mypy on it. Strict on the SDK and storage (pyproject).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = {
    "collector": "collector",
    "storage": "storage",
    "dashboard": "dashboard",
    "demo": "demo",
}


def build_tree(dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    pkg = dest / "chainsight"
    pkg.mkdir(parents=True)
    for entry in (ROOT / "sdk").iterdir():
        if entry.name != "__pycache__":
            os.symlink(entry, pkg / entry.name)
    for name, folder in PARTS.items():
        os.symlink(ROOT / folder, pkg / name)
    return pkg


def main() -> int:
    pkg = build_tree(ROOT / ".venv" / "typecheck")
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), str(pkg)]
    return subprocess.call(cmd, cwd=pkg.parent)


if __name__ == "__main__":
    sys.exit(main())
