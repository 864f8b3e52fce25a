"""Only the OpenTelemetry SDK: an LLM call described by hand with the OTel GenAI conventions.

Any OTLP exporter can feed Chainsight. This script writes the ``gen_ai.*`` attributes itself
(semantic conventions for generative AI: operation, provider, request/response model, token
usage, finish reasons) and the collector prices the call from them.

    chainsight up &
    python examples/plain_otel.py
"""

from __future__ import annotations

import argparse
import time

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind

MODEL = "gpt-4o"
INPUT_TOKENS = 1200
CACHED_TOKENS = 1024
OUTPUT_TOKENS = 80


def main(argv: list[str] | None = None) -> bool:
    """Send one parent span and one LLM span; True when the collector acknowledged them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:4318", help="collector URL")
    parser.add_argument("--project", default="plain-otel-example")
    args = parser.parse_args(argv)

    resource = Resource.create({"service.name": "plain-otel", "chainsight.project": args.project})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{args.endpoint}/v1/traces"))
    )
    tracer = provider.get_tracer("examples.plain_otel")

    # The GenAI conventions name a model call span "{operation} {model}", kind CLIENT.
    with (
        tracer.start_as_current_span("answer_question"),
        tracer.start_as_current_span(f"chat {MODEL}", kind=SpanKind.CLIENT) as span,
    ):
        span.set_attribute("gen_ai.operation.name", "chat")
        span.set_attribute("gen_ai.provider.name", "openai")
        span.set_attribute("gen_ai.request.model", MODEL)
        time.sleep(0.05)  # the call itself
        span.set_attribute("gen_ai.response.model", MODEL)
        span.set_attribute("gen_ai.response.finish_reasons", ["stop"])
        # Input tokens include the cached ones (OpenAI's and the conventions' rule).
        span.set_attribute("gen_ai.usage.input_tokens", INPUT_TOKENS)
        span.set_attribute("gen_ai.usage.cache_read.input_tokens", CACHED_TOKENS)
        span.set_attribute("gen_ai.usage.output_tokens", OUTPUT_TOKENS)

    delivered = provider.force_flush(10_000)
    provider.shutdown()
    print(f"Sent one chat span ({MODEL}) to {args.endpoint}, project {args.project!r}")
    return delivered


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
