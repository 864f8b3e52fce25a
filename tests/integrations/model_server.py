"""The bundled model server (chainsight.demo.server) under uvicorn on loopback, for the real
``openai`` and ``anthropic`` clients: fast, failure-free profiles for the models the tests
call, and three models that always fail (500, 429, a hang past the client's timeout)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from conftest import DEADLINE_S, free_port, wait_until

from chainsight.demo.profiles import ModelProfile
from chainsight.demo.server import create_app

HANG_S = 1.5
"""How long the "hang" model stalls; CLIENT_TIMEOUT_S is well below it."""
CLIENT_TIMEOUT_S = 0.3

FAST = ModelProfile(ttft_s=0.03, tpot_s=0.002, jitter=0.1, error_rate=0.0)
PROFILES = {
    "gpt-4o-mini": FAST,
    "claude-sonnet-4": FAST,
    "fail-500": ModelProfile(ttft_s=0.01, tpot_s=0.0, error_rate=1.0, rate_limit_share=0.0),
    "fail-429": ModelProfile(ttft_s=0.01, tpot_s=0.0, error_rate=1.0, rate_limit_share=1.0),
    "hang": ModelProfile(ttft_s=0.01, tpot_s=0.0, timeout_rate=1.0),
}

QUESTION = "What is your refund policy?"
MESSAGES = [{"role": "user", "content": QUESTION}]


def long_conversation() -> list[dict[str, str]]:
    """A second turn over a prompt past 1024 tokens: the server reports cached tokens."""
    context = "Order history: " + "order A-1001 shipped on time; " * 160
    return [
        {"role": "user", "content": context},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": QUESTION},
    ]


def client_options(**extra: Any) -> dict[str, Any]:
    """No retries (one request, one span) and a bounded timeout."""
    return {"api_key": "test", "max_retries": 0, "timeout": DEADLINE_S, **extra}


@contextmanager
def running_model_server() -> Iterator[str]:
    """Serve the bundled model server on a free loopback port; yields its base URL."""
    port = free_port()
    app = create_app(seed=7, hang_s=HANG_S)
    app.state.demo.profiles.update(PROFILES)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"model-server-{port}", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive())
        if not server.started:
            raise RuntimeError("the model server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(DEADLINE_S)
