"""init()/flush()/shutdown(): provider choice, idempotence, disabling, sampling, drop counters.

Tests in this process always inject a TracerProvider; the paths that use OTel's global
provider run in a subprocess so this process's OTel globals are never touched.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from conftest import free_port, wait_until
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from otlp_receiver import OtlpReceiver

from chainsight import semconv
from chainsight import setup as cs
from chainsight._runtime import RUNTIME
from chainsight.config import ConfigError, resolve

SUBPROCESS_TIMEOUT_S = 60.0


@pytest.fixture(autouse=True)
def _forget_init() -> Iterator[None]:
    yield
    cs.shutdown(timeout=2.0)


@pytest.fixture
def provider() -> TracerProvider:
    return TracerProvider(shutdown_on_exit=False)


def _one_span(name: str = "step") -> None:
    with RUNTIME.tracer.start_as_current_span(name):
        pass


def test_injected_provider_and_exporter_receive_the_spans(provider: TracerProvider) -> None:
    """With tracer_provider= and exporter=, RUNTIME.tracer's spans reach that exporter on flush."""
    exporter = InMemorySpanExporter()
    cs.init(project="p", tracer_provider=provider, exporter=exporter)
    _one_span()
    assert cs.flush(timeout=10.0) is True
    assert [s.name for s in exporter.get_finished_spans()] == ["step"]


def test_init_twice_with_the_same_arguments_exports_once(provider: TracerProvider) -> None:
    """A repeated init() adds no second processor: each span is exported once."""
    exporter = InMemorySpanExporter()
    cs.init(project="p", tracer_provider=provider, exporter=exporter)
    cs.init(project="p", tracer_provider=provider, exporter=exporter)
    _one_span()
    assert cs.flush(timeout=10.0) is True
    assert len(exporter.get_finished_spans()) == 1


def test_init_again_with_other_settings_replaces_the_pipeline(provider: TracerProvider) -> None:
    """A second init() with different export settings closes the first pipeline."""
    first, second = InMemorySpanExporter(), InMemorySpanExporter()
    cs.init(project="a", tracer_provider=provider, exporter=first)
    cs.init(project="b", tracer_provider=provider, exporter=second)
    _one_span()
    assert cs.flush(timeout=10.0) is True
    assert (len(first.get_finished_spans()), len(second.get_finished_spans())) == (0, 1)
    assert RUNTIME.config.project == "b"


def test_repeated_init_refreshes_content_settings(provider: TracerProvider) -> None:
    """Content settings change on a repeated init() even when the pipeline is kept."""
    exporter = InMemorySpanExporter()
    cs.init(project="p", tracer_provider=provider, exporter=exporter)
    cs.init(project="p", tracer_provider=provider, exporter=exporter, capture_content=False)
    assert RUNTIME.config.capture_content is False


def test_init_puts_content_settings_on_the_runtime(provider: TracerProvider) -> None:
    """capture_content, max_value_bytes, scrub and redact reach RUNTIME.config."""

    def redact(name: str, value: object) -> object:
        return value

    cs.init(
        tracer_provider=provider,
        exporter=InMemorySpanExporter(),
        capture_content=False,
        max_value_bytes=1024,
        scrub=False,
        redact=redact,
    )
    config = RUNTIME.config
    assert (config.capture_content, config.max_value_bytes, config.scrub, config.redact) == (
        False,
        1024,
        False,
        redact,
    )


def test_init_disabled_sets_the_runtime_flag(provider: TracerProvider) -> None:
    """init(disabled=True) makes RUNTIME.disabled true and installs no exporter."""
    exporter = InMemorySpanExporter()
    cs.init(disabled=True, tracer_provider=provider, exporter=exporter)
    assert RUNTIME.disabled is True
    with provider.get_tracer("t").start_as_current_span("x"):
        pass
    assert cs.flush(timeout=1.0) is True
    assert exporter.get_finished_spans() == ()


def test_chainsight_disabled_env_sets_the_runtime_flag(
    provider: TracerProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CHAINSIGHT_DISABLED=1 with a plain init() disables the SDK."""
    monkeypatch.setenv("CHAINSIGHT_DISABLED", "1")
    cs.init(tracer_provider=provider, exporter=InMemorySpanExporter())
    assert RUNTIME.disabled is True


def test_init_rejects_an_invalid_value(provider: TracerProvider) -> None:
    """An invalid argument raises ConfigError and leaves the SDK uninitialised."""
    with pytest.raises(ConfigError, match="sample_rate"):
        cs.init(sample_rate=2.0, tracer_provider=provider)
    assert cs.flush(timeout=1.0) is True


def test_shutdown_forgets_init(provider: TracerProvider) -> None:
    """After shutdown(), RUNTIME falls back to the environment-derived configuration."""
    cs.init(project="temporary", tracer_provider=provider, exporter=InMemorySpanExporter())
    cs.shutdown(timeout=2.0)
    assert RUNTIME.config.project == resolve().project


def test_init_after_shutdown_starts_a_fresh_pipeline(provider: TracerProvider) -> None:
    """init() → shutdown() → init() exports through the new pipeline only, once."""
    first, second = InMemorySpanExporter(), InMemorySpanExporter()
    cs.init(tracer_provider=provider, exporter=first)
    cs.shutdown(timeout=2.0)
    cs.init(tracer_provider=provider, exporter=second)
    _one_span()
    assert cs.flush(timeout=10.0) is True
    assert (len(first.get_finished_spans()), len(second.get_finished_spans())) == (0, 1)


def test_flush_delivers_to_the_collector_with_the_project(provider: TracerProvider) -> None:
    """init(endpoint=..., api_key=...) exports over HTTP; the project is on the resource."""
    with OtlpReceiver() as receiver:
        cs.init(
            project="support-bot", endpoint=receiver.endpoint, api_key="k", tracer_provider=provider
        )
        _one_span("answer")
        assert cs.flush(timeout=10.0) is True
        (resource_spans,) = list(receiver.accepted_resources())
        headers = receiver.accepted()[0].headers
    attrs = {kv.key: kv.value.string_value for kv in resource_spans.resource.attributes}
    assert attrs[semconv.CHAINSIGHT_PROJECT] == "support-bot"
    assert headers["Authorization"] == "Bearer k"


def test_dropped_spans_are_exposed_by_reason(provider: TracerProvider) -> None:
    """With the collector down, dropped_spans() and export_stats() report the loss."""
    cs.init(
        endpoint=f"http://127.0.0.1:{free_port()}",
        tracer_provider=provider,
        retry_budget=0.0,
        max_export_batch_size=1,
    )
    _one_span()
    wait_until(lambda: cs.dropped_spans() == 1)
    assert cs.export_stats().dropped["retries_exhausted"] == 1


def test_export_stats_survive_shutdown(provider: TracerProvider) -> None:
    """The last pipeline's counters stay readable after shutdown()."""
    exporter = InMemorySpanExporter()
    cs.init(tracer_provider=provider, exporter=exporter)
    _one_span()
    cs.shutdown(timeout=10.0)
    assert cs.export_stats().delivered == 1


class SeededIds(IdGenerator):
    """Deterministic trace/span ids so the sampling test is reproducible."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def generate_span_id(self) -> int:
        return self._rng.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._rng.getrandbits(128) or 1


def test_sample_rate_keeps_that_fraction_of_traces() -> None:
    """sample_rate=0.25 keeps about a quarter of 4000 root spans (fixed ids)."""
    provider, _ = cs.build_tracer_provider(
        resolve({}, sample_rate=0.25), id_generator=SeededIds(7), shutdown_on_exit=False
    )
    tracer = provider.get_tracer("t")
    kept = 0
    for _ in range(4000):
        with tracer.start_as_current_span("root") as span:
            kept += span.get_span_context().trace_flags.sampled
    assert 880 <= kept <= 1120


def test_sampling_is_parent_based() -> None:
    """Children follow their root's decision, so traces are kept or dropped whole."""
    provider, _ = cs.build_tracer_provider(
        resolve({}, sample_rate=0.5), id_generator=SeededIds(11), shutdown_on_exit=False
    )
    tracer = provider.get_tracer("t")
    pairs = []
    for _ in range(200):
        with (
            tracer.start_as_current_span("root") as root,
            tracer.start_as_current_span("child") as child,
        ):
            pairs.append(
                (
                    root.get_span_context().trace_flags.sampled,
                    child.get_span_context().trace_flags.sampled,
                )
            )
    assert {root for root, _ in pairs} == {True, False}
    assert all(root == child for root, child in pairs)


def test_our_provider_resource_names_service_and_project() -> None:
    """The provider we build carries service.name and both project attributes."""
    provider, _ = cs.build_tracer_provider(
        resolve({}, project="rag", service_name="api"), shutdown_on_exit=False
    )
    attrs = provider.resource.attributes
    assert (attrs[semconv.SERVICE_NAME], attrs[semconv.CHAINSIGHT_PROJECT]) == ("api", "rag")
    assert attrs[semconv.OPENINFERENCE_PROJECT] == "rag"


def _run_in_subprocess(code: str) -> dict[str, object]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_an_existing_global_sdk_provider_is_reused() -> None:
    """If the app set an SDK TracerProvider, init() adds our exporter to it (subprocess)."""
    with OtlpReceiver() as receiver:
        result = _run_in_subprocess(
            f"""
            import json
            from opentelemetry import trace
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import SimpleSpanProcessor
            from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
            import chainsight.setup as cs
            from chainsight._runtime import RUNTIME

            app_exporter = InMemorySpanExporter()
            app = TracerProvider(resource=Resource.create({{"service.name": "app-svc"}}))
            app.add_span_processor(SimpleSpanProcessor(app_exporter))
            trace.set_tracer_provider(app)
            cs.init(project="p", endpoint="{receiver.endpoint}")
            with RUNTIME.tracer.start_as_current_span("ours"):
                pass
            print(json.dumps({{
                "flushed": cs.flush(timeout=10.0),
                "same_provider": trace.get_tracer_provider() is app,
                "app_saw": [s.name for s in app_exporter.get_finished_spans()],
            }}))
            """
        )
        (resource_spans,) = list(receiver.accepted_resources())
    assert result == {"flushed": True, "same_provider": True, "app_saw": ["ours"]}
    attrs = {kv.key: kv.value.string_value for kv in resource_spans.resource.attributes}
    assert (attrs[semconv.SERVICE_NAME], attrs[semconv.CHAINSIGHT_PROJECT]) == ("app-svc", "p")


def test_without_a_global_provider_ours_is_installed_for_third_party_spans() -> None:
    """With no provider set, init() installs ours globally, so other libraries' spans export."""
    with OtlpReceiver() as receiver:
        result = _run_in_subprocess(
            f"""
            import json
            from opentelemetry import trace
            import chainsight.setup as cs

            cs.init(project="p", service_name="svc", endpoint="{receiver.endpoint}")
            cs.init(project="p", service_name="svc", endpoint="{receiver.endpoint}")
            with trace.get_tracer("third.party").start_as_current_span("external"):
                pass
            print(json.dumps({{"flushed": cs.flush(timeout=10.0)}}))
            """
        )
        names = [s.name for s in receiver.accepted_spans()]
        (resource_spans,) = list(receiver.accepted_resources())
    assert (result, names) == ({"flushed": True}, ["external"])
    attrs = {kv.key: kv.value.string_value for kv in resource_spans.resource.attributes}
    assert (attrs[semconv.SERVICE_NAME], attrs[semconv.CHAINSIGHT_PROJECT]) == ("svc", "p")


def test_exit_without_flush_still_delivers() -> None:
    """Our own provider flushes at interpreter exit, so a short script loses nothing."""
    with OtlpReceiver() as receiver:
        _run_in_subprocess(
            f"""
            from opentelemetry import trace
            import chainsight.setup as cs

            cs.init(endpoint="{receiver.endpoint}")
            with trace.get_tracer("script").start_as_current_span("last"):
                pass
            print("{{}}")
            """
        )
        names = [s.name for s in receiver.accepted_spans()]
    assert names == ["last"]


def test_a_forked_child_exports_its_own_spans() -> None:
    """After os.fork() (pre-fork servers) the child gets a fresh export thread and connection."""
    with OtlpReceiver() as receiver:
        result = _run_in_subprocess(
            f"""
            import json, os
            from opentelemetry import trace
            import chainsight.setup as cs

            cs.init(endpoint="{receiver.endpoint}")
            tracer = trace.get_tracer("app")
            with tracer.start_as_current_span("before-fork"):
                pass
            assert cs.flush(timeout=10.0)
            pid = os.fork()
            if pid == 0:
                with tracer.start_as_current_span("in-child"):
                    pass
                os._exit(0 if cs.flush(timeout=10.0) else 3)
            _, status = os.waitpid(pid, 0)
            with tracer.start_as_current_span("after-fork"):
                pass
            print(json.dumps({{
                "child_exit": os.waitstatus_to_exitcode(status),
                "parent_flushed": cs.flush(timeout=10.0),
            }}))
            """
        )
        names = sorted(s.name for s in receiver.accepted_spans())
    assert result == {"child_exit": 0, "parent_flushed": True}
    assert names == ["after-fork", "before-fork", "in-child"]
