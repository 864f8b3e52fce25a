"""DuckDB-specific behaviour on real files: durability, locking, threads, migrations."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from chainsight.storage import open_store
from chainsight.storage.duckdb import DuckDBStore
from chainsight.storage.duckdb.migrations import CURRENT_VERSION
from chainsight.storage.errors import StorageError, StorageUnavailable
from chainsight.storage.model import TraceFilter

from .storage_fixtures import load_spans, span

HOLDER = """
import sys
from chainsight.storage.duckdb import DuckDBStore
store = DuckDBStore.open(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
store.close()
"""


def test_reopen_after_close_keeps_data(tmp_path: Path) -> None:
    """Spans written, store closed, file reopened: every span and trace is there."""
    path = tmp_path / "data.duckdb"
    store = DuckDBStore.open(path)
    store.write_spans(load_spans())
    before = store.list_traces(TraceFilter())
    store.close()
    again = DuckDBStore.open(path)
    try:
        assert again.stats()["spans"] == 12
        assert again.list_traces(TraceFilter()) == before
        assert again.write_spans(load_spans()).duplicates == 12
    finally:
        again.close()


def test_file_held_by_another_process_is_unavailable(tmp_path: Path) -> None:
    """Opening a file another process holds raises StorageUnavailable naming the cause."""
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StorageUnavailable, match="another process") as info:
            DuckDBStore.open(path)
        assert isinstance(info.value.__cause__, duckdb.Error)
    finally:
        holder.communicate("\n", timeout=30)


def test_readers_on_other_threads_see_consistent_data_while_writing(tmp_path: Path) -> None:
    """Threads reading while one thread writes never fail and always see whole batches."""
    store = DuckDBStore.open(tmp_path / "threads.duckdb")
    errors: list[BaseException] = []
    seen: list[int] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                n = store.stats()["spans"]
                seen.append(n)
                if n % 3:  # every batch below holds 3 spans: one transaction, all or none
                    raise AssertionError(f"partial batch visible: {n}")
                store.list_traces(TraceFilter(), limit=10)
        except (StorageError, AssertionError) as e:
            errors.append(e)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for i in range(40):
            trace = f"{i:032x}"
            store.write_spans(
                [span(trace, "1"), span(trace, "2", "1"), span(trace, "3", "1", start_ms=5)]
            )
    finally:
        done.set()
        for t in readers:
            t.join(timeout=30)
    assert errors == []
    assert seen and store.stats()["spans"] == 120
    store.close()


def test_new_file_is_at_current_schema_version(tmp_path: Path) -> None:
    """A fresh database records every migration up to the current version."""
    path = tmp_path / "v.duckdb"
    DuckDBStore.open(path).close()
    con = duckdb.connect(str(path))
    try:
        rows = con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    finally:
        con.close()
    assert [r[0] for r in rows] == list(range(1, CURRENT_VERSION + 1))


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """A file written by a newer Chainsight is refused rather than guessed at."""
    path = tmp_path / "future.duckdb"
    DuckDBStore.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version VALUES (?, 0)", [CURRENT_VERSION + 1])
    con.close()
    with pytest.raises(StorageUnavailable, match="newer"):
        DuckDBStore.open(path)


def test_closed_store_raises_storage_error(tmp_path: Path) -> None:
    """Calls after close raise StorageError instead of touching a closed connection."""
    store = DuckDBStore.open(tmp_path / "c.duckdb")
    store.close()
    store.close()
    with pytest.raises(StorageError):
        store.stats()
    with pytest.raises(StorageError):
        store.write_spans([span("ab", "1")])


def test_open_store_url_schemes(tmp_path: Path) -> None:
    """open_store accepts duckdb:///abs/path and duckdb://:memory:."""
    on_disk = open_store(f"duckdb://{tmp_path / 'u.duckdb'}")
    on_disk.close()
    assert (tmp_path / "u.duckdb").exists()
    memory = open_store("duckdb://:memory:")
    assert memory.stats()["spans"] == 0
    memory.close()


def test_unwritable_path_is_unavailable(tmp_path: Path) -> None:
    """A path that cannot be created raises StorageUnavailable."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageUnavailable):
        DuckDBStore.open(blocker / "sub" / "db.duckdb")


def test_memory_store_works(tmp_path: Path) -> None:
    """':memory:' is a full store (used by unit tests elsewhere)."""
    store = DuckDBStore.open(":memory:")
    store.write_spans(load_spans())
    assert store.get_trace("1" * 32) is not None
    store.close()
