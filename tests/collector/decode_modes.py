"""Run a collector test with decoding in a thread and in decode worker processes.

``@POOLED`` runs a test taking the ``collector`` fixture twice (import
``collector_fixture`` from here): ``decode_workers=0`` (decode in a thread) and
``decode_workers=2`` (two worker processes, Arrow IPC back).
``@WITH_WORKERS`` gives a ``decode_workers`` argument for tests that start their own
collectors. They go on the tests that exercise decode, limits, pricing, errors and
durability, not on every test: each pooled collector spawns two Python processes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

WORKERS = [0, 2]
"""``decode_workers`` values the pooled tests run with."""


def _ids(n: int) -> str:
    return f"decode_workers={n}"


@pytest.fixture(name="collector")
def collector_fixture(request: pytest.FixtureRequest, collector_factory: Callable[..., Any]) -> Any:
    """The ``collector`` fixture, with ``decode_workers`` from an indirect parameter.

    Import it into a test module (beside ``POOLED``) to override the shared one there.
    """
    return collector_factory(decode_workers=getattr(request, "param", 0))


POOLED = pytest.mark.parametrize("collector", WORKERS, indirect=True, ids=_ids)
WITH_WORKERS = pytest.mark.parametrize("decode_workers", WORKERS, ids=_ids)


def child_pids(pid: int) -> list[int]:
    """The direct children of process ``pid`` (Linux ``/proc``): its decode workers."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return sorted(children)


def peak_rss_bytes(pid: int) -> int:
    """The resident-set high-water mark (VmHWM) of process ``pid``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("VmHWM not found")
