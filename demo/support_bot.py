"""The demo's app: a support bot (retrieval, rerank, a routing call with a tool, a streamed
answer, a Responses-API summary) instrumented with the Chainsight SDK.

It talks to any OpenAI-compatible server through the real ``openai`` client; the only
Chainsight lines are ``chainsight.instrument_openai(client)`` and the step decorators.
``examples/support_bot.py`` runs it against the bundled server.
"""

from __future__ import annotations

import json
import math
from typing import Any

import openai

import chainsight

from .answers import DOCUMENTS, SYSTEM_PROMPT_EN, SYSTEM_PROMPT_ES, is_spanish

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Status of a customer's order by its number.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
]
ROUTER_MODEL = "gpt-4o-mini"
SUMMARY_MODEL = "gpt-4.1-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
SUMMARY_EN = "Summarize this support conversation in two sentences."
SUMMARY_ES = "Resume esta conversación de soporte en dos frases."


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


class SupportBot:
    """One bot over one OpenAI-compatible endpoint (``base_url`` ends in ``/v1``); thread-safe
    for concurrent sessions."""

    def __init__(self, base_url: str, *, timeout_s: float = 6.0) -> None:
        client = openai.OpenAI(base_url=base_url, api_key="demo", max_retries=0, timeout=timeout_s)
        self.client = chainsight.instrument_openai(client)
        self._index: list[list[float]] | None = None

    @chainsight.embedding(name="embed")
    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed texts; the span gets the model and token usage."""
        result = self.client.embeddings.create(
            model=EMBEDDING_MODEL, input=texts, encoding_format="float"
        )
        span = chainsight.current_span()
        span.set_model(EMBEDDING_MODEL, provider="openai", response_model=result.model)
        span.set_usage(input_tokens=result.usage.prompt_tokens)
        return [list(item.embedding) for item in result.data]

    @chainsight.retriever(name="retrieve")
    def retrieve(self, question: str, k: int = 4) -> list[str]:
        """The ``k`` policy excerpts nearest to the question."""
        if self._index is None:
            self._index = self.embed(DOCUMENTS)
        query = self.embed([question])[0]
        scored = sorted(
            zip(DOCUMENTS, self._index, strict=True), key=lambda d: -_cosine(query, d[1])
        )
        return [doc for doc, _ in scored[:k]]

    @chainsight.reranker(name="rerank")
    def rerank(self, question: str, documents: list[str], top_n: int = 2) -> list[str]:
        """Keep the excerpts sharing the most words with the question."""
        words = set(question.lower().split())
        return sorted(documents, key=lambda d: -len(words & set(d.lower().split())))[:top_n]

    @chainsight.tool(name="lookup_order")
    def lookup_order(self, order_id: str) -> dict[str, str]:
        """The order system (canned)."""
        return {"order_id": order_id, "status": "shipped", "eta": "2 business days"}

    @chainsight.trace(name="support_turn")
    def answer(self, history: list[dict[str, Any]], question: str, model: str) -> str:
        """One turn: retrieve, rerank, route (maybe call a tool), stream the answer."""
        documents = self.rerank(question, self.retrieve(question))
        prompt = SYSTEM_PROMPT_ES if is_spanish(question) else SYSTEM_PROMPT_EN
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": prompt + "\n".join(documents)},
            *history,
            {"role": "user", "content": question},
        ]
        route = self.client.chat.completions.create(
            model=ROUTER_MODEL,
            messages=messages,  # type: ignore[arg-type]
            tools=TOOLS,  # type: ignore[arg-type]
        )
        choice = route.choices[0].message
        for call in choice.tool_calls or []:
            arguments = json.loads(call.function.arguments)  # type: ignore[union-attr]
            result = self.lookup_order(str(arguments.get("order_id", "")))
            messages.append(
                {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]}
            )
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
            )
        stream = self.client.chat.completions.create(  # type: ignore[call-overload]
            model=model,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
        )
        parts: list[str] = []
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        return "".join(parts)

    @chainsight.trace(name="summarize_session")
    def summarize(self, history: list[dict[str, Any]]) -> str:
        """A session summary through the Responses API (streamed)."""
        transcript = "\n".join(f"{m['role']}: {m['content']}" for m in history)
        stream = self.client.responses.create(
            model=SUMMARY_MODEL,
            instructions=SUMMARY_ES if is_spanish(transcript) else SUMMARY_EN,
            input=transcript,
            stream=True,
        )
        parts: list[str] = []
        for event in stream:
            if event.type == "response.output_text.delta":
                parts.append(event.delta)
        return "".join(parts)
