"""Chainsight: tracing for LLM applications (the SDK).

>>> import chainsight
>>> @chainsight.trace
... def answer(question: str) -> str:
...     return "42"
>>> answer("meaning of life?")
'42'
"""

from __future__ import annotations

from .context import bind_context, context
from .decorators import (
    StepDecorator,
    agent,
    embedding,
    evaluator,
    guardrail,
    llm,
    reranker,
    retriever,
    tool,
    trace,
)
from .integrations import instrument_anthropic, instrument_openai
from .setup import dropped_spans, export_stats, flush, init, shutdown
from .spans import NoopSpan, Span, current_span
from .steps import span

__version__ = "0.1.0"

__all__ = [
    "NoopSpan",
    "Span",
    "StepDecorator",
    "__version__",
    "agent",
    "bind_context",
    "context",
    "current_span",
    "dropped_spans",
    "embedding",
    "evaluator",
    "export_stats",
    "flush",
    "guardrail",
    "init",
    "instrument_anthropic",
    "instrument_openai",
    "llm",
    "reranker",
    "retriever",
    "shutdown",
    "span",
    "tool",
    "trace",
]
