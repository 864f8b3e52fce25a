"""The public API: ``chainsight.__all__`` is exactly the documented surface."""

from __future__ import annotations

import re
from pathlib import Path

import chainsight

DOCUMENTED = {
    "init",
    "instrument_openai",
    "instrument_anthropic",
    "flush",
    "shutdown",
    "dropped_spans",
    "export_stats",
    "trace",
    "llm",
    "retriever",
    "embedding",
    "reranker",
    "tool",
    "agent",
    "guardrail",
    "evaluator",
    "span",
    "current_span",
    "context",
    "bind_context",
    "Span",
    "NoopSpan",
    "StepDecorator",
    "__version__",
}


def test_all_matches_the_documented_api() -> None:
    """Nothing public is missing from __all__ and nothing private leaks into it."""
    assert set(chainsight.__all__) == DOCUMENTED


def test_every_exported_name_exists() -> None:
    """Each name in __all__ resolves on the package."""
    for name in chainsight.__all__:
        assert getattr(chainsight, name) is not None


def test_every_exported_name_is_in_the_sdk_docs() -> None:
    """docs/sdk.md mentions every public name."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "sdk.md").read_text(encoding="utf-8")
    missing = [
        name
        for name in chainsight.__all__
        if name != "__version__" and not re.search(rf"\b{re.escape(name)}\b", text)
    ]
    assert missing == []
