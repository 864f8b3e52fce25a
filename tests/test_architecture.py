"""The dependency rules of ARCHITECTURE.md, checked on the source (import-linter cannot see
packages mapped from sibling folders, so the rules are an AST walk)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDER_PACKAGE = {
    "sdk": "chainsight",
    "collector": "chainsight.collector",
    "storage": "chainsight.storage",
    "dashboard": "chainsight.dashboard",
    "demo": "chainsight.demo",
}
SERVER_LIBS = ("duckdb", "fastapi", "starlette", "uvicorn", "streamlit", "plotly", "pyarrow")


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT)
    parts = [FOLDER_PACKAGE[rel.parts[0]], *rel.parts[1:]]
    parts[-1] = parts[-1].removesuffix(".py")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
    return found


def _files(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in _files(folder):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def test_sdk_imports_nothing_of_the_server() -> None:
    """`pip install chainsight` must work without the server extra."""
    forbidden = (
        "chainsight.collector",
        "chainsight.storage",
        "chainsight.dashboard",
        *SERVER_LIBS,
    )
    assert _violations("sdk", forbidden) == []


def test_collector_uses_only_the_public_storage_interface() -> None:
    """Backends are reached through open_store() and the Store protocol, never directly."""
    forbidden = ("chainsight.storage.duckdb", "duckdb", "chainsight.dashboard")
    assert _violations("collector", forbidden) == []


def test_storage_depends_on_no_other_part() -> None:
    """Storage knows nothing of the collector or the dashboard."""
    assert _violations("storage", ("chainsight.collector", "chainsight.dashboard")) == []


def test_dashboard_reads_only_through_the_api() -> None:
    """The dashboard never opens the database nor reaches into the collector."""
    forbidden = ("chainsight.collector", "chainsight.storage.duckdb", "duckdb")
    assert _violations("dashboard", forbidden) == []


@pytest.mark.parametrize("folder", ["sdk", "collector", "storage", "dashboard", "benchmarks"])
def test_attribute_names_are_spelled_only_in_semconv(folder: str) -> None:
    """Every gen_ai.* name lives in chainsight.semconv (STYLE.md guideline 3)."""
    pattern = re.compile(r"""["']gen_ai\.""")
    offenders = [
        str(p.relative_to(ROOT))
        for p in _files(folder)
        if p.name != "semconv.py" and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_no_catch_all_helper_modules() -> None:
    """A helper without a home means the design lacks a noun (STYLE.md guideline 1)."""
    names = {"utils.py", "helpers.py", "common.py", "misc.py"}
    found = [str(p.relative_to(ROOT)) for f in FOLDER_PACKAGE for p in _files(f) if p.name in names]
    assert found == []
