"""Our own SDK (chainsight.init + decorators) exporting to the real collector."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import RunningCollector
from opentelemetry.sdk.trace import TracerProvider

import chainsight


@chainsight.trace
def handle(question: str) -> str:
    return question.upper()


@pytest.fixture
def sdk_shutdown() -> Iterator[None]:
    """Shut the SDK pipeline down after the test, whatever happened."""
    yield
    chainsight.shutdown()


def test_sdk_trace_reaches_the_collector(collector: RunningCollector, sdk_shutdown: None) -> None:
    """A decorated call is exported by the SDK and listed under its project after flush."""
    chainsight.init(
        project="sdk-project", endpoint=collector.base_url, tracer_provider=TracerProvider()
    )
    handle("hello")
    assert chainsight.flush(timeout=20)
    with collector.client() as client:
        items = client.get("/api/v1/traces", params={"project": "sdk-project"}).json()["items"]
    assert [item["name"] for item in items] == ["handle"]


def test_sdk_api_key_assigns_the_keys_project(
    collector: RunningCollector, sdk_shutdown: None
) -> None:
    """With CHAINSIGHT_API_KEY's value passed to init, spans land in the key's project."""
    with collector.client() as client:
        key = client.post("/api/v1/keys", json={"project": "keyed"}).json()["key"]
    chainsight.init(
        project="ignored",
        endpoint=collector.base_url,
        api_key=key,
        tracer_provider=TracerProvider(),
    )
    handle("keyed")
    assert chainsight.flush(timeout=20)
    with collector.client(key) as client:
        assert client.get("/api/v1/projects").json() == ["keyed"]
