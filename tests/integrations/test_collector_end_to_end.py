"""Instrumented clients -> chainsight.init's OTLP exporter -> the real collector -> query API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from conftest import RunningCollector
from opentelemetry.sdk.trace import TracerProvider

import chainsight

from .model_server import client_options, long_conversation

PROJECT = "integrations"
PER_TOKEN = 1e-6
"""Prices in collector/prices.json are USD per 1M tokens."""


@pytest.fixture
def sdk(collector: RunningCollector) -> Iterator[None]:
    """chainsight.init pointed at the test collector; shut down after the test."""
    chainsight.init(project=PROJECT, endpoint=collector.base_url, tracer_provider=TracerProvider())
    yield
    chainsight.shutdown()


def stored_trace(collector: RunningCollector) -> dict[str, Any]:
    with collector.client() as client:
        (item,) = client.get("/api/v1/traces", params={"project": PROJECT}).json()["items"]
        tree: dict[str, Any] = client.get(f"/api/v1/traces/{item['trace_id']}").json()
        return tree


def test_streamed_openai_and_anthropic_calls_are_stored_priced(
    model_server: str, collector: RunningCollector, sdk: None
) -> None:
    """Model, tokens, cost (from the price table) and TTFT come back from the query API."""
    with (
        openai.OpenAI(base_url=f"{model_server}/v1", **client_options()) as oai,
        anthropic.Anthropic(base_url=model_server, **client_options()) as claude,
    ):
        chainsight.instrument_openai(oai)
        chainsight.instrument_anthropic(claude)

        @chainsight.trace(name="support-turn")
        def turn() -> tuple[Any, Any]:
            stream = oai.chat.completions.create(
                model="gpt-4o-mini",
                messages=long_conversation(),  # type: ignore[arg-type]
                stream=True,
                stream_options={"include_usage": True},
            )
            usage = [chunk.usage for chunk in stream if chunk.usage is not None][-1]
            message = claude.messages.create(
                model="claude-sonnet-4",
                max_tokens=256,
                messages=long_conversation(),  # type: ignore[arg-type]
            )
            return usage, message.usage

        openai_usage, anthropic_usage = turn()
    assert chainsight.flush(timeout=20)

    spans = {span["name"]: span for span in stored_trace(collector)["spans"]}
    assert set(spans) == {"support-turn", "chat gpt-4o-mini", "chat claude-sonnet-4"}
    root = spans["support-turn"]

    gpt = spans["chat gpt-4o-mini"]
    assert gpt["parent_span_id"] == root["span_id"]
    assert (gpt["kind"], gpt["provider"], gpt["model"]) == ("llm", "openai", "gpt-4o-mini")
    cached = openai_usage.prompt_tokens_details.cached_tokens
    assert cached > 0
    assert gpt["input_tokens"] == openai_usage.prompt_tokens
    assert gpt["output_tokens"] == openai_usage.completion_tokens
    assert gpt["cached_tokens"] == cached
    assert gpt["ttft_ms"] > 0 and gpt["tpot_ms"] > 0
    expected = (
        (openai_usage.prompt_tokens - cached) * 0.15
        + cached * 0.075
        + openai_usage.completion_tokens * 0.6
    ) * PER_TOKEN
    assert gpt["cost"] == pytest.approx(expected, rel=1e-6)

    claude_span = spans["chat claude-sonnet-4"]
    assert claude_span["parent_span_id"] == root["span_id"]
    assert (claude_span["provider"], claude_span["model"]) == ("anthropic", "claude-sonnet-4")
    read = anthropic_usage.cache_read_input_tokens
    assert claude_span["input_tokens"] == anthropic_usage.input_tokens + read
    assert claude_span["cached_tokens"] == read
    expected = (
        anthropic_usage.input_tokens * 3.0 + read * 0.3 + anthropic_usage.output_tokens * 15.0
    ) * PER_TOKEN
    assert claude_span["cost"] == pytest.approx(expected, rel=1e-6)
    assert claude_span["ttft_ms"] is None
