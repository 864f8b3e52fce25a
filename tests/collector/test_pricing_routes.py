"""Pricing routes: the shipped table, edits, unpriced models and re-pricing stored spans."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import RunningCollector
from decode_modes import POOLED, collector_fixture  # noqa: F401 - the fixture
from otlp_payloads import PROTOBUF, llm_attributes, request, span


def _entry(
    price_id: str, pattern: str, input_price: float = 1.0, output_price: float = 2.0
) -> dict[str, Any]:
    return {
        "id": price_id,
        "provider": None,
        "model_pattern": pattern,
        "effective_from": "2020-01-01T00:00:00Z",
        "input": input_price,
        "output": output_price,
    }


def _ingest_llm(collector: RunningCollector, model: str) -> str:
    s = span(
        name=f"chat {model}",
        attributes=llm_attributes(model, input_tokens=1_000_000, output_tokens=1_000_000),
    )
    with collector.client() as client:
        body = request([s]).SerializeToString()
        assert (
            client.post("/v1/traces", content=body, headers={"content-type": PROTOBUF}).status_code
            == 200
        )
    return s.trace_id.hex()


def _cost(client: httpx.Client, trace_id: str) -> Any:
    return client.get(f"/api/v1/traces/{trace_id}").json()["spans"][0]["cost"]


def test_default_prices_are_listed(collector: RunningCollector) -> None:
    """The shipped price table is served."""
    with collector.client() as client:
        prices = client.get("/api/v1/pricing").json()
    assert any(p["source"] == "default" for p in prices)


@POOLED
def test_put_price_prices_new_spans(collector: RunningCollector) -> None:
    """A price added through the API applies to spans ingested after it."""
    with collector.client() as client:
        assert client.put("/api/v1/pricing/acme", json=_entry("acme", "acme-1")).status_code == 200
        trace_id = _ingest_llm(collector, "acme-1")
        assert _cost(client, trace_id) == 3.0  # 1M input x $1 + 1M output x $2


def test_unknown_model_is_unpriced_with_null_cost(collector: RunningCollector) -> None:
    """A model without a price has cost null (never 0) and is listed as unpriced."""
    trace_id = _ingest_llm(collector, "mystery-model-x")
    with collector.client() as client:
        assert _cost(client, trace_id) is None
        unpriced = client.get("/api/v1/pricing/unpriced").json()
    assert "mystery-model-x" in {u["model"] for u in unpriced}


@POOLED
def test_reprice_changes_stored_costs(collector: RunningCollector) -> None:
    """After a price is added, POST /pricing/reprice recomputes past spans' cost."""
    trace_id = _ingest_llm(collector, "late-model")
    with collector.client() as client:
        assert _cost(client, trace_id) is None
        client.put("/api/v1/pricing/late", json=_entry("late", "late-model", 2.0, 4.0))
        response = client.post("/api/v1/pricing/reprice")
        assert response.status_code == 200
        assert response.json()["updated"] >= 1
        assert _cost(client, trace_id) == 6.0


def test_delete_price(collector: RunningCollector) -> None:
    """DELETE removes an entry (204); deleting it again is 404."""
    with collector.client() as client:
        client.put("/api/v1/pricing/gone", json=_entry("gone", "gone-1"))
        assert client.delete("/api/v1/pricing/gone").status_code == 204
        assert client.delete("/api/v1/pricing/gone").status_code == 404
        assert "gone" not in {p["id"] for p in client.get("/api/v1/pricing").json()}


def test_put_with_mismatched_id_is_400(collector: RunningCollector) -> None:
    """The path id and the body id must agree."""
    with collector.client() as client:
        response = client.put("/api/v1/pricing/one", json=_entry("two", "x"))
    assert response.status_code == 400


def test_put_with_invalid_pattern_is_400(collector: RunningCollector) -> None:
    """A pattern that is not a regular expression is refused before it is stored."""
    with collector.client() as client:
        response = client.put("/api/v1/pricing/bad", json=_entry("bad", "gpt-(4"))
        assert response.status_code == 400
        assert "bad" not in {p["id"] for p in client.get("/api/v1/pricing").json()}


def test_pricing_file_entries_are_loaded_and_used(
    collector_factory: Callable[..., RunningCollector], tmp_path: Path
) -> None:
    """Entries of CHAINSIGHT_PRICING_FILE are listed with source "file" and price spans."""
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"prices": [_entry("house", "house-model", 10.0, 20.0)]}))
    collector = collector_factory(pricing_file=path)
    trace_id = _ingest_llm(collector, "house-model")
    with collector.client() as client:
        listed = {p["id"]: p["source"] for p in client.get("/api/v1/pricing").json()}
        assert listed["house"] == "file"
        assert _cost(client, trace_id) == 30.0


def test_invalid_pricing_file_stops_startup(
    collector_factory: Callable[..., RunningCollector], tmp_path: Path
) -> None:
    """A malformed pricing file is a startup error, not silently ignored prices."""
    path = tmp_path / "prices.json"
    path.write_text('{"prices": [{"id": "x"}]}')
    with pytest.raises(RuntimeError, match="failed to start"):
        collector_factory(pricing_file=path)
