"""Backends and data for the storage contract suite (fixtures are in conftest.py).

Adding a backend is one entry in ``BACKENDS``: a function from ``tmp_path`` to an open
store. Every test in ``test_contract_*.py`` then runs against it. Data comes from the text
fixture ``fixtures/traces.jsonl`` (five traces over two projects) or from ``span()``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from chainsight.storage.duckdb import DuckDBStore
from chainsight.storage.model import SpanRecord
from chainsight.storage.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
BASE_NS = 1_748_736_000 * 10**9
"""2025-06-01T00:00:00Z, the fixture traces' time origin."""

BACKENDS: dict[str, Callable[[Path], Store]] = {
    "duckdb": lambda tmp: DuckDBStore.open(tmp / "store.duckdb"),
}


def load_spans(name: str = "traces.jsonl") -> list[SpanRecord]:
    """SpanRecords from a JSON-lines text fixture (one object per span)."""
    names = {f.name for f in fields(SpanRecord)}
    out = []
    for line in (FIXTURES / name).read_text().splitlines():
        if line.strip():
            data: dict[str, Any] = json.loads(line)
            data["tags"] = tuple(data.get("tags", ()))
            out.append(SpanRecord(**{k: v for k, v in data.items() if k in names}))
    return out


def span(trace: str, sid: str, parent: str | None = None, **overrides: Any) -> SpanRecord:
    """A span with ids made of one repeated hex char; start/end in ms after BASE_NS."""
    start_ms = overrides.pop("start_ms", 0)
    end_ms = overrides.pop("end_ms", start_ms + 10)
    base = SpanRecord(
        project="alpha",
        trace_id=trace * (32 // len(trace)),
        span_id=sid * (16 // len(sid)),
        parent_span_id=None if parent is None else parent * (16 // len(parent)),
        name=f"span {sid}",
        kind="chain",
        service="svc",
        start_ns=BASE_NS + start_ms * 10**6,
        end_ns=BASE_NS + end_ms * 10**6,
        duration_ms=float(end_ms - start_ms),
        status="ok",
    )
    return replace(base, **overrides)
