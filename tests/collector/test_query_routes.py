"""Every query route and filter round-trips: a deterministic set of traces is ingested
over OTLP once per module, then read back through /api/v1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import RunningCollector, run_collector
from otlp_payloads import PROTOBUF, llm_attributes, request, span

from chainsight import semconv

MS = 1_000_000
T0 = (time.time_ns() // (3600 * 10**9) - 2) * 3600 * 10**9  # two hours ago, on the hour


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat()


# name -> (root name, root kind, service, start offset min, duration ms, error, model, user,
#          session, tag, input, explicit cost)
TRACES: dict[str, tuple[Any, ...]] = {
    "t1": (
        "chat-handler",
        "chain",
        "web",
        0,
        100,
        False,
        "gpt-4o-mini",
        "u1",
        "s1",
        "prod",
        "hello world",
        None,
    ),
    "t2": (
        "rag",
        "agent",
        "worker",
        10,
        2000,
        True,
        "claude-3-5-sonnet",
        "u2",
        "s2",
        "beta",
        "what is rag",
        1.5,
    ),
    "t3": (
        "chat-handler",
        "chain",
        "web",
        20,
        500,
        False,
        "gpt-4o-mini",
        "u1",
        "s1",
        "prod",
        "goodbye",
        None,
    ),
}
TRACE_IDS = {key: bytes([i + 1]) * 16 for i, key in enumerate(TRACES)}


def _spans(key: str) -> list[Any]:
    name, kind, _service, offset, duration, error, model, user, session, tag, text, cost = TRACES[
        key
    ]
    start = T0 + offset * 60 * 10**9
    common = {semconv.USER_ID: user, semconv.SESSION_ID: session, semconv.TAG_TAGS: [tag]}
    root_attrs = {**common, semconv.CHAINSIGHT_SPAN_KIND: kind, semconv.INPUT_VALUE: text}
    root = span(
        trace_id=TRACE_IDS[key],
        name=name,
        start_ns=start,
        duration_ns=duration * MS,
        attributes=root_attrs,
        error=error,
    )
    llm = {**common, **llm_attributes(model)}
    if cost is not None:
        llm[semconv.CHAINSIGHT_COST_USD] = cost
    child = span(
        trace_id=TRACE_IDS[key],
        parent_span_id=root.span_id,
        name=f"chat {model}",
        start_ns=start + MS,
        duration_ns=(duration - 2) * MS,
        attributes=llm,
        error=error,
    )
    return [root, child]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """A collector holding the three traces above."""
    with run_collector(tmp_path_factory.mktemp("query")) as collector, collector.client() as client:
        for key, spec in TRACES.items():
            body = request(_spans(key), service=spec[2]).SerializeToString()
            assert (
                client.post(
                    "/v1/traces", content=body, headers={"content-type": PROTOBUF}
                ).status_code
                == 200
            )
        yield collector


def _listed(collector: RunningCollector, **params: Any) -> list[str]:
    with collector.client() as client:
        response = client.get("/api/v1/traces", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    by_id = {v.hex(): k for k, v in TRACE_IDS.items()}
    return [by_id[item["trace_id"]] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"t1", "t2", "t3"}),
        ({"project": "test"}, {"t1", "t2", "t3"}),
        ({"project": "nope"}, set()),
        ({"status": "error"}, {"t2"}),
        ({"model": "gpt-4o-mini"}, {"t1", "t3"}),
        ({"name": "rag"}, {"t2"}),
        ({"kind": "agent"}, {"t2"}),
        ({"service": "worker"}, {"t2"}),
        ({"user_id": "u1"}, {"t1", "t3"}),
        ({"session_id": "s2"}, {"t2"}),
        ({"tag": "beta"}, {"t2"}),
        ({"min_latency_ms": 1000}, {"t2"}),
        ({"max_latency_ms": 200}, {"t1"}),
        ({"min_cost": 1.0}, {"t2"}),
        ({"search": "GOODBYE"}, {"t3"}),
        ({"start": _iso(T0 + 5 * 60 * 10**9)}, {"t2", "t3"}),
        ({"end": _iso(T0 + 15 * 60 * 10**9)}, {"t1", "t2"}),
    ],
)
def test_trace_list_filters(
    loaded: RunningCollector, params: dict[str, Any], expected: set[str]
) -> None:
    """Each trace filter selects exactly the traces it describes."""
    assert set(_listed(loaded, **params)) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("start_asc", ["t1", "t2", "t3"]),
        ("start_desc", ["t3", "t2", "t1"]),
        ("duration_desc", ["t2", "t3", "t1"]),
    ],
)
def test_trace_list_sorts(loaded: RunningCollector, sort: str, expected: list[str]) -> None:
    """Sort orders are honoured."""
    assert _listed(loaded, sort=sort) == expected


def test_cost_sort_puts_the_expensive_trace_first(loaded: RunningCollector) -> None:
    """cost_desc ranks the trace with the explicit $1.50 cost first."""
    assert _listed(loaded, sort="cost_desc")[0] == "t2"


def test_cursor_pagination_walks_every_trace_once(loaded: RunningCollector) -> None:
    """Following next_cursor with limit=1 yields each trace exactly once."""
    seen: list[str] = []
    cursor = None
    with loaded.client() as client:
        for _ in range(10):
            params: dict[str, Any] = {"limit": 1, "sort": "start_asc"}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/api/v1/traces", params=params).json()
            seen += [item["trace_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert seen == [TRACE_IDS[k].hex() for k in ("t1", "t2", "t3")]


def test_bad_cursor_is_a_client_error(loaded: RunningCollector) -> None:
    """An invalid cursor is 400 with the error body, not 500."""
    with loaded.client() as client:
        response = client.get("/api/v1/traces", params={"cursor": "garbage!!"})
    assert response.status_code == 400
    assert response.json()["error"]["code"]


def test_trace_tree_has_every_span_detail(loaded: RunningCollector) -> None:
    """GET /traces/{id} returns root then child with depth, model and tokens."""
    with loaded.client() as client:
        tree = client.get(f"/api/v1/traces/{TRACE_IDS['t1'].hex()}").json()
    assert [(s["name"], s["depth"]) for s in tree["spans"]] == [
        ("chat-handler", 0),
        ("chat gpt-4o-mini", 1),
    ]
    assert tree["spans"][1]["input_tokens"] == 100
    assert tree["spans"][1]["output_tokens"] == 20


def test_unknown_trace_is_404_with_error_body(loaded: RunningCollector) -> None:
    """A missing trace is 404 {"error": {"code": "not_found", ...}}."""
    with loaded.client() as client:
        response = client.get(f"/api/v1/traces/{'ab' * 16}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_projects_lists_the_project(loaded: RunningCollector) -> None:
    """/api/v1/projects names the projects that have spans."""
    with loaded.client() as client:
        assert client.get("/api/v1/projects").json() == ["test"]


def test_sessions_group_traces(loaded: RunningCollector) -> None:
    """s1 holds two traces, s2 one."""
    with loaded.client() as client:
        sessions = client.get("/api/v1/sessions").json()
    assert {s["session_id"]: s["trace_count"] for s in sessions} == {"s1": 2, "s2": 1}


def test_session_traces_come_in_start_order(loaded: RunningCollector) -> None:
    """GET /sessions/{id} lists the session's traces ascending."""
    with loaded.client() as client:
        page = client.get("/api/v1/sessions/s1").json()
    assert [i["trace_id"] for i in page["items"]] == [TRACE_IDS["t1"].hex(), TRACE_IDS["t3"].hex()]


def test_unknown_session_is_404(loaded: RunningCollector) -> None:
    """A session with no traces is not found."""
    with loaded.client() as client:
        assert client.get("/api/v1/sessions/nope").status_code == 404


def test_users_summarize_activity(loaded: RunningCollector) -> None:
    """u1 has two traces in one session, u2 one erroring trace."""
    with loaded.client() as client:
        users = {u["user_id"]: u for u in client.get("/api/v1/users").json()}
    assert (users["u1"]["trace_count"], users["u1"]["session_count"]) == (2, 1)
    assert users["u2"]["error_count"] >= 1


def _metrics(collector: RunningCollector, **params: Any) -> Any:
    window = {"start": _iso(T0 - 3600 * 10**9), "end": _iso(T0 + 3 * 3600 * 10**9)}
    with collector.client() as client:
        return client.get("/api/v1/metrics", params={**window, **params})


def test_metrics_summary_grouped_by_model(loaded: RunningCollector) -> None:
    """One summary row per model over LLM spans."""
    rows = _metrics(loaded, group_by="model", span_kind="llm").json()
    assert {r["group"]: r["requests"] for r in rows} == {"gpt-4o-mini": 2, "claude-3-5-sonnet": 1}


def test_metrics_series_buckets(loaded: RunningCollector) -> None:
    """bucket_seconds=600 puts the three LLM spans in three ten-minute buckets."""
    rows = _metrics(loaded, bucket_seconds=600, span_kind="llm").json()
    assert sum(r["requests"] for r in rows) == 3
    assert all(r["bucket_start"] for r in rows)


def test_metrics_honour_trace_filters(loaded: RunningCollector) -> None:
    """user_id narrows the metric rows like it narrows the trace list."""
    rows = _metrics(loaded, user_id="u2", span_kind="llm").json()
    assert sum(r["requests"] for r in rows) == 1


def test_metrics_need_a_range(loaded: RunningCollector) -> None:
    """start and end are required for metrics."""
    with loaded.client() as client:
        response = client.get("/api/v1/metrics")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_invalid_query_parameter_uses_the_error_shape(loaded: RunningCollector) -> None:
    """A bad enum value is refused with the one error body shape."""
    with loaded.client() as client:
        response = client.get("/api/v1/traces", params={"status": "maybe"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_openapi_docs_are_served(loaded: RunningCollector) -> None:
    """FastAPI documents the API at /docs and /openapi.json."""
    with loaded.client() as client:
        assert "/api/v1/traces" in client.get("/openapi.json").json()["paths"]
        assert client.get("/docs").status_code == 200
