"""The API client against the real collector: typed rows, filters, and the error tree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import free_port, run_collector

from chainsight.dashboard.client import (
    AuthError,
    CollectorClient,
    CollectorUnreachable,
    NotFound,
)
from chainsight.storage.model import MetricQuery, TraceFilter

from .conftest import Seeded


def test_traces_come_back_as_model_rows(seeded: Seeded) -> None:
    """A page of TraceSummary rows, with a cursor while more remain."""
    with CollectorClient(seeded.url) as client:
        page = client.traces(limit=10)
    assert len(page.items) == 10
    assert page.next_cursor is not None
    assert {t.trace_id for t in page.items} <= {t.trace_id for t in seeded.traces}


def test_filters_reach_the_api(seeded: Seeded) -> None:
    """A user filter returns exactly that user's traces."""
    user = seeded.traces[0].user_id
    with CollectorClient(seeded.url) as client:
        page = client.traces(TraceFilter(user_id=user), limit=1000)
    assert {t.trace_id for t in page.items} == {
        t.trace_id for t in seeded.traces if t.user_id == user
    }


def test_metrics_group_by_model(seeded: Seeded) -> None:
    """A grouped summary has one row per seeded model with its LLM call count."""
    now = datetime.now(UTC)
    query = MetricQuery(
        start=now - timedelta(days=1), end=now + timedelta(minutes=1), group_by="model", kind="llm"
    )
    with CollectorClient(seeded.url) as client:
        points = client.metrics(query)
    counts = {p.group: p.requests for p in points}
    expected: dict[str, int] = {}
    for trace in seeded.traces:
        expected[trace.model] = expected.get(trace.model, 0) + 1
    assert counts == expected


def test_unknown_trace_is_not_found(seeded: Seeded) -> None:
    """A 404 becomes NotFound."""
    with CollectorClient(seeded.url) as client, pytest.raises(NotFound):
        client.trace("0" * 32)


def test_nothing_listening_is_unreachable() -> None:
    """A refused connection becomes CollectorUnreachable naming the address."""
    url = f"http://127.0.0.1:{free_port()}"
    with CollectorClient(url) as client, pytest.raises(CollectorUnreachable, match=url):
        client.status()


def test_a_wrong_key_is_an_auth_error(tmp_path: Path) -> None:
    """Once the collector has keys, a wrong key becomes AuthError."""
    with run_collector(tmp_path / "data") as running:
        httpx.post(f"{running.base_url}/api/v1/keys", json={"project": "p"}).raise_for_status()
        with (
            CollectorClient(running.base_url, "cs_000000000000_wrong") as client,
            pytest.raises(AuthError),
        ):
            client.traces()


def test_clients_share_one_verifying_ssl_context() -> None:
    """Every client uses the process's one SSL context, and it still verifies certificates."""
    import ssl

    from chainsight.dashboard.client import ssl_context

    context = ssl_context()
    assert ssl_context() is context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
