"""Spans from a third-party instrumentation: OpenLLMetry's ``opentelemetry-instrumentation-openai``
exporting with the plain OTLP exporter straight to the Chainsight collector.

No Chainsight code runs in the app: the collector reads OpenLLMetry's attributes (OTel GenAI
``gen_ai.*`` names plus its ``llm.*`` extras) and shows the same model, tokens and cost as for
the Chainsight SDK. The calls go through the real ``openai`` client to the bundled model server
(started here unless ``--model-server`` names an OpenAI-compatible base URL).

    pip install "chainsight[demo]" opentelemetry-instrumentation-openai
    chainsight up &
    python examples/openllmetry_openai.py
"""

from __future__ import annotations

import argparse
import contextlib

import openai
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from chainsight.demo.runner import ModelServer

MODEL = "gpt-4o-mini"
MESSAGES = [
    {"role": "system", "content": "You are the support assistant of an online shop."},
    {"role": "user", "content": "How long does express shipping take?"},
]


def chat(client: openai.OpenAI, stream: bool) -> str:
    """The example's call, plain or streamed (with the final usage chunk)."""
    if not stream:
        completion = client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,  # type: ignore[arg-type]
        )
        return completion.choices[0].message.content or ""
    chunks = client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def main(argv: list[str] | None = None) -> bool:
    """Make the calls; True when the collector acknowledged the spans."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:4318", help="collector URL")
    parser.add_argument("--project", default="openllmetry-example")
    parser.add_argument(
        "--model-server", help="an OpenAI-compatible base URL (default: start the bundled one)"
    )
    parser.add_argument("--stream", action="store_true", help="stream the answer")
    args = parser.parse_args(argv)

    # Plain OpenTelemetry: the project travels as a resource attribute (chainsight.project).
    resource = Resource.create(
        {"service.name": "openllmetry-example", "chainsight.project": args.project}
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{args.endpoint}/v1/traces"))
    )
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)

    with contextlib.ExitStack() as stack:
        stack.callback(instrumentor.uninstrument)
        base_url = args.model_server or stack.enter_context(ModelServer(seed=0)).openai_base_url
        client = openai.OpenAI(base_url=base_url, api_key="demo", max_retries=0)
        print(chat(client, args.stream))
    delivered = provider.force_flush(10_000)
    provider.shutdown()
    return delivered


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
