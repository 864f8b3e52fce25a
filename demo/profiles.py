"""Latency, price tier and failure behaviour of each model the bundled server imitates.

Figures are the shape of public measurements (small models answer first sooner and stream
faster), scaled so a demo run of a minute shows the differences; they are settings, not data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """How one model answers: time to first token, time per token, failure odds."""

    ttft_s: float
    """Median time to first token."""
    tpot_s: float
    """Median time between streamed tokens."""
    jitter: float = 0.3
    """Relative spread (log-normal sigma) of both delays."""
    error_rate: float = 0.02
    """Share of requests answered 500/429."""
    timeout_rate: float = 0.0
    """Share of requests that hang past the client's timeout."""
    rate_limit_share: float = 0.4
    """Share of the failed requests answered 429 (the rest get 500)."""


PROFILES: dict[str, ModelProfile] = {
    "gpt-4o": ModelProfile(ttft_s=0.45, tpot_s=0.018),
    "gpt-4o-mini": ModelProfile(ttft_s=0.25, tpot_s=0.010, error_rate=0.01),
    "gpt-4.1-mini": ModelProfile(ttft_s=0.30, tpot_s=0.012),
    "claude-sonnet-4": ModelProfile(ttft_s=0.55, tpot_s=0.020),
    "text-embedding-3-small": ModelProfile(ttft_s=0.04, tpot_s=0.0, error_rate=0.0),
}
DEFAULT_PROFILE = ModelProfile(ttft_s=0.4, tpot_s=0.015)
EMBEDDING_DIMENSIONS = 64
"""Vector length of the fake embeddings (the real model's 1536 only costs bytes here)."""
