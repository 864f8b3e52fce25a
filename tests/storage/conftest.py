"""Store fixtures for the contract suite: one ``store`` per backend in ``BACKENDS``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chainsight.storage.store import Store

from .storage_fixtures import BACKENDS, load_spans


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each backend."""
    s = BACKENDS[request.param](tmp_path)
    yield s
    s.close()


@pytest.fixture
def loaded(store: Store) -> Store:
    """A store holding ``fixtures/traces.jsonl``."""
    store.write_spans(load_spans())
    return store
