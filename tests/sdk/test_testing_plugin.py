"""chainsight.testing: the pytest plugin users get with the package."""

from __future__ import annotations

from importlib.metadata import entry_points

from opentelemetry import trace

import chainsight
from chainsight._runtime import RUNTIME
from chainsight.testing import CapturedSpans, capturing


def test_plugin_is_registered_as_a_pytest_entry_point() -> None:
    """pip install chainsight makes capture_spans available without conftest imports."""
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("chainsight") == "chainsight.testing"


def test_capture_spans_fixture_captures_the_test_spans(capture_spans: CapturedSpans) -> None:
    """The fixture yields the spans the code under test produced."""
    chainsight.tool(name="lookup")(lambda: "shipped")()
    assert capture_spans.by_name("lookup").attributes["openinference.span.kind"] == "TOOL"


def test_capturing_restores_the_runtime_and_leaves_otel_globals_alone() -> None:
    """After the block the previous tracer is back and OTel's global provider is untouched."""
    global_provider = trace.get_tracer_provider()
    before = RUNTIME.tracer
    with capturing() as captured:
        assert RUNTIME.tracer is not before
        chainsight.trace(name="x")(lambda: None)()
    assert RUNTIME.tracer is before
    assert trace.get_tracer_provider() is global_provider
    assert captured.names() == ["x"]
