"""How a span's input/output text should be shown: a pure classification of the stored
string into a conversation, a ranked document list, tool calls, other JSON or text.

The collector stores input/output as the text the instrumentation sent (usually JSON), and
instrumentations disagree on shapes (OpenAI-style messages, GenAI ``parts``, LangChain
documents, plain lists of strings), so the dashboard recognises the common ones and falls
back to collapsible JSON, never to an unreadable blob.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from chainsight import semconv

ContentKind = Literal["messages", "documents", "tool_calls", "json", "text", "empty"]

_DOC_TEXT_KEYS = ("content", "page_content", "text", "document.content")
_DOC_SCORE_KEYS = ("score", "relevance_score", "document.score", "similarity")
_DOC_ID_KEYS = ("id", "document.id", "doc_id")


@dataclass(frozen=True)
class Message:
    """One chat turn."""

    role: str
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)


@dataclass(frozen=True)
class ToolCall:
    """A tool invocation requested by a model (or its result)."""

    name: str
    arguments: Any
    result: Any = None


@dataclass(frozen=True)
class Document:
    """One retrieved document, in rank order."""

    rank: int
    text: str
    score: float | None
    doc_id: str | None


@dataclass(frozen=True)
class Content:
    """A classified input or output."""

    kind: ContentKind
    messages: list[Message] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    data: Any = None
    text: str = ""


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts / GenAI parts
        pieces = []
        for part in content:
            if isinstance(part, dict):
                value = part.get("text", part.get("content"))
                if isinstance(value, str):
                    pieces.append(value)
            elif isinstance(part, str):
                pieces.append(part)
        return "\n".join(pieces)
    return json.dumps(content, ensure_ascii=False)


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _tool_call(raw: Any) -> ToolCall | None:
    if not isinstance(raw, dict):
        return None
    nested = raw.get("function")
    fn: dict[str, Any] = nested if isinstance(nested, dict) else raw
    name = fn.get("name")
    if not isinstance(name, str):
        return None
    args = fn.get("arguments", fn.get("args", fn.get("input")))
    return ToolCall(name, _maybe_json(args), raw.get("result", raw.get("response")))


def _message(raw: Any) -> Message | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("role"), str):
        return None
    calls = [c for c in map(_tool_call, raw.get("tool_calls") or []) if c is not None]
    parts = raw.get("parts")
    if isinstance(parts, list):  # GenAI structured messages: text and tool_call parts
        calls += [
            c
            for p in parts
            if isinstance(p, dict) and p.get("type") == "tool_call"
            for c in [_tool_call(p)]
            if c is not None
        ]
        return Message(raw["role"], _text_of([p for p in parts if isinstance(p, dict)]), calls)
    return Message(raw["role"], _text_of(raw.get("content")), calls)


def _messages(data: Any) -> list[Message] | None:
    if isinstance(data, dict):
        if isinstance(data.get("messages"), list):
            data = data["messages"]
        elif isinstance(data.get("choices"), list):  # an OpenAI-style response
            data = [c.get("message") for c in data["choices"] if isinstance(c, dict)]
        elif "role" in data:
            data = [data]
    if not isinstance(data, list) or not data:
        return None
    parsed = [_message(m) for m in data]
    if any(m is None for m in parsed):
        return None
    return [m for m in parsed if m is not None]


def _documents(data: Any, *, retriever: bool) -> list[Document] | None:
    if isinstance(data, dict) and isinstance(data.get("documents"), list):
        data = data["documents"]
    if not isinstance(data, list) or not data:
        return None
    docs: list[Document] = []
    for rank, raw in enumerate(data, start=1):
        if isinstance(raw, str) and retriever:
            docs.append(Document(rank, raw, None, None))
            continue
        if not isinstance(raw, dict):
            return None
        nested = raw.get("document")
        inner: dict[str, Any] = nested if isinstance(nested, dict) else raw
        text = next((inner[k] for k in _DOC_TEXT_KEYS if isinstance(inner.get(k), str)), None)
        if text is None:
            return None
        score = next(
            (inner[k] for k in _DOC_SCORE_KEYS if isinstance(inner.get(k), int | float)), None
        )
        doc_id = next((str(inner[k]) for k in _DOC_ID_KEYS if inner.get(k) is not None), None)
        docs.append(Document(rank, text, None if score is None else float(score), doc_id))
    return docs


def classify(raw: str | None, *, span_kind: str = "unknown") -> Content:
    """What ``raw`` (a span's input or output) is, parsed for display."""
    if raw is None or raw.strip() == "":
        return Content("empty")
    try:
        data = json.loads(raw)
    except ValueError:
        return Content("text", text=raw)
    if isinstance(data, str):
        return Content("text", text=data)
    messages = _messages(data)
    if messages is not None:
        return Content("messages", messages=messages)
    docs = _documents(data, retriever=span_kind in ("retriever", "reranker"))
    if docs is not None:
        return Content("documents", documents=docs)
    candidates = data if isinstance(data, list) else [data]
    calls = [_tool_call(c) for c in candidates]
    looks_like_calls = span_kind == "tool" or all(
        isinstance(c, dict) and ("arguments" in c or "function" in c) for c in candidates
    )
    if calls and looks_like_calls and all(c is not None for c in calls):
        return Content("tool_calls", tool_calls=[c for c in calls if c is not None])
    return Content("json", data=data)


@dataclass(frozen=True)
class ExceptionInfo:
    """An exception recorded on a span (OTel ``exception`` event)."""

    type: str
    message: str
    stacktrace: str


def exceptions(events: list[dict[str, object]]) -> list[ExceptionInfo]:
    """The exceptions among a span's events, in order."""
    found = []
    for event in events:
        if event.get("name") != semconv.EXCEPTION_EVENT:
            continue
        attrs = event.get("attributes")
        attrs = attrs if isinstance(attrs, dict) else {}
        found.append(
            ExceptionInfo(
                str(attrs.get(semconv.EXCEPTION_TYPE, "")),
                str(attrs.get(semconv.EXCEPTION_MESSAGE, "")),
                str(attrs.get(semconv.EXCEPTION_STACKTRACE, "")),
            )
        )
    return found
