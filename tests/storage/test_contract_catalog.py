"""Contract: the pricing and API-key tables."""

from __future__ import annotations

from datetime import UTC, datetime

from chainsight.storage.model import PriceEntry, StoredKey
from chainsight.storage.store import Store

from .storage_fixtures import span


def _price(pid: str, pattern: str = "gpt-4o", output: float = 10.0) -> PriceEntry:
    return PriceEntry(
        id=pid,
        provider="openai",
        model_pattern=pattern,
        effective_from=datetime(2025, 1, 1, tzinfo=UTC),
        input=2.5,
        output=output,
        cached_read=1.25,
        source="api",
    )


def test_prices_upsert_and_list(store: Store) -> None:
    """Upserted entries come back equal, ordered by pattern."""
    entries = [_price("b", "gpt-4o-mini"), _price("a")]
    store.prices.upsert(entries)
    assert store.prices.list() == [entries[1], entries[0]]


def test_price_upsert_replaces_by_id(store: Store) -> None:
    """Upserting an existing id replaces it."""
    store.prices.upsert([_price("a")])
    store.prices.upsert([_price("a", output=12.0)])
    assert [p.output for p in store.prices.list()] == [12.0]


def test_price_delete(store: Store) -> None:
    """delete removes an entry and reports whether it existed."""
    store.prices.upsert([_price("a")])
    assert store.prices.delete("a") is True
    assert store.prices.delete("a") is False
    assert store.prices.list() == []


def test_unpriced_models_lists_models_without_cost(loaded: Store) -> None:
    """A model on spans with cost None is listed with its span count."""
    (m,) = loaded.prices.unpriced_models()
    assert (m.model, m.provider, m.span_count) == ("claude-sonnet-4", "anthropic", 1)
    assert loaded.prices.unpriced_models(project="beta") == []


def test_unpriced_models_skip_matched_spans_without_tokens(store: Store) -> None:
    """Only spans that matched no price entry and carry tokens make a model unpriced."""
    store.write_spans(
        [
            span("1", "1", kind="llm", model="gpt-4o", price_id="openai/gpt-4o"),
            span("1", "2", kind="llm", model="mystery", input_tokens=5),
            span("1", "3", kind="llm", model="no-usage"),
        ]
    )
    assert [m.model for m in store.prices.unpriced_models()] == ["mystery"]


def _key(kid: str, project: str = "alpha") -> StoredKey:
    return StoredKey(id=kid, project=project, salt=b"\x00salt", hash=b"\xffhash", revoked=False)


def test_key_add_lookup_roundtrip(store: Store) -> None:
    """A stored key is found by id with its salt and hash bytes intact."""
    info = store.keys.add(_key("k1"), "ci", "cs_k1…abcd")
    assert (info.id, info.project, info.name, info.revoked_at) == ("k1", "alpha", "ci", None)
    assert store.keys.lookup("k1") == _key("k1")
    assert store.keys.lookup("nope") is None


def test_key_list_by_project(store: Store) -> None:
    """list filters by project and never exposes hashes."""
    store.keys.add(_key("k1"), None, "m1")
    store.keys.add(_key("k2", "beta"), None, "m2")
    assert [k.id for k in store.keys.list()] == ["k1", "k2"]
    assert [k.masked for k in store.keys.list(project="beta")] == ["m2"]


def test_key_revoke(store: Store) -> None:
    """Revoking marks the key; lookup flags it; a second revoke reports False."""
    store.keys.add(_key("k1"), None, "m1")
    assert store.keys.any_active()
    assert store.keys.revoke("k1") is True
    assert store.keys.revoke("k1") is False
    found = store.keys.lookup("k1")
    assert found is not None and found.revoked
    assert store.keys.list()[0].revoked_at is not None
    assert not store.keys.any_active()
