"""Configuration precedence (explicit > CHAINSIGHT_* > OTEL_* > default) and invalid values."""

from __future__ import annotations

import dataclasses

import pytest

from chainsight.config import Config, ConfigError, resolve


def test_defaults_without_environment() -> None:
    """An empty environment gives the documented defaults."""
    assert resolve({}) == Config()


def test_explicit_beats_chainsight_env() -> None:
    """An explicit argument wins over CHAINSIGHT_PROJECT."""
    assert resolve({"CHAINSIGHT_PROJECT": "env"}, project="arg").project == "arg"


def test_chainsight_endpoint_beats_otel_endpoints() -> None:
    """CHAINSIGHT_ENDPOINT wins over both OTEL endpoint variables."""
    env = {
        "CHAINSIGHT_ENDPOINT": "http://ours:4318",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:9/custom",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://base:9",
    }
    assert resolve(env).traces_endpoint == "http://ours:4318/v1/traces"


def test_otel_traces_endpoint_is_used_as_is() -> None:
    """The signal-specific OTEL URL is not extended with /v1/traces (OTel exporter spec)."""
    env = {
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:9/custom",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://base:9",
    }
    assert resolve(env).traces_endpoint == "http://traces:9/custom"


def test_otel_base_endpoint_gets_the_traces_path() -> None:
    """OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: /v1/traces is appended."""
    config = resolve({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://base:9/"})
    assert (config.endpoint, config.traces_endpoint) == ("http://base:9", "http://base:9/v1/traces")


def test_endpoint_given_with_the_traces_path_is_not_doubled() -> None:
    """An endpoint already ending in /v1/traces is kept as the traces URL."""
    config = resolve({}, endpoint="http://host:4318/v1/traces")
    assert (config.endpoint, config.traces_endpoint) == (
        "http://host:4318",
        "http://host:4318/v1/traces",
    )


def test_explicit_endpoint_beats_environment() -> None:
    """init(endpoint=...) wins over CHAINSIGHT_ENDPOINT."""
    config = resolve({"CHAINSIGHT_ENDPOINT": "http://env:1"}, endpoint="http://arg:2")
    assert config.traces_endpoint == "http://arg:2/v1/traces"


def test_otel_headers_and_timeout_are_read() -> None:
    """OTEL_EXPORTER_OTLP_HEADERS (percent-decoded) and OTEL_EXPORTER_OTLP_TIMEOUT (seconds)."""
    env = {
        "OTEL_EXPORTER_OTLP_HEADERS": "x-team=llm%20ops, x-env=prod",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "3",
    }
    config = resolve(env)
    assert config.headers == (("x-team", "llm ops"), ("x-env", "prod"))
    assert config.export_timeout == 3.0


def test_api_key_from_env() -> None:
    """CHAINSIGHT_API_KEY is read when no key is passed."""
    assert resolve({"CHAINSIGHT_API_KEY": "cs-1"}).api_key == "cs-1"


def test_service_name_otel_beats_resource_attribute() -> None:
    """OTEL_SERVICE_NAME wins over service.name inside OTEL_RESOURCE_ATTRIBUTES."""
    env = {"OTEL_SERVICE_NAME": "svc", "OTEL_RESOURCE_ATTRIBUTES": "service.name=other,team=ml"}
    config = resolve(env)
    assert (config.service_name, config.resource_attributes) == ("svc", (("team", "ml"),))


def test_project_falls_back_to_resource_attributes() -> None:
    """Without CHAINSIGHT_PROJECT, a project in OTEL_RESOURCE_ATTRIBUTES is used."""
    env = {"OTEL_RESOURCE_ATTRIBUTES": "openinference.project.name=rag"}
    assert resolve(env).project == "rag"


def test_chainsight_project_beats_resource_attributes() -> None:
    """CHAINSIGHT_PROJECT wins over chainsight.project in OTEL_RESOURCE_ATTRIBUTES."""
    env = {"CHAINSIGHT_PROJECT": "ours", "OTEL_RESOURCE_ATTRIBUTES": "chainsight.project=theirs"}
    assert resolve(env).project == "ours"


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes", "on"])
def test_disabled_truthy_values(raw: str) -> None:
    """CHAINSIGHT_DISABLED accepts the usual spellings of true."""
    assert resolve({"CHAINSIGHT_DISABLED": raw}).disabled is True


def test_explicit_disabled_false_beats_env() -> None:
    """init(disabled=False) wins over CHAINSIGHT_DISABLED=1."""
    assert resolve({"CHAINSIGHT_DISABLED": "1"}, disabled=False).disabled is False


def test_otel_sdk_disabled_is_honoured_beneath_ours() -> None:
    """OTEL_SDK_DISABLED=true disables unless CHAINSIGHT_DISABLED says otherwise."""
    assert resolve({"OTEL_SDK_DISABLED": "true"}).disabled is True
    assert resolve({"OTEL_SDK_DISABLED": "true", "CHAINSIGHT_DISABLED": "0"}).disabled is False


@pytest.mark.parametrize(
    "name",
    [
        "CHAINSIGHT_CAPTURE_CONTENT",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
        "TRACELOOP_TRACE_CONTENT",
    ],
)
def test_capture_switches_turn_content_off(name: str) -> None:
    """Each global content switch set to false turns all content capture off."""
    config = resolve({name: "false"})
    assert (config.capture_content, config.capture_inputs, config.capture_outputs) == (
        False,
        False,
        False,
    )


def test_chainsight_capture_beats_otel_capture() -> None:
    """CHAINSIGHT_CAPTURE_CONTENT=true wins over the OTel GenAI switch set to false."""
    env = {
        "CHAINSIGHT_CAPTURE_CONTENT": "true",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "false",
    }
    assert resolve(env).capture_content is True


def test_explicit_capture_beats_env() -> None:
    """init(capture_content=False) wins over CHAINSIGHT_CAPTURE_CONTENT=true."""
    assert (
        resolve({"CHAINSIGHT_CAPTURE_CONTENT": "true"}, capture_content=False).capture_inputs
        is False
    )


def test_openinference_hide_inputs_hides_only_inputs() -> None:
    """OPENINFERENCE_HIDE_INPUTS keeps outputs captured."""
    config = resolve({"OPENINFERENCE_HIDE_INPUTS": "true"})
    assert (config.capture_inputs, config.capture_outputs) == (False, True)


def test_openinference_hide_outputs_hides_only_outputs() -> None:
    """OPENINFERENCE_HIDE_OUTPUTS keeps inputs captured."""
    config = resolve({"OPENINFERENCE_HIDE_OUTPUTS": "1"})
    assert (config.capture_inputs, config.capture_outputs) == (True, False)


def test_sample_rate_and_value_cap_and_queue_from_env() -> None:
    """CHAINSIGHT_SAMPLE_RATE, CHAINSIGHT_MAX_VALUE_BYTES and CHAINSIGHT_MAX_QUEUE_SIZE parse."""
    env = {
        "CHAINSIGHT_SAMPLE_RATE": "0.25",
        "CHAINSIGHT_MAX_VALUE_BYTES": "4096",
        "CHAINSIGHT_MAX_QUEUE_SIZE": "100",
    }
    config = resolve(env)
    assert (config.sample_rate, config.max_value_bytes, config.max_queue_size) == (0.25, 4096, 100)


def test_batch_size_never_exceeds_the_queue() -> None:
    """A batch larger than the queue is clamped to the queue size."""
    assert resolve({}, max_queue_size=10, max_export_batch_size=512).max_export_batch_size == 10


def test_content_hooks_are_kept() -> None:
    """scrub, extra_scrub_patterns and redact pass through to the config."""

    def redact(name: str, value: object) -> object:
        return value

    config = resolve({}, scrub=False, extra_scrub_patterns=["acct-\\d+"], redact=redact)
    assert (config.scrub, config.extra_scrub_patterns, config.redact) == (
        False,
        ("acct-\\d+",),
        redact,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CHAINSIGHT_SAMPLE_RATE": "1.5"}, "CHAINSIGHT_SAMPLE_RATE"),
        ({"CHAINSIGHT_SAMPLE_RATE": "half"}, "CHAINSIGHT_SAMPLE_RATE"),
        ({"CHAINSIGHT_SAMPLE_RATE": "nan"}, "CHAINSIGHT_SAMPLE_RATE"),
        ({"CHAINSIGHT_DISABLED": "maybe"}, "CHAINSIGHT_DISABLED"),
        ({"CHAINSIGHT_CAPTURE_CONTENT": "sometimes"}, "CHAINSIGHT_CAPTURE_CONTENT"),
        ({"CHAINSIGHT_MAX_VALUE_BYTES": "lots"}, "CHAINSIGHT_MAX_VALUE_BYTES"),
        ({"CHAINSIGHT_MAX_VALUE_BYTES": "10"}, "CHAINSIGHT_MAX_VALUE_BYTES"),
        ({"CHAINSIGHT_MAX_QUEUE_SIZE": "0"}, "CHAINSIGHT_MAX_QUEUE_SIZE"),
        ({"CHAINSIGHT_ENDPOINT": "ftp://host"}, "CHAINSIGHT_ENDPOINT"),
        ({"CHAINSIGHT_ENDPOINT": "localhost:4318"}, "CHAINSIGHT_ENDPOINT"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "nope"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        ({"OTEL_EXPORTER_OTLP_TIMEOUT": "-1"}, "OTEL_EXPORTER_OTLP_TIMEOUT"),
        ({"OTEL_EXPORTER_OTLP_HEADERS": "novalue"}, "OTEL_EXPORTER_OTLP_HEADERS"),
        ({"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "x"}, "OTEL_INSTRUMENTATION"),
        ({"OPENINFERENCE_HIDE_INPUTS": "x"}, "OPENINFERENCE_HIDE_INPUTS"),
    ],
)
def test_invalid_env_values_name_the_variable(env: dict[str, str], named: str) -> None:
    """A bad env value raises ConfigError whose message names the variable."""
    with pytest.raises(ConfigError, match=named):
        resolve(env)


@pytest.mark.parametrize(
    ("explicit", "named"),
    [
        ({"sample_rate": -0.1}, "sample_rate"),
        ({"sample_rate": "0.5"}, "sample_rate"),
        ({"disabled": "yes"}, "disabled"),
        ({"project": ""}, "project"),
        ({"endpoint": "not a url"}, "endpoint"),
        ({"max_value_bytes": 1.5}, "max_value_bytes"),
        ({"extra_scrub_patterns": ["("]}, "extra_scrub_patterns"),
        ({"extra_scrub_patterns": "token"}, "extra_scrub_patterns"),
        ({"redact": "not callable"}, "redact"),
        ({"retry_budget": -1}, "retry_budget"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_explicit_values_name_the_setting(explicit: dict[str, object], named: str) -> None:
    """A bad argument raises ConfigError whose message names the setting."""
    with pytest.raises(ConfigError, match=named):
        resolve({}, **explicit)


def test_explicit_value_overrides_an_invalid_env_value() -> None:
    """An env var that an explicit argument replaces is never parsed."""
    assert resolve({"CHAINSIGHT_SAMPLE_RATE": "bogus"}, sample_rate=0.5).sample_rate == 0.5


def test_resolve_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an explicit mapping, resolve() reads the process environment."""
    monkeypatch.setenv("CHAINSIGHT_PROJECT", "from-os")
    assert resolve().project == "from-os"


def test_replacing_capture_content_switches_inputs_and_outputs() -> None:
    """capture_inputs/outputs follow capture_content, even on a dataclasses.replace copy."""
    config = dataclasses.replace(resolve({"OPENINFERENCE_HIDE_INPUTS": "1"}), capture_content=False)
    assert (config.capture_inputs, config.capture_outputs) == (False, False)
