"""The support bot of ``chainsight demo``, run once by hand.

The app itself is ``chainsight/demo/support_bot.py`` (``demo/support_bot.py`` in the repo):
retrieval with embeddings, a rerank, a routing call that may call the ``lookup_order`` tool,
a streamed answer and a Responses-API summary, all through the real ``openai`` client
instrumented with ``chainsight.instrument_openai`` and the step decorators. This script starts
the bundled model server (or uses ``--model-server``), plays one short conversation and sends
the spans to ``--endpoint``. ``chainsight demo`` plays many such conversations with a story.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

import chainsight
from chainsight.demo.runner import ModelServer
from chainsight.demo.support_bot import SupportBot

QUESTIONS = (
    "Where is my order #40213? It has not arrived yet.",
    "Thanks! And what about the shipping cost?",
)


def converse(bot: SupportBot, model: str) -> list[str]:
    """One two-turn session of one user, then its summary; returns the bot's answers."""
    history: list[dict[str, Any]] = []
    answers = []
    with chainsight.context(session_id="example-session", user_id="u-example"):
        for question in QUESTIONS:
            text = bot.answer(history, question, model)
            history += [
                {"role": "user", "content": question},
                {"role": "assistant", "content": text},
            ]
            answers.append(text)
        answers.append(bot.summarize(history))
    return answers


def main(argv: list[str] | None = None) -> bool:
    """Play the conversation; True when the collector acknowledged every span."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:4318", help="collector URL")
    parser.add_argument("--project", default="support-bot-example")
    parser.add_argument("--model", default="gpt-4o", help="model of the streamed answer")
    parser.add_argument(
        "--model-server", help="an OpenAI-compatible base URL (default: start the bundled one)"
    )
    args = parser.parse_args(argv)
    chainsight.init(project=args.project, endpoint=args.endpoint, service_name="support-bot")
    with contextlib.ExitStack() as stack:
        base_url = args.model_server or stack.enter_context(ModelServer(seed=0)).openai_base_url
        for text in converse(SupportBot(base_url), args.model):
            print(f"- {text}")
    delivered = chainsight.flush(timeout=10.0)
    chainsight.shutdown()
    return delivered


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
