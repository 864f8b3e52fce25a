"""Instrument third-party LLM clients without decorating anything.

``chainsight.instrument_openai(client)`` and ``chainsight.instrument_anthropic(client)`` patch
the request-sending methods (``create``, ``parse``, Anthropic's ``messages.stream``) of one
client *instance*, so every call becomes an ``llm`` span (model, provider, request parameters,
usage, TTFT/TPOT, messages) through the same :class:`chainsight.steps.Step`, response readers
and stream wrappers the decorators use. Nothing here imports ``openai`` or
``anthropic``: the client passed in is duck-typed.
"""

from __future__ import annotations

from .anthropic_client import instrument_anthropic
from .openai_client import instrument_openai

__all__ = ["instrument_anthropic", "instrument_openai"]
