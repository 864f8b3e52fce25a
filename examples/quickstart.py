"""Quickstart: trace an LLM call with three lines of Chainsight.

Start a collector and dashboard first (``chainsight up``, or ``chainsight serve`` for the
collector alone), then run ``python examples/quickstart.py`` and open
http://127.0.0.1:8501. ``--endpoint`` points at another collector.
"""

from __future__ import annotations

import argparse
from typing import Any

import requests

import chainsight  # 1: the SDK


@chainsight.llm(provider="openai")  # 3: one span per call, model and usage read from the result
def answer(question: str) -> dict[str, Any]:
    """Stands in for your model call: returns an OpenAI-shaped chat completion."""
    return {
        "id": "chatcmpl-quickstart",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Refunds take 5 business days."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 14, "completion_tokens": 7, "total_tokens": 21},
    }


def collector_is_up(endpoint: str) -> bool:
    """Whether a collector answers at ``endpoint`` (for a helpful message, not required)."""
    try:
        return requests.get(f"{endpoint}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def main(argv: list[str] | None = None) -> bool:
    """Send one traced call; True when the collector acknowledged it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:4318", help="collector URL")
    parser.add_argument("--project", default="quickstart")
    args = parser.parse_args(argv)
    if not collector_is_up(args.endpoint):
        print(f"No collector at {args.endpoint}: start one with `chainsight up` first.")
        return False
    chainsight.init(project=args.project, endpoint=args.endpoint)  # 2: where spans go
    print(answer("How long do refunds take?")["choices"][0]["message"]["content"])
    delivered = chainsight.flush(timeout=10.0)
    chainsight.shutdown()
    print(f"Traced to {args.endpoint} (project {args.project!r}); see http://127.0.0.1:8501")
    return delivered


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
