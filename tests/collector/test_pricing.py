"""The price book: anchored, provider-aware, dated matching and the cost formula."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chainsight.collector.pricing import (
    PriceBook,
    canonical_provider,
    load_default_prices,
    load_price_file,
    merge_prices,
    normalize_model_name,
)
from chainsight.storage import UsageForPricing
from chainsight.storage.model import PriceEntry

NOW_NS = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp()) * 10**9


def _ns(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp()) * 10**9


def _entry(
    pattern: str,
    *,
    id: str | None = None,
    provider: str | None = "openai",
    since: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    input: float = 2.0,
    output: float = 8.0,
    cached_read: float | None = None,
    cache_write: float | None = None,
    reasoning: float | None = None,
) -> PriceEntry:
    return PriceEntry(
        id=id or f"{provider}/{pattern}@{since.date()}",
        provider=provider,
        model_pattern=pattern,
        effective_from=since,
        input=input,
        output=output,
        cached_read=cached_read,
        cache_write=cache_write,
        reasoning=reasoning,
    )


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("openai/gpt-4o-2024-08-06", "gpt-4o"),
        ("models/gemini-1.5-pro-002", "gemini-1.5-pro"),
        ("gemini-2.5-flash-preview-05-20", "gemini-2.5-flash"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet"),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
        ("mistral-large-latest", "mistral-large"),
        ("mistral-large-2411", "mistral-large"),
        ("qwen-max-2025-01-25", "qwen-max"),
        ("GPT-4o-Mini", "gpt-4o-mini"),
        ("deepseek-chat", "deepseek-chat"),
    ],
)
def test_model_names_are_normalized_before_matching(raw: str, normalized: str) -> None:
    """Provider prefixes, date suffixes, -latest/-preview and version pins are stripped."""
    assert normalize_model_name(raw) == normalized


def test_patterns_are_anchored() -> None:
    """A pattern matches the whole name: gpt-4o does not price gpt-4o-mini or my-gpt-4o."""
    book = PriceBook([_entry("gpt-4o")])
    assert book.match("openai", "gpt-4o-2024-08-06", NOW_NS) is not None
    assert book.match("openai", "gpt-4o-mini", NOW_NS) is None
    assert book.match("openai", "my-gpt-4o", NOW_NS) is None


def test_latest_effective_entry_not_after_the_span_wins() -> None:
    """A price change applies to spans from its effective date on, not before."""
    old = _entry("o3", id="old", since=datetime(2025, 4, 1, tzinfo=UTC), input=10.0)
    new = _entry("o3", id="new", since=datetime(2025, 6, 10, tzinfo=UTC), input=2.0)
    book = PriceBook([new, old])
    assert book.cost("openai", "o3", _ns(2025, 5, 1), 1_000_000, 0, None, None, None) == (
        10.0,
        "old",
    )
    assert book.cost("openai", "o3", _ns(2025, 7, 1), 1_000_000, 0, None, None, None) == (
        2.0,
        "new",
    )


def test_span_before_every_entry_is_unpriced() -> None:
    """No entry in force at the span's time means no price, not the earliest price."""
    book = PriceBook([_entry("o3", since=datetime(2025, 4, 1, tzinfo=UTC))])
    assert book.cost("openai", "o3", _ns(2024, 1, 1), 100, 100, None, None, None) == (None, None)


def test_cached_tokens_are_not_billed_twice() -> None:
    """Cached tokens are a subset of input: billed at the cached price only."""
    book = PriceBook([_entry("m", id="m", input=2.0, output=8.0, cached_read=0.5)])
    cost, _ = book.cost("openai", "m", NOW_NS, 1_000_000, 0, 400_000, None, None)
    assert cost == pytest.approx(600_000 * 2.0 / 1e6 + 400_000 * 0.5 / 1e6)


def test_cache_write_tokens_are_priced_at_the_cache_write_price() -> None:
    """Cache-creation tokens leave the plain-input share and use their own price."""
    book = PriceBook([_entry("m", provider="anthropic", input=3.0, output=15.0, cache_write=3.75)])
    cost, _ = book.cost("anthropic", "m", NOW_NS, 1_000_000, 0, None, 200_000, None)
    assert cost == pytest.approx(0.8 * 3.0 + 0.2 * 3.75)


def test_missing_cache_prices_fall_back_to_the_input_price() -> None:
    """No cached_read/cache_write price: those tokens cost what input costs."""
    book = PriceBook([_entry("m", input=2.0, output=8.0)])
    cost, _ = book.cost("openai", "m", NOW_NS, 1_000_000, 0, 300_000, 100_000, None)
    assert cost == pytest.approx(2.0)


def test_reasoning_tokens_are_priced_separately() -> None:
    """Reasoning tokens are a subset of output, billed at the reasoning price when set."""
    book = PriceBook([_entry("m", input=1.0, output=4.0, reasoning=10.0)])
    cost, _ = book.cost("openai", "m", NOW_NS, 0, 1_000_000, None, None, 250_000)
    assert cost == pytest.approx(0.75 * 4.0 + 0.25 * 10.0)


def test_missing_reasoning_price_falls_back_to_the_output_price() -> None:
    """Without a reasoning price, reasoning tokens cost what output costs (never 0)."""
    book = PriceBook([_entry("m", input=1.0, output=4.0)])
    cost, _ = book.cost("openai", "m", NOW_NS, 0, 1_000_000, None, None, 250_000)
    assert cost == pytest.approx(4.0)


def test_unknown_model_costs_none_not_zero() -> None:
    """An unmatched model is unpriced: (None, None), so it can be listed as unpriced."""
    book = PriceBook([_entry("gpt-4o")])
    assert book.cost("openai", "llama-3-70b", NOW_NS, 100, 100, None, None, None) == (None, None)


def test_matched_model_without_token_counts_has_unknown_cost() -> None:
    """A priced model with no usage reported keeps the entry id but no cost."""
    book = PriceBook([_entry("gpt-4o", id="p")])
    assert book.cost("openai", "gpt-4o", NOW_NS, None, None, None, None, None) == (None, "p")


def test_the_spans_provider_picks_among_entries_for_the_same_model() -> None:
    """Two providers pricing the same name: the span's provider chooses."""
    book = PriceBook(
        [
            _entry("deepseek-r1", id="deepseek", provider="deepseek"),
            _entry("deepseek-r1", id="together", provider="together"),
        ]
    )
    assert book.cost("together", "deepseek-r1", NOW_NS, 1, 1, None, None, None)[1] == "together"
    assert book.cost("deepseek", "deepseek-r1", NOW_NS, 1, 1, None, None, None)[1] == "deepseek"


def test_a_known_provider_must_agree_with_the_entry() -> None:
    """A provider the book prices elsewhere does not borrow another provider's entry."""
    book = PriceBook([_entry("shared-name", provider="openai"), _entry("x", provider="anthropic")])
    assert book.match("anthropic", "shared-name", NOW_NS) is None


def test_a_gateway_provider_matches_by_model_alone() -> None:
    """A provider no entry names (azure, openrouter) is priced by the model name."""
    book = PriceBook([_entry("gpt-4o", id="p")])
    assert book.cost("openrouter", "openai/gpt-4o", NOW_NS, 1, 1, None, None, None)[1] == "p"


def test_provider_spellings_are_canonical() -> None:
    """OTel, OpenInference and OpenLLMetry spellings of one provider match one entry."""
    assert {canonical_provider(p) for p in ("gcp.gemini", "google", "Gemini", "vertexai")} == {
        "google"
    }
    assert canonical_provider("OpenAI") == "openai"
    assert canonical_provider("mistral_ai") == canonical_provider("mistralai") == "mistral"


def test_a_snapshot_entry_beats_the_family_entry() -> None:
    """A pattern matching the dated name outranks one matching only the normalized name."""
    book = PriceBook([_entry("gpt-4o", id="family"), _entry("gpt-4o-2024-05-13", id="snapshot")])
    assert book.match("openai", "gpt-4o-2024-05-13", NOW_NS).id == "snapshot"  # type: ignore[union-attr]
    assert book.match("openai", "gpt-4o-2024-08-06", NOW_NS).id == "family"  # type: ignore[union-attr]


def test_price_prices_stored_usage_like_ingest() -> None:
    """PriceBook.price (the re-pricing Pricer) agrees with the ingest-time cost."""
    book = PriceBook([_entry("gpt-4o", id="p", cached_read=1.0)])
    usage = UsageForPricing("openai", "gpt-4o", NOW_NS, 1000, 500, 200, None, None)
    assert book.price(usage) == book.cost("openai", "gpt-4o", NOW_NS, 1000, 500, 200, None, None)


def test_results_stay_right_after_cache_eviction() -> None:
    """The bounded match cache evicts without changing any answer."""
    book = PriceBook([_entry("m-\\d+", id="p")], cache_size=2)
    for i in range(10):
        assert book.match("openai", f"m-{i}", NOW_NS) is not None
        assert book.match("openai", f"x-{i}", NOW_NS) is None


def test_invalid_pattern_is_refused_naming_the_entry() -> None:
    """A bad regex fails when the book is built, naming the entry."""
    with pytest.raises(ValueError, match="broken"):
        PriceBook([_entry("gpt-(4o", id="broken")])


def test_shipped_defaults_have_unique_ids_and_default_source() -> None:
    """prices.json loads, every id is unique and marked as a default."""
    entries = load_default_prices()
    assert len({e.id for e in entries}) == len(entries)
    assert {e.source for e in entries} == {"default"}


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("openai", "gpt-4o-2024-08-06"),
        ("openai", "gpt-4o-mini"),
        ("openai", "gpt-4.1"),
        ("openai", "gpt-4.1-mini"),
        ("openai", "gpt-4.1-nano"),
        ("openai", "o1"),
        ("openai", "o3"),
        ("openai", "o3-mini"),
        ("openai", "o4-mini-2025-04-16"),
        ("openai", "gpt-5"),
        ("openai", "gpt-5-mini"),
        ("openai", "gpt-5-nano"),
        ("openai", "text-embedding-3-small"),
        ("anthropic", "claude-3-5-sonnet-20241022"),
        ("anthropic", "claude-3-7-sonnet-20250219"),
        ("anthropic", "claude-3-5-haiku-20241022"),
        ("anthropic", "claude-sonnet-4-20250514"),
        ("anthropic", "claude-opus-4-1-20250805"),
        ("anthropic", "claude-sonnet-4-5-20250929"),
        ("anthropic", "claude-haiku-4-5-20251001"),
        ("gcp.gemini", "gemini-1.5-pro-002"),
        ("gcp.gemini", "gemini-1.5-flash"),
        ("gcp.gemini", "gemini-2.0-flash"),
        ("gcp.gemini", "gemini-2.5-pro"),
        ("gcp.gemini", "gemini-2.5-flash"),
        ("dashscope", "qwen-max"),
        ("dashscope", "qwen-plus"),
        ("dashscope", "qwen-turbo"),
        ("deepseek", "deepseek-chat"),
        ("deepseek", "deepseek-reasoner"),
        ("mistral_ai", "mistral-large-latest"),
        ("mistral_ai", "mistral-small-latest"),
        ("mistral_ai", "codestral-latest"),
    ],
)
def test_shipped_defaults_price_current_models(provider: str, model: str) -> None:
    """Every model family the defaults promise gets a positive cost."""
    cost, price_id = PriceBook.default().cost(provider, model, NOW_NS, 1000, 100, None, None, None)
    assert price_id is not None
    assert cost is not None
    assert cost > 0


def test_price_file_loads_json_as_file_source(tmp_path: Path) -> None:
    """An override file in the prices.json shape loads with source="file"."""
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {
                "prices": [
                    {
                        "id": "acme",
                        "provider": "acme",
                        "model_pattern": "acme-1",
                        "effective_from": "2025-01-01T00:00:00Z",
                        "input": 1,
                        "output": 2,
                    }
                ]
            }
        )
    )
    [entry] = load_price_file(path)
    assert (entry.id, entry.source, entry.output) == ("acme", "file", 2.0)


def test_price_file_loads_yaml(tmp_path: Path) -> None:
    """YAML price files are read too."""
    path = tmp_path / "prices.yaml"
    path.write_text(
        "- id: y\n  provider: null\n  model_pattern: y-.*\n"
        "  effective_from: 2025-01-01T00:00:00Z\n  input: 1\n  output: 1\n"
    )
    assert [e.id for e in load_price_file(path)] == ["y"]


def test_price_file_with_a_bad_pattern_is_refused(tmp_path: Path) -> None:
    """A malformed override file fails loudly, naming the entry."""
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "bad",
                    "provider": None,
                    "model_pattern": "(",
                    "effective_from": "2025-01-01T00:00:00Z",
                    "input": 1,
                    "output": 1,
                }
            ]
        )
    )
    with pytest.raises(ValueError, match="bad"):
        load_price_file(path)


def test_later_price_layers_replace_earlier_ids() -> None:
    """merge_prices: an override with a default's id replaces it; new ids are added."""
    default = _entry("gpt-4o", id="p", input=2.5)
    override = _entry("gpt-4o", id="p", input=1.0)
    extra = _entry("acme", id="acme")
    merged = merge_prices([default], [override, extra])
    assert [(e.id, e.input) for e in merged] == [("p", 1.0), ("acme", 2.0)]
