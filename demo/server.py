"""The bundled model server: OpenAI- and Anthropic-compatible routes on loopback.

Routes: ``POST /v1/chat/completions`` (streaming SSE with ``stream_options.include_usage``'s
final usage chunk, and non-streaming, with tool calls), ``POST /v1/responses`` (streaming
events and non-streaming), ``POST /v1/embeddings`` (float or base64), ``POST /v1/messages``
(Anthropic Messages, streaming and not), ``POST /demo/latency`` (the demo's "upstream got
slow" switch) and ``GET /healthz``.

Every request draws its delays and failures from ``random.Random(seed | body)``, so a run
with the same seed and the same requests behaves the same whatever the thread interleaving.
Usage follows each API's rules: OpenAI counts cached tokens inside ``prompt_tokens``
(``prompt_tokens_details.cached_tokens``, caching in 128-token steps from 1024 tokens);
Anthropic reports ``input_tokens`` without cache reads.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import random
import struct
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from chainsight.collector.app import untraced

from .answers import answer_for, looks_like_order_question, order_id_in
from .profiles import DEFAULT_PROFILE, EMBEDDING_DIMENSIONS, PROFILES, ModelProfile

CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128
"""OpenAI prompt caching: prefixes from 1024 tokens, in 128-token increments."""


@dataclass
class ServerState:
    """Mutable knobs of one server: the seed, the latency factor, the hang time."""

    seed: int = 0
    latency_factor: float = 1.0
    hang_s: float = 8.0
    requests: int = 0
    profiles: dict[str, ModelProfile] = field(default_factory=lambda: dict(PROFILES))


@dataclass(slots=True)
class Plan:
    """What one request will do: its delays, its words, its failure."""

    ttft_s: float
    gaps_s: list[float]
    pieces: list[str]
    failure: str | None
    prompt_tokens: int
    cached_tokens: int


def _tokens_of(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _texts(value: Any) -> list[str]:
    """Every string inside a message list / input value (content parts included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _last_user_text(messages: Any) -> str:
    if isinstance(messages, str):
        return messages
    for message in reversed(messages or []):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return " ".join(_texts(message.get("content")))
    return ""


def _plan(state: ServerState, body: Mapping[str, Any], model: str, question: str) -> Plan:
    raw = json.dumps(body, sort_keys=True, default=str).encode()
    rng = random.Random(f"{state.seed}|{hashlib.sha256(raw).hexdigest()}")
    profile = state.profiles.get(model, DEFAULT_PROFILE)
    roll = rng.random()
    failure = None
    if roll < profile.timeout_rate:
        failure = "timeout"
    elif roll < profile.timeout_rate + profile.error_rate:
        failure = "rate_limit" if rng.random() < profile.rate_limit_share else "server_error"
    ttft = profile.ttft_s * state.latency_factor * rng.lognormvariate(0.0, profile.jitter)
    pieces = answer_for(question, rng)
    gaps = [profile.tpot_s * rng.lognormvariate(0.0, profile.jitter) for _ in pieces]
    prompt = sum(_tokens_of(t) + 1 for t in _texts(body.get("messages") or body.get("input")))
    prompt += _tokens_of(str(body.get("system") or body.get("instructions") or ""))
    turns = sum(
        1
        for m in body.get("messages") or []
        if isinstance(m, Mapping) and m.get("role") == "assistant"
    )
    cached = 0
    if turns and prompt >= CACHE_MIN_TOKENS:
        cached = (prompt * 3 // 4) // CACHE_STEP_TOKENS * CACHE_STEP_TOKENS
    return Plan(ttft, gaps, pieces, failure, prompt, cached)


def _error(failure: str, api: str = "openai") -> JSONResponse:
    """The error body each API sends, so the real clients raise their usual exception."""
    status = 429 if failure == "rate_limit" else 500
    if api == "anthropic":
        kind = "rate_limit_error" if status == 429 else "api_error"
        message = "Rate limited (demo)" if status == 429 else "Internal server error (demo)"
        body = {"type": "error", "error": {"type": kind, "message": message}}
        return JSONResponse(body, status_code=status)
    if status == 429:
        error = {
            "message": "Rate limit reached (demo)",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    else:
        error = {
            "message": "The server had an error (demo)",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    return JSONResponse({"error": error}, status_code=status)


def _sse(data: Mapping[str, Any], event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def _oid(prefix: str, state: ServerState) -> str:
    state.requests += 1
    return f"{prefix}{state.seed:x}{state.requests:08d}"


def _openai_usage(plan: Plan, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": plan.prompt_tokens + completion,
        "prompt_tokens_details": {"cached_tokens": plan.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def _tool_call(body: Mapping[str, Any], question: str) -> dict[str, Any] | None:
    tools = body.get("tools") or []
    if not tools or body.get("tool_choice") == "none":
        return None
    messages = body.get("messages") or []
    if not messages or not isinstance(messages[-1], Mapping):
        return None
    if messages[-1].get("role") != "user" or not looks_like_order_question(question):
        return None
    name = (tools[0].get("function") or {}).get("name", "tool")
    return {
        "id": f"call_{hashlib.sha1(question.encode()).hexdigest()[:12]}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps({"order_id": order_id_in(question)})},
    }


def create_app(seed: int = 0, hang_s: float = 8.0) -> FastAPI:
    """The server's ASGI app; ``seed`` fixes every delay, answer and failure."""
    app = FastAPI(title="Chainsight demo model server", docs_url=None, redoc_url=None, **untraced())
    state = ServerState(seed=seed, hang_s=hang_s)
    app.state.demo = state

    async def _start(plan: Plan, api: str = "openai") -> JSONResponse | None:
        if plan.failure == "timeout":
            await asyncio.sleep(state.hang_s)
            return _error("server_error", api)
        if plan.failure is not None:
            await asyncio.sleep(plan.ttft_s / 4)
            return _error(plan.failure, api)
        return None

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/demo/latency")
    async def latency(request: Request) -> dict[str, float]:
        body = await request.json()
        state.latency_factor = float(body.get("factor", 1.0))
        return {"factor": state.latency_factor}

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(request: Request) -> JSONResponse | StreamingResponse:
        body = await request.json()
        model = str(body.get("model", "gpt-4o-mini"))
        question = _last_user_text(body.get("messages"))
        plan = _plan(state, body, model, question)
        failed = await _start(plan)
        if failed is not None:
            return failed
        call = _tool_call(body, question)
        cid = _oid("chatcmpl-", state)
        created = int(time.time())
        if not body.get("stream"):
            await asyncio.sleep(plan.ttft_s + sum(plan.gaps_s))
            text = "".join(plan.pieces)
            message: dict[str, Any] = {"role": "assistant", "content": None if call else text}
            if call:
                message["tool_calls"] = [call]
            completion = 12 if call else len(plan.pieces)
            return JSONResponse(
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": message,
                            "finish_reason": "tool_calls" if call else "stop",
                            "logprobs": None,
                        }
                    ],
                    "usage": _openai_usage(plan, completion),
                }
            )
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            base = {"id": cid, "object": "chat.completion.chunk", "created": created}
            return _sse({**base, "model": model, "choices": [choice]})

        async def events() -> AsyncIterator[bytes]:
            yield chunk({"role": "assistant", "content": ""})
            await asyncio.sleep(plan.ttft_s)
            if call:
                yield chunk({"tool_calls": [{"index": 0, **call}]})
                yield chunk({}, "tool_calls")
                completion = 12
            else:
                for piece, gap in zip(plan.pieces, plan.gaps_s, strict=True):
                    yield chunk({"content": piece})
                    await asyncio.sleep(gap)
                yield chunk({}, "stop")
                completion = len(plan.pieces)
            if include_usage:
                usage = _openai_usage(plan, completion)
                base = {"id": cid, "object": "chat.completion.chunk", "created": created}
                yield _sse({**base, "model": model, "choices": [], "usage": usage})
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.post("/v1/responses", response_model=None)
    async def responses(request: Request) -> JSONResponse | StreamingResponse:
        body = await request.json()
        model = str(body.get("model", "gpt-4o-mini"))
        question = _last_user_text(body.get("input"))
        plan = _plan(state, body, model, question)
        failed = await _start(plan)
        if failed is not None:
            return failed
        rid = _oid("resp_", state)
        mid = f"msg_{rid[5:]}"

        def response(status: str, text: str | None) -> dict[str, Any]:
            done = text is not None
            out = len(plan.pieces)
            content: list[dict[str, Any]] = [
                {"type": "output_text", "text": text, "annotations": []}
            ]
            return {
                "id": rid,
                "object": "response",
                "created_at": int(time.time()),
                "model": model,
                "status": status,
                "output": [
                    {
                        "type": "message",
                        "id": mid,
                        "role": "assistant",
                        "status": "completed",
                        "content": content,
                    }
                ]
                if done
                else [],
                "parallel_tool_calls": True,
                "tool_choice": "auto",
                "tools": [],
                "usage": {
                    "input_tokens": plan.prompt_tokens,
                    "input_tokens_details": {"cached_tokens": plan.cached_tokens},
                    "output_tokens": out,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": plan.prompt_tokens + out,
                }
                if done
                else None,
            }

        if not body.get("stream"):
            await asyncio.sleep(plan.ttft_s + sum(plan.gaps_s))
            return JSONResponse(response("completed", "".join(plan.pieces)))

        async def events() -> AsyncIterator[bytes]:
            # The event sequence of the real API (output item and content part opened before
            # their deltas, then closed), which openai's ``responses.stream()`` helper requires.
            seq = iter(range(1 << 30))

            def event(kind: str, **fields: Any) -> bytes:
                return _sse({"type": kind, **fields, "sequence_number": next(seq)}, kind)

            where = {"item_id": mid, "output_index": 0, "content_index": 0}
            text = "".join(plan.pieces)
            part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
            item = {"type": "message", "id": mid, "role": "assistant"}
            yield event("response.created", response=response("in_progress", None))
            yield event("response.in_progress", response=response("in_progress", None))
            await asyncio.sleep(plan.ttft_s)
            opened = {**item, "status": "in_progress", "content": []}
            yield event("response.output_item.added", output_index=0, item=opened)
            yield event("response.content_part.added", **where, part={**part, "text": ""})
            for piece, gap in zip(plan.pieces, plan.gaps_s, strict=True):
                yield event("response.output_text.delta", **where, delta=piece, logprobs=[])
                await asyncio.sleep(gap)
            yield event("response.output_text.done", **where, text=text, logprobs=[])
            yield event("response.content_part.done", **where, part=part)
            closed = {**item, "status": "completed", "content": [part]}
            yield event("response.output_item.done", output_index=0, item=closed)
            yield event("response.completed", response=response("completed", text))

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.post("/v1/messages", response_model=None)
    async def messages(request: Request) -> JSONResponse | StreamingResponse:
        body = await request.json()
        model = str(body.get("model", "claude-sonnet-4"))
        question = _last_user_text(body.get("messages"))
        plan = _plan(state, body, model, question)
        failed = await _start(plan, "anthropic")
        if failed is not None:
            return failed
        mid = _oid("msg_", state)
        uncached = plan.prompt_tokens - plan.cached_tokens

        def usage(out: int) -> dict[str, int]:
            return {
                "input_tokens": uncached,
                "output_tokens": out,
                "cache_read_input_tokens": plan.cached_tokens,
                "cache_creation_input_tokens": 0,
            }

        def message(text: str | None, out: int) -> dict[str, Any]:
            return {
                "id": mid,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": text}] if text is not None else [],
                "stop_reason": "end_turn" if text is not None else None,
                "stop_sequence": None,
                "usage": usage(out),
            }

        if not body.get("stream"):
            await asyncio.sleep(plan.ttft_s + sum(plan.gaps_s))
            return JSONResponse(message("".join(plan.pieces), len(plan.pieces)))

        async def events() -> AsyncIterator[bytes]:
            yield _sse({"type": "message_start", "message": message(None, 1)}, "message_start")
            block = {"type": "content_block_start", "index": 0}
            text_block = {"type": "text", "text": ""}
            yield _sse({**block, "content_block": text_block}, "content_block_start")
            await asyncio.sleep(plan.ttft_s)
            for piece, gap in zip(plan.pieces, plan.gaps_s, strict=True):
                delta = {"type": "text_delta", "text": piece}
                event = {"type": "content_block_delta", "index": 0, "delta": delta}
                yield _sse(event, "content_block_delta")
                await asyncio.sleep(gap)
            yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
            end = {"stop_reason": "end_turn", "stop_sequence": None}
            out = {"output_tokens": len(plan.pieces)}
            tail = {"type": "message_delta", "delta": end, "usage": out}
            yield _sse(tail, "message_delta")
            yield _sse({"type": "message_stop"}, "message_stop")

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> JSONResponse:
        body = await request.json()
        model = str(body.get("model", "text-embedding-3-small"))
        given = body.get("input")
        inputs = [given] if isinstance(given, str) else list(given or [])
        profile = state.profiles.get(model, DEFAULT_PROFILE)
        await asyncio.sleep(profile.ttft_s)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(inputs):
            vector = _vector(str(text))
            packed = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append(
                {
                    "object": "embedding",
                    "index": index,
                    "embedding": packed if as_base64 else vector,
                }
            )
        tokens = sum(_tokens_of(str(t)) for t in inputs)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    return app


def _vector(text: str) -> list[float]:
    """A unit vector of hashed words: texts sharing words point the same way (for rerank)."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in text.lower().split():
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        slot = int.from_bytes(digest, "little")
        vector[slot % EMBEDDING_DIMENSIONS] += 1.0 if slot & 1 << 31 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]
