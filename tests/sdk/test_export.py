"""The export path against a real OTLP receiver on 127.0.0.1: delivery, span shape, failures."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pytest
from conftest import free_port, wait_until
from opentelemetry.proto.trace.v1.trace_pb2 import Status as PbStatus
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status, StatusCode, Tracer
from otlp_receiver import OtlpReceiver, Reply

from chainsight import semconv
from chainsight.export import OTLPHTTPExporter
from chainsight.processor import QUEUE_FULL, QueueingSpanProcessor


@dataclass
class Pipeline:
    """A real provider + our processor + our exporter, never installed globally."""

    tracer: Tracer
    processor: QueueingSpanProcessor

    def spans(self, n: int, prefix: str = "step") -> None:
        for i in range(n):
            with self.tracer.start_as_current_span(f"{prefix}-{i}"):
                pass


PipelineFactory = Callable[..., Pipeline]


@pytest.fixture
def make_pipeline() -> Iterator[PipelineFactory]:
    made: list[QueueingSpanProcessor] = []

    def make(
        url: str,
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        retry_budget: float = 10.0,
        max_queue_size: int = 2048,
        max_export_batch_size: int = 512,
    ) -> Pipeline:
        exporter = OTLPHTTPExporter(
            url,
            project="support-bot",
            api_key=api_key,
            timeout=timeout,
            retry_budget=retry_budget,
            initial_backoff=0.05,
            max_backoff=0.2,
        )
        processor = QueueingSpanProcessor(
            exporter,
            max_queue_size=max_queue_size,
            max_export_batch_size=max_export_batch_size,
            schedule_delay=30.0,
        )
        provider = TracerProvider(
            resource=Resource.create({semconv.SERVICE_NAME: "bot-service"}),
            shutdown_on_exit=False,
        )
        provider.add_span_processor(processor)
        made.append(processor)
        return Pipeline(provider.get_tracer("tests"), processor)

    yield make
    for processor in made:
        processor.close(timeout=2.0)


def _drop_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "dropped" in r.getMessage()]


def test_flushed_spans_arrive_as_otlp_protobuf_with_names_and_parents(
    make_pipeline: PipelineFactory,
) -> None:
    """A flushed parent/child pair is decoded at the receiver with its names and parent link."""
    with OtlpReceiver() as receiver:
        pipeline = make_pipeline(receiver.traces_url)
        with (
            pipeline.tracer.start_as_current_span("parent") as parent,
            pipeline.tracer.start_as_current_span("child"),
        ):
            pass
        assert pipeline.processor.flush(timeout=10.0) is True
        spans = {s.name: s for s in receiver.accepted_spans()}
    assert set(spans) == {"parent", "child"}
    assert spans["child"].parent_span_id == spans["parent"].span_id
    assert spans["parent"].trace_id == parent.get_span_context().trace_id.to_bytes(16, "big")


def test_attributes_status_and_events_survive_the_wire(make_pipeline: PipelineFactory) -> None:
    """Typed attributes, ERROR status and the exception event arrive as the SDK recorded them."""
    with OtlpReceiver() as receiver:
        pipeline = make_pipeline(receiver.traces_url)
        with pipeline.tracer.start_as_current_span("answer") as span:
            span.set_attribute(semconv.GEN_AI_USAGE_INPUT_TOKENS, 812)
            span.set_attribute(semconv.GEN_AI_REQUEST_MODEL, "gpt-4o-mini")
            span.set_attribute(semconv.GEN_AI_RESPONSE_FINISH_REASONS, ("stop",))
            span.record_exception(ValueError("boom"))
            span.set_status(Status(StatusCode.ERROR, "boom"))
        assert pipeline.processor.flush(timeout=10.0)
        (wire,) = receiver.accepted_spans()
    attrs = {kv.key: kv.value for kv in wire.attributes}
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS].int_value == 812
    assert attrs[semconv.GEN_AI_REQUEST_MODEL].string_value == "gpt-4o-mini"
    finish = attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS].array_value.values
    assert [v.string_value for v in finish] == ["stop"]
    assert (wire.status.code, wire.status.message) == (PbStatus.STATUS_CODE_ERROR, "boom")
    assert [e.name for e in wire.events] == ["exception"]


def test_resource_carries_service_name_and_project(make_pipeline: PipelineFactory) -> None:
    """The resource has service.name from the provider and chainsight.project stamped on."""
    with OtlpReceiver() as receiver:
        pipeline = make_pipeline(receiver.traces_url)
        pipeline.spans(1)
        assert pipeline.processor.flush(timeout=10.0)
        resources = list(receiver.accepted_resources())
    attrs = {kv.key: kv.value.string_value for kv in resources[0].resource.attributes}
    assert attrs[semconv.SERVICE_NAME] == "bot-service"
    assert attrs[semconv.CHAINSIGHT_PROJECT] == "support-bot"


def test_requests_are_gzipped_protobuf_with_bearer_auth(make_pipeline: PipelineFactory) -> None:
    """Headers: protobuf content type, gzip encoding and Authorization: Bearer <api_key>."""
    with OtlpReceiver() as receiver:
        pipeline = make_pipeline(receiver.traces_url, api_key="cs-secret")
        pipeline.spans(1)
        assert pipeline.processor.flush(timeout=10.0)
        headers = receiver.accepted()[0].headers
    assert headers["Content-Type"] == "application/x-protobuf"
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Authorization"] == "Bearer cs-secret"


def test_full_batches_are_sent_without_a_flush(make_pipeline: PipelineFactory) -> None:
    """Reaching the batch size wakes the worker; spans arrive in batches of that size."""
    with OtlpReceiver() as receiver:
        pipeline = make_pipeline(receiver.traces_url, max_export_batch_size=5)
        pipeline.spans(10)
        wait_until(lambda: len(receiver.accepted_spans()) == 10)
        sizes = [len(r.spans) for r in receiver.accepted()]
    assert sizes == [5, 5]


def test_collector_down_never_raises_and_flush_reports_false(
    make_pipeline: PipelineFactory,
) -> None:
    """Nothing listening: ending spans is fine, flush returns False within its timeout."""
    pipeline = make_pipeline(f"http://127.0.0.1:{free_port()}/v1/traces", retry_budget=30.0)
    pipeline.spans(3)
    assert pipeline.processor.flush(timeout=0.3) is False


def test_collector_down_drops_are_counted_after_the_retry_budget(
    make_pipeline: PipelineFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """With nothing listening the batch is retried within its budget, then dropped and counted."""
    url = f"http://127.0.0.1:{free_port()}/v1/traces"
    pipeline = make_pipeline(url, retry_budget=0.3, max_export_batch_size=3)
    pipeline.spans(3)
    stats = wait_until(
        lambda: (s := pipeline.processor.stats()).dropped["retries_exhausted"] == 3 and s
    )
    assert stats.delivered == 0
    wait_until(lambda: _drop_warnings(caplog))
    assert len(_drop_warnings(caplog)) == 1


def test_slow_collector_flush_returns_false_before_the_reply(
    make_pipeline: PipelineFactory,
) -> None:
    """A held reply: flush gives up at its timeout while the receiver is still holding."""
    release = threading.Event()
    with OtlpReceiver(hold=release) as receiver:
        pipeline = make_pipeline(receiver.traces_url)
        pipeline.spans(1)
        assert pipeline.processor.flush(timeout=0.2) is False
        assert receiver.accepted() == []
        release.set()
        assert pipeline.processor.flush(timeout=10.0) is True


def test_a_timed_out_request_is_retried(make_pipeline: PipelineFactory) -> None:
    """A reply slower than the request timeout counts as transient: the batch is sent again."""
    release = threading.Event()
    with OtlpReceiver(hold=release) as receiver:
        pipeline = make_pipeline(receiver.traces_url, timeout=0.2)
        pipeline.spans(1)
        assert pipeline.processor.flush(timeout=0.1) is False
        wait_until(lambda: receiver.arrivals >= 2)
        release.set()
        assert pipeline.processor.flush(timeout=10.0) is True


def test_500_is_retried_and_the_batch_delivered_once(make_pipeline: PipelineFactory) -> None:
    """One 500 then success: two requests, the spans accepted exactly once."""
    with OtlpReceiver(script=[Reply(500)]) as receiver:
        pipeline = make_pipeline(receiver.traces_url)
        pipeline.spans(4)
        assert pipeline.processor.flush(timeout=10.0) is True
        statuses = [r.status for r in receiver.received]
        names = sorted(s.name for s in receiver.accepted_spans())
    assert statuses == [500, 200]
    assert names == ["step-0", "step-1", "step-2", "step-3"]
    assert pipeline.processor.stats().delivered == 4


def test_503_retry_after_is_honoured(make_pipeline: PipelineFactory) -> None:
    """503 + Retry-After: 1 → the retry comes no sooner than one second later, then succeeds."""
    with OtlpReceiver(script=[Reply(503, (("Retry-After", "1"),))]) as receiver:
        pipeline = make_pipeline(receiver.traces_url)
        pipeline.spans(2)
        assert pipeline.processor.flush(timeout=10.0) is True
        first, second = receiver.received
    assert (first.status, second.status) == (503, 200)
    assert second.at - first.at >= 1.0


def test_429_is_retried_not_dropped(make_pipeline: PipelineFactory) -> None:
    """Unlike the stock exporter, 429 is backpressure: the batch is retried and delivered."""
    with OtlpReceiver(script=[Reply(429, (("Retry-After", "0"),))]) as receiver:
        pipeline = make_pipeline(receiver.traces_url)
        pipeline.spans(2)
        assert pipeline.processor.flush(timeout=10.0) is True
        assert [r.status for r in receiver.received] == [429, 200]


def test_retry_after_beyond_the_budget_drops_the_batch(make_pipeline: PipelineFactory) -> None:
    """A hint longer than the retry budget is not waited out: the batch is dropped and counted."""
    with OtlpReceiver(script=[Reply(503, (("Retry-After", "3600"),))]) as receiver:
        pipeline = make_pipeline(receiver.traces_url, retry_budget=5.0)
        pipeline.spans(2)
        assert pipeline.processor.flush(timeout=10.0) is False
        assert pipeline.processor.stats().dropped["retries_exhausted"] == 2
        assert len(receiver.received) == 1


def test_400_is_dropped_counted_and_logged_once(
    make_pipeline: PipelineFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Permanent errors are not retried; both refused batches are counted, one warning logged."""
    with OtlpReceiver(script=[Reply(400), Reply(400)]) as receiver:
        pipeline = make_pipeline(receiver.traces_url, max_export_batch_size=2)
        pipeline.spans(2)
        assert pipeline.processor.flush(timeout=10.0) is False
        pipeline.spans(2)
        assert pipeline.processor.flush(timeout=10.0) is False
        assert len(receiver.received) == 2
    assert pipeline.processor.stats().dropped["rejected"] == 4
    assert len(_drop_warnings(caplog)) == 1


def test_a_log_handler_that_makes_spans_does_not_deadlock(make_pipeline: PipelineFactory) -> None:
    """Drop warnings are emitted outside the queue lock, so a span-making handler is safe."""
    with OtlpReceiver(script=[Reply(400)]) as receiver:
        pipeline = make_pipeline(receiver.traces_url)

        class SpanPerRecord(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                with pipeline.tracer.start_as_current_span("log-record"):
                    pass

        handler = SpanPerRecord()
        logging.getLogger("chainsight.export").addHandler(handler)
        try:
            pipeline.spans(1)
            assert pipeline.processor.flush(timeout=10.0) is False
            wait_until(
                lambda: (
                    pipeline.processor.flush(timeout=1.0)
                    and [s.name for s in receiver.accepted_spans()] == ["log-record"]
                )
            )
        finally:
            logging.getLogger("chainsight.export").removeHandler(handler)


class FailingOnceExporter(SpanExporter):
    """A third-party exporter whose first export raises."""

    def __init__(self) -> None:
        self.calls = 0
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("exporter bug")
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def test_an_injected_exporter_that_raises_costs_one_batch_not_the_worker() -> None:
    """The raising batch counts as export_failed; the next batch is still exported."""
    exporter = FailingOnceExporter()
    processor = QueueingSpanProcessor(exporter, schedule_delay=30.0)
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("tests")
    try:
        with tracer.start_as_current_span("lost"):
            pass
        assert processor.flush(timeout=10.0) is False
        with tracer.start_as_current_span("kept"):
            pass
        assert processor.flush(timeout=10.0) is True
    finally:
        processor.close(timeout=2.0)
    assert processor.stats().dropped["export_failed"] == 1
    assert [s.name for s in exporter.spans] == ["kept"]


def test_partial_success_counts_refused_spans(make_pipeline: PipelineFactory) -> None:
    """A 200 with partial_success.rejected_spans: not retried, the refused spans counted."""
    with OtlpReceiver(script=[Reply(200, rejected_spans=1)]) as receiver:
        pipeline = make_pipeline(receiver.traces_url)
        pipeline.spans(3)
        assert pipeline.processor.flush(timeout=10.0) is False
        assert len(receiver.received) == 1
    stats = pipeline.processor.stats()
    assert (stats.delivered, stats.dropped["rejected"]) == (2, 1)


def test_a_later_flush_is_true_once_drops_were_reported(make_pipeline: PipelineFactory) -> None:
    """Drops make the flush that covers them False; the next clean flush is True again."""
    with OtlpReceiver(script=[Reply(400)]) as receiver:
        pipeline = make_pipeline(receiver.traces_url)
        pipeline.spans(1)
        assert pipeline.processor.flush(timeout=10.0) is False
        pipeline.spans(1)
        assert pipeline.processor.flush(timeout=10.0) is True


def test_queue_overflow_is_bounded_counted_and_logged_once(
    make_pipeline: PipelineFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """With one batch stuck in flight, spans beyond the queue limit are dropped and counted."""
    release = threading.Event()
    with OtlpReceiver(hold=release) as receiver:
        pipeline = make_pipeline(receiver.traces_url, max_queue_size=10, max_export_batch_size=1)
        pipeline.spans(1, prefix="first")
        receiver.started.wait(10.0)
        pipeline.spans(30)
        stats = pipeline.processor.stats()
        assert (stats.queued, stats.dropped[QUEUE_FULL]) == (10, 20)
        release.set()
        assert pipeline.processor.flush(timeout=10.0) is False
        assert len(receiver.accepted_spans()) == 11
    assert len(_drop_warnings(caplog)) == 1


def test_close_counts_spans_it_could_not_deliver(make_pipeline: PipelineFactory) -> None:
    """Closing with the collector down gives up at its timeout and counts queued spans."""
    pipeline = make_pipeline(f"http://127.0.0.1:{free_port()}/v1/traces", retry_budget=30.0)
    pipeline.spans(3, prefix="a")
    assert pipeline.processor.close(timeout=0.3) is False
    assert pipeline.processor.stats().dropped_total == 3


def test_spans_ended_after_close_are_ignored(make_pipeline: PipelineFactory) -> None:
    """After close, ending a span is a no-op: nothing queued, nothing raised."""
    with OtlpReceiver() as receiver:
        pipeline = make_pipeline(receiver.traces_url)
        assert pipeline.processor.close(timeout=5.0) is True
        pipeline.spans(2)
    assert pipeline.processor.stats().queued == 0
