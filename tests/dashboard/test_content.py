"""Span input/output is classified for display: conversations, documents, tool calls."""

from __future__ import annotations

import json

from chainsight import semconv
from chainsight.dashboard.content import classify, exceptions


def test_chat_messages_become_a_conversation() -> None:
    """An OpenAI-style message list is shown as turns with roles."""
    raw = json.dumps(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    )
    content = classify(raw)
    assert content.kind == "messages"
    assert [(m.role, m.text) for m in content.messages] == [("system", "Be brief."), ("user", "Hi")]


def test_genai_parts_messages_keep_text_and_tool_calls() -> None:
    """GenAI structured messages (parts) yield the text and the requested tool calls."""
    raw = json.dumps(
        [
            {
                "role": "assistant",
                "parts": [
                    {"type": "text", "content": "Checking."},
                    {"type": "tool_call", "name": "lookup", "arguments": {"id": 7}},
                ],
            }
        ]
    )
    (message,) = classify(raw).messages
    assert message.text == "Checking."
    assert [(c.name, c.arguments) for c in message.tool_calls] == [("lookup", {"id": 7})]


def test_openai_response_choices_become_messages() -> None:
    """A raw completion response shows its assistant message."""
    raw = json.dumps({"choices": [{"message": {"role": "assistant", "content": "Done."}}]})
    assert [m.text for m in classify(raw).messages] == ["Done."]


def test_retrieved_documents_are_ranked_with_scores() -> None:
    """A document list keeps its order as rank, with scores and ids."""
    raw = json.dumps([{"id": "d1", "content": "A", "score": 0.9}, {"id": "d2", "content": "B"}])
    docs = classify(raw, span_kind="retriever").documents
    assert [(d.rank, d.text, d.score, d.doc_id) for d in docs] == [
        (1, "A", 0.9, "d1"),
        (2, "B", None, "d2"),
    ]


def test_plain_strings_from_a_retriever_are_documents() -> None:
    """A retriever returning a list of strings still shows a ranked list."""
    content = classify(json.dumps(["first", "second"]), span_kind="retriever")
    assert content.kind == "documents"
    assert [d.text for d in content.documents] == ["first", "second"]


def test_tool_call_arguments_are_parsed() -> None:
    """A tool span's {name, arguments} input shows the arguments as JSON."""
    raw = json.dumps({"name": "lookup_order", "arguments": '{"order_id": 1042}'})
    content = classify(raw, span_kind="tool")
    assert content.kind == "tool_calls"
    assert content.tool_calls[0].arguments == {"order_id": 1042}


def test_other_json_stays_json() -> None:
    """Unrecognised JSON is kept as data for a collapsible view."""
    content = classify(json.dumps({"status": "shipped"}))
    assert (content.kind, content.data) == ("json", {"status": "shipped"})


def test_plain_text_and_missing_content() -> None:
    """Non-JSON is text; nothing captured is 'empty'."""
    assert classify("hello there").kind == "text"
    assert classify(json.dumps("quoted")).text == "quoted"
    assert classify(None).kind == "empty"


def test_exceptions_are_read_from_span_events() -> None:
    """OTel exception events give type, message and stack."""
    events: list[dict[str, object]] = [
        {"name": "log", "attributes": {}},
        {
            "name": semconv.EXCEPTION_EVENT,
            "attributes": {
                semconv.EXCEPTION_TYPE: "ValueError",
                semconv.EXCEPTION_MESSAGE: "bad",
                semconv.EXCEPTION_STACKTRACE: "Traceback ...",
            },
        },
    ]
    (exc,) = exceptions(events)
    assert (exc.type, exc.message, exc.stacktrace) == ("ValueError", "bad", "Traceback ...")
