"""The price book: which price entry a span's model matches, and what its tokens cost.

Matching (``docs/pricing.md``): a model name is first reduced to a *bare* name
(lower-cased, provider/path prefixes such as ``openai/`` or ``models/`` and Bedrock's
``anthropic.`` stripped) and a *normalized* name (the bare name without date suffixes
``-2024-08-06``/``-20240620``/``@20240620``, ``-latest``/``-preview``, version pins
``-001``/``-2411``/``-v1:0``). Each entry's pattern must ``re.fullmatch`` one of them.
Candidates rank by provider (the span's provider equals the entry's > either side
unknown), then by name (bare beats normalized, so a snapshot can be priced apart from
its alias), then by ``effective_from`` (latest not after the span's start). A span whose
provider no entry names (a gateway such as ``azure`` or ``openrouter``) matches by model
alone; a provider the book knows must agree with the entry's.

Cost, USD per 1M tokens (cached tokens are a subset of input, reasoning a subset of
output, so neither is billed twice)::

    (input - cached - cache_write) * input_price + cached * cached_read
    + cache_write * cache_write_price + (output - reasoning) * output_price
    + reasoning * reasoning_price

A missing ``cached_read``/``cache_write`` price falls back to the input price, a missing
``reasoning`` price to the output price. An unknown model costs ``None``, never 0.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

from chainsight.storage import UsageForPricing
from chainsight.storage.model import PriceEntry

__all__ = [
    "PriceBook",
    "canonical_provider",
    "load_default_prices",
    "load_price_file",
    "merge_prices",
    "normalize_model_name",
]

_PROVIDER_SYNONYMS: Final = {
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "gemini": "google",
    "google_genai": "google",
    "google.genai": "google",
    "google.generativeai": "google",
    "vertex_ai": "google",
    "vertexai": "google",
    "mistral_ai": "mistral",
    "mistralai": "mistral",
    "alibaba": "dashscope",
    "alibaba_cloud": "dashscope",
    "aliyun": "dashscope",
    "qwen": "dashscope",
    "tongyi": "dashscope",
    "aws": "aws.bedrock",
    "bedrock": "aws.bedrock",
    "azure": "azure.ai.openai",
    "az.ai.openai": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "x_ai": "xai",
}
"""Spellings of one provider across OTel GenAI, OpenInference and OpenLLMetry values."""

_PREFIX = re.compile(r"^(?:[^/]*/)+")  # "openai/", "models/", "accounts/x/models/"
_BEDROCK_PREFIX = re.compile(
    r"^(?:(?:us|eu|apac|global)\.)?(?:anthropic|meta|mistral|amazon|cohere|ai21|deepseek|qwen)\."
)
_PIN_SUFFIXES = re.compile(
    r"(?:-v\d+(?::\d+)?"  # Bedrock -v1:0
    r"|@[\w.-]+"  # Vertex @20240620 / @001
    r"|-\d{4}-\d{2}-\d{2}"  # OpenAI -2024-08-06
    r"|-\d{8}"  # Anthropic -20240620
    r"|-\d{4}"  # -0125, Mistral -2411
    r"|-\d{3}"  # Gemini -001
    r"|-latest"
    r"|-preview(?:-\d{2}-\d{2})?"
    r")$"
)


def canonical_provider(name: str | None) -> str | None:
    """One spelling per provider: ``"gcp.gemini"``, ``"Gemini"`` and ``"vertexai"`` → ``"google"``.

    >>> canonical_provider("MistralAI")
    'mistral'
    """
    if not name:
        return None
    low = name.strip().lower()
    return _PROVIDER_SYNONYMS.get(low, low) or None


def _bare_name(model: str) -> str:
    return _BEDROCK_PREFIX.sub("", _PREFIX.sub("", model.strip().lower()))


def normalize_model_name(model: str) -> str:
    """Strip provider prefixes, date suffixes and version pins; keeps the family name.

    >>> normalize_model_name("openai/gpt-4o-2024-08-06")
    'gpt-4o'
    >>> normalize_model_name("anthropic.claude-3-5-sonnet-20240620-v1:0")
    'claude-3-5-sonnet'
    """
    name = _bare_name(model)
    for _ in range(4):  # e.g. -20240620 then -v1:0: each pass strips one suffix
        stripped = _PIN_SUFFIXES.sub("", name)
        if stripped == name or not stripped:
            break
        name = stripped
    return name


def _utc_ns(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


@dataclass(frozen=True, slots=True)
class _Compiled:
    entry: PriceEntry
    pattern: re.Pattern[str]
    provider: str | None
    effective_ns: int


Candidates = tuple[tuple[int, PriceEntry], ...]


class PriceBook:
    """Immutable set of price entries with a bounded cache of model → candidate entries.

    Safe to share between the decode worker threads: hits are one dict lookup, misses
    fill the cache under a lock. Build a new book to change prices.

    >>> from datetime import datetime
    >>> book = PriceBook([PriceEntry(id="p", provider="openai", model_pattern="gpt-4o",
    ...     effective_from=datetime(2024, 1, 1), input=2.5, output=10.0)])
    >>> book.cost("openai", "gpt-4o-2024-08-06", 1_750_000_000 * 10**9, 1000, 100, None, None, None)
    (0.0035, 'p')
    """

    __slots__ = ("_cache", "_cache_size", "_compiled", "_entries", "_lock", "_providers")

    def __init__(self, entries: Iterable[PriceEntry], *, cache_size: int = 4096) -> None:
        self._entries = tuple(entries)
        compiled = []
        for entry in self._entries:
            try:
                pattern = re.compile(entry.model_pattern, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(
                    f"price {entry.id!r}: invalid model_pattern {entry.model_pattern!r}: {exc}"
                ) from exc
            compiled.append(
                _Compiled(
                    entry,
                    pattern,
                    canonical_provider(entry.provider),
                    _utc_ns(entry.effective_from),
                )
            )
        self._compiled = tuple(compiled)
        self._providers = frozenset(c.provider for c in compiled if c.provider)
        self._cache: dict[tuple[str | None, str], Candidates] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def default(cls) -> PriceBook:
        """The book of shipped list prices (``prices.json``)."""
        return cls(load_default_prices())

    @property
    def entries(self) -> tuple[PriceEntry, ...]:
        """The entries this book was built from, in the given order."""
        return self._entries

    def _candidates(self, provider: str | None, model: str) -> Candidates:
        key = (provider, model)
        found = self._cache.get(key)
        if found is not None:
            return found
        bare = _bare_name(model)
        norm = normalize_model_name(model)
        strict = provider is not None and provider in self._providers
        ranked: list[tuple[int, int, int, PriceEntry]] = []
        for c in self._compiled:
            if c.pattern.fullmatch(bare):
                name_rank = 0
            elif norm != bare and c.pattern.fullmatch(norm):
                name_rank = 1
            else:
                continue
            if c.provider is not None and provider is not None and c.provider == provider:
                provider_rank = 0
            elif c.provider is None or provider is None or not strict:
                provider_rank = 1
            else:
                continue
            ranked.append((provider_rank, name_rank, -c.effective_ns, c.entry))
        ranked.sort(key=lambda r: r[:3])
        found = tuple((-r[2], r[3]) for r in ranked)
        with self._lock:  # misses only: evicting iterates the dict, which must not change
            if len(self._cache) >= self._cache_size:
                self._cache.pop(next(iter(self._cache)), None)
            self._cache[key] = found
        return found

    def match(self, provider: str | None, model: str | None, start_ns: int) -> PriceEntry | None:
        """The entry in force at ``start_ns`` for this provider and model, or None."""
        if not model:
            return None
        for effective_ns, entry in self._candidates(canonical_provider(provider), model):
            if effective_ns <= start_ns:
                return entry
        return None

    def cost(  # noqa: PLR0917 - positional on purpose: called once per span
        self,
        provider: str | None,
        model: str | None,
        start_ns: int,
        input_tokens: int | None,
        output_tokens: int | None,
        cached_tokens: int | None,
        cache_write_tokens: int | None,
        reasoning_tokens: int | None,
    ) -> tuple[float | None, str | None]:
        """(USD cost, price id); (None, None) when unpriced, (None, id) when no token counts."""
        entry = self.match(provider, model, start_ns)
        if entry is None:
            return None, None
        if (
            input_tokens is None
            and output_tokens is None
            and cached_tokens is None
            and cache_write_tokens is None
        ):
            return None, entry.id
        inp = input_tokens or 0
        out = output_tokens or 0
        cached = cached_tokens or 0
        written = cache_write_tokens or 0
        reasoning = reasoning_tokens or 0
        cached_price = entry.input if entry.cached_read is None else entry.cached_read
        write_price = entry.input if entry.cache_write is None else entry.cache_write
        reasoning_price = entry.output if entry.reasoning is None else entry.reasoning
        total = (
            max(inp - cached - written, 0) * entry.input
            + cached * cached_price
            + written * write_price
            + max(out - reasoning, 0) * entry.output
            + reasoning * reasoning_price
        )
        return total / 1_000_000, entry.id

    def price(self, usage: UsageForPricing) -> tuple[float | None, str | None]:
        """Price a stored span's usage: the ``Pricer`` that ``Store.reprice`` takes."""
        return self.cost(
            usage.provider,
            usage.model,
            usage.start_ns,
            usage.input_tokens,
            usage.output_tokens,
            usage.cached_tokens,
            usage.cache_write_tokens,
            usage.reasoning_tokens,
        )


def _entries_from(
    data: Any, source: Literal["default", "file", "api"], origin: str
) -> list[PriceEntry]:
    rows = data.get("prices") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ValueError(f"{origin}: expected a list of prices or an object with a 'prices' list")
    entries = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"{origin}: price #{i} is not an object")
        entries.append(PriceEntry.model_validate({**row, "source": source}))
    PriceBook(entries)  # fail now on an invalid pattern, naming the entry
    return entries


def load_default_prices() -> list[PriceEntry]:
    """The shipped list prices (``chainsight/collector/prices.json``), ``source="default"``."""
    text = resources.files("chainsight.collector").joinpath("prices.json").read_text("utf-8")
    return _entries_from(json.loads(text), "default", "prices.json")


def load_price_file(path: str | Path) -> list[PriceEntry]:
    """Prices from a JSON or YAML file (same shape as ``prices.json``), ``source="file"``.

    Raises ValueError naming the file and entry when the file is malformed.
    """
    p = Path(path)
    text = p.read_text("utf-8")
    if p.suffix.lower() in {".yaml", ".yml"}:
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    return _entries_from(data, "file", str(p))


def merge_prices(*layers: Sequence[PriceEntry]) -> list[PriceEntry]:
    """Later layers replace earlier entries with the same id (defaults < file < API)."""
    merged: dict[str, PriceEntry] = {}
    for layer in layers:
        for entry in layer:
            merged[entry.id] = entry
    return list(merged.values())
