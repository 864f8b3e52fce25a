"""``StoredTraces``: which trace ids are certainly not in ``traces``, without asking DuckDB.

The writer must know which of a batch's traces are stored already (to probe for duplicate
spans and to merge their rollups). Asking DuckDB scans ``traces.trace_id``: ≈ 1 µs per
span on a new store, ≈ 7-8.5 µs per span once it holds 1.8M traces (10M spans), because
the scan grows with the table (docs/benchmarks.md, "Ingest"). Nearly every batch under
load holds only new traces, so a filter that can say "certainly not stored" lets the
writer skip the question.

A Bloom filter over the low 64 bits of each id's MD5 (``md5_number_lower``; DuckDB's own
``hash`` mapped 512 distinct structured ids to 424 values). It has no false negatives, so
a batch whose ids are all absent from it has no stored trace. Any id it may hold sends the
writer to DuckDB as before, so a false positive costs time, never correctness. Ids are
added after the batch's rows are inserted, inside the write transaction: a rollback leaves
extra ids (false positives), never missing ones. Deleted traces (retention) stay in it,
also only false positives. Filled from the table when the store opens (0.7-1.5 s at 1.8M
traces), and rebuilt from it, twice as large, when it holds its capacity. Memory:
``BITS_PER_ID`` bits per id of capacity, ≈ 4 bytes per stored trace (7 MB at 1.8M).
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

BITS_PER_ID = 16
"""Filter bits per id of capacity: with HASHES = 11, ≈ 0.05% false positives when full."""
HASHES = 11
MIN_CAPACITY = 1 << 16
REBUILD_CHUNK = 1 << 18
"""Ids hashed per step of a rebuild (bounds its temporary arrays to ≈ 25 MB)."""

_HASH = "md5_number_lower(trace_id)"
_LOW = np.uint64(0xFFFFFFFF)
_STEPS = np.arange(HASHES, dtype=np.uint64)

Hashes = npt.NDArray[np.uint64]


def batch_hashes(con: duckdb.DuckDBPyConnection) -> Hashes:
    """The filter's hash of each distinct trace id of the registered ``_cs_batch``."""
    query = f"SELECT {_HASH} AS h FROM (SELECT DISTINCT trace_id FROM _cs_batch)"
    column: Any = con.execute(query).fetchnumpy()["h"]
    return np.unique(np.asarray(column, dtype=np.uint64))


class StoredTraces:
    """A Bloom filter of the trace ids in ``traces`` (see the module docstring)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.capacity = 0
        self.count = 0
        self.bits: npt.NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)
        self.rebuild(con)

    @property
    def size_bits(self) -> int:
        return int(self.bits.size) * 8

    def _positions(self, hashes: Hashes) -> npt.NDArray[np.uint64]:
        """Bit positions of each hash (double hashing), shape (len(hashes), HASHES)."""
        h1 = hashes & _LOW
        h2 = (hashes >> np.uint64(32)) | np.uint64(1)
        return (h1[:, None] + _STEPS[None, :] * h2[:, None]) % np.uint64(self.size_bits)

    def rebuild(self, con: duckdb.DuckDBPyConnection) -> None:
        """Refill from ``traces`` (this connection's view: its open transaction's rows too)."""
        ((stored,),) = con.execute("SELECT count(*) FROM traces").fetchall()
        capacity = max(MIN_CAPACITY, 2 * int(stored))
        flags = np.zeros(capacity * BITS_PER_ID, dtype=np.bool_)
        self.bits = np.zeros(flags.size // 8, dtype=np.uint8)  # sets size_bits for _positions
        reader = con.sql(f"SELECT {_HASH} AS h FROM traces").to_arrow_reader(REBUILD_CHUNK)
        count = 0
        for batch in reader:  # read to the end: DuckDB holds the connection until then
            hashes = np.asarray(batch.column(0).to_numpy(), dtype=np.uint64)
            flags[self._positions(hashes).ravel()] = True
            count += int(hashes.size)
        self.bits = np.packbits(flags, bitorder="little")
        self.capacity = capacity
        self.count = count

    def may_hold_any(self, hashes: Hashes) -> bool:
        """Whether any of ``hashes`` may be stored (False: certainly none is)."""
        if not hashes.size:
            return False
        pos = self._positions(hashes)
        present = (self.bits[pos >> np.uint64(3)] >> (pos & np.uint64(7)).astype(np.uint8)) & 1
        return bool(present.all(axis=1).any())

    def add(self, con: duckdb.DuckDBPyConnection, hashes: Hashes) -> None:
        """Record ``hashes`` as stored (their rows are in ``traces`` in this transaction)."""
        if self.count + hashes.size > self.capacity:
            self.rebuild(con)  # the table already holds them
            return
        pos = self._positions(hashes).ravel()
        np.bitwise_or.at(
            self.bits, pos >> np.uint64(3), np.left_shift(1, pos & np.uint64(7)).astype(np.uint8)
        )
        self.count += int(hashes.size)
