"""Fixtures for the SDK tests: real OTel SDK objects, spans captured in memory.

Every test gets a fresh ``TracerProvider`` + ``SimpleSpanProcessor(InMemorySpanExporter())``
through ``chainsight.testing.capturing`` (never OTel's global provider), and runs with
``RUNTIME.raise_internal_errors`` on, so an SDK bug fails the test instead of being logged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chainsight._runtime import RUNTIME
from chainsight.testing import CapturedSpans, capturing


@pytest.fixture
def spans() -> Iterator[CapturedSpans]:
    """Chainsight spans of this test, in memory."""
    with capturing() as captured:
        yield captured


@pytest.fixture
def reconfigure(spans: CapturedSpans) -> Callable[..., None]:
    """Replace fields of the active config for this test (``spans`` restores it after)."""

    def change(**fields: Any) -> None:
        RUNTIME.config = dataclasses.replace(RUNTIME.config, **fields)

    return change
