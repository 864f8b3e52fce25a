"""SDK configuration: one frozen object resolved as explicit > CHAINSIGHT_* > OTEL_* > default.

``resolve(**explicit)`` is the only place that reads the environment; ``chainsight.init()``
calls it once and the runtime keeps the result, so no decorator ever reads ``os.environ``
on a call. Every setting and env var is listed in docs/configuration.md.

Precedence per setting (first one present wins):

* an explicit argument (``init(project=...)``; ``None`` means "not given");
* the ``CHAINSIGHT_*`` variable;
* the standard OpenTelemetry variable beneath it (``OTEL_EXPORTER_OTLP_*``, ``OTEL_SERVICE_NAME``,
  ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_SDK_DISABLED``) or a peer's content switch
  (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``, ``TRACELOOP_TRACE_CONTENT``,
  ``OPENINFERENCE_HIDE_INPUTS``/``OPENINFERENCE_HIDE_OUTPUTS``);
* the default on :class:`Config`.

An invalid value raises :class:`ConfigError` whose message names the setting and the source.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import unquote, urlsplit

from . import semconv

TRACES_PATH = "/v1/traces"
"""OTLP/HTTP signal path appended to a base endpoint (opentelemetry-proto specification.md)."""


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the setting."""


Redactor = Callable[[str, object], object]
"""User redaction hook: ``(attribute or parameter name, value) -> value to keep``."""


@dataclass(frozen=True, slots=True)
class Config:
    """Resolved SDK settings (see docs/configuration.md for each one and its env vars)."""

    project: str = "default"
    """Project the spans belong to (resource attribute ``chainsight.project``)."""
    endpoint: str = "http://127.0.0.1:4318"
    """Collector base URL; spans go to ``traces_endpoint``."""
    traces_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    """Full OTLP/HTTP traces URL (``endpoint`` + ``/v1/traces`` unless given whole)."""
    api_key: str | None = None
    """Sent as ``Authorization: Bearer <api_key>`` when set."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra HTTP headers for the export requests (``OTEL_EXPORTER_OTLP_HEADERS``)."""
    export_timeout: float = 10.0
    """Seconds one export request may take (``OTEL_EXPORTER_OTLP_TIMEOUT``, in seconds)."""
    service_name: str = "unknown_service"
    """Resource ``service.name``."""
    resource_attributes: tuple[tuple[str, str], ...] = ()
    """Extra resource attributes (``OTEL_RESOURCE_ATTRIBUTES``)."""
    disabled: bool = False
    """When true every decorator is a pass-through and nothing is exported."""
    capture_content: bool = True
    """Master switch for recording inputs/outputs/messages as attributes."""
    hide_inputs: bool = False
    """Inputs hidden by ``OPENINFERENCE_HIDE_INPUTS`` (outputs may still be captured)."""
    hide_outputs: bool = False
    """Outputs hidden by ``OPENINFERENCE_HIDE_OUTPUTS``."""
    sample_rate: float = 1.0
    """Fraction of new traces kept (parent-based trace-id ratio sampler), 0.0 to 1.0."""
    max_value_bytes: int = 16384
    """Cap on each captured value after JSON encoding; longer values are truncated visibly."""
    scrub: bool = True
    """Scrub secrets from captured values by key and value patterns (REFERENCE.md §7)."""
    extra_scrub_patterns: tuple[str, ...] = ()
    """Extra regular expressions scrubbed in addition to the defaults."""
    redact: Redactor | None = None
    """User hook run on every captured value before it leaves the process."""
    max_queue_size: int = 2048
    """Spans held in memory awaiting export; beyond it new spans are dropped and counted."""
    max_export_batch_size: int = 512
    """Spans per export request."""
    schedule_delay: float = 1.0
    """Seconds the exporter waits to fill a batch before sending a partial one."""
    retry_budget: float = 30.0
    """Seconds one batch may spend in retries (backoff, Retry-After) before it is dropped."""

    # Derived, so ``dataclasses.replace(config, capture_content=False)`` cannot leave them on.
    @property
    def capture_inputs(self) -> bool:
        """Record inputs: content capture on and inputs not hidden."""
        return self.capture_content and not self.hide_inputs

    @property
    def capture_outputs(self) -> bool:
        """Record outputs: content capture on and outputs not hidden."""
        return self.capture_content and not self.hide_outputs


_DEFAULT = Config()

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _parse_bool(name: str, raw: str) -> bool:
    v = raw.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def _parse_float(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name}={raw!r} is not a finite number")
    return value


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None


def _parse_pairs(name: str, raw: str) -> tuple[tuple[str, str], ...]:
    """``k=v,k2=v2`` with percent-encoded values (W3C Baggage-style, as OTel specifies)."""
    pairs: list[tuple[str, str]] = []
    for item in raw.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{name}: {item.strip()!r} is not a key=value pair")
        pairs.append((unquote(key.strip()), unquote(value.strip())))
    return tuple(pairs)


def _check_url(name: str, url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}={url!r} is not an http(s) URL")
    return url.strip().rstrip("/")


def _traces_url(base: str) -> str:
    return base if base.endswith(TRACES_PATH) else base + TRACES_PATH


def _base_url(traces_url: str) -> str:
    return traces_url[: -len(TRACES_PATH)] if traces_url.endswith(TRACES_PATH) else traces_url


class _Sources:
    """Looks a setting up in the explicit arguments, then in the environment."""

    def __init__(self, explicit: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.explicit = {k: v for k, v in explicit.items() if v is not None}
        self.environ = environ

    def env(self, *names: str) -> tuple[str, str] | None:
        """First env var among ``names`` that is set and non-blank, as (name, raw)."""
        for name in names:
            raw = self.environ.get(name)
            if raw is not None and raw.strip():
                return name, raw
        return None


def _explicit_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name}={value!r} must be a bool")
    return value


def _explicit_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{name}={value!r} must be a finite number")
    return float(value)


def _explicit_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name}={value!r} must be an int")
    return value


def _explicit_str(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name}={value!r} must be a non-empty string")
    return value.strip()


def _number(src: _Sources, key: str, env: str | None, default: float) -> tuple[str, float]:
    if key in src.explicit:
        return key, _explicit_number(key, src.explicit[key])
    hit = src.env(env) if env else None
    if hit is not None:
        return hit[0], _parse_float(*hit)
    return key, default


def _integer(src: _Sources, key: str, env: str | None, default: int) -> tuple[str, int]:
    if key in src.explicit:
        return key, _explicit_int(key, src.explicit[key])
    hit = src.env(env) if env else None
    if hit is not None:
        return hit[0], _parse_int(*hit)
    return key, default


def _endpoints(src: _Sources) -> tuple[str, str]:
    if "endpoint" in src.explicit:
        base = _check_url("endpoint", _explicit_str("endpoint", src.explicit["endpoint"]))
        return _base_url(base), _traces_url(base)
    hit = src.env("CHAINSIGHT_ENDPOINT")
    if hit is not None:
        base = _check_url(*hit)
        return _base_url(base), _traces_url(base)
    hit = src.env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if hit is not None:
        # Per the OTel exporter spec the signal-specific URL is used as is.
        url = _check_url(*hit)
        return _base_url(url), url
    hit = src.env("OTEL_EXPORTER_OTLP_ENDPOINT")
    if hit is not None:
        base = _check_url(*hit)
        return _base_url(base), _traces_url(base)
    return _DEFAULT.endpoint, _DEFAULT.traces_endpoint


def _capture(src: _Sources) -> tuple[bool, bool, bool]:
    """(capture_content, hide_inputs, hide_outputs); the peer switches sit beneath ours."""
    if "capture_content" in src.explicit:
        return _explicit_bool("capture_content", src.explicit["capture_content"]), False, False
    hit = src.env("CHAINSIGHT_CAPTURE_CONTENT")
    if hit is not None:
        return _parse_bool(*hit), False, False
    on = _DEFAULT.capture_content
    hit = src.env("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "TRACELOOP_TRACE_CONTENT")
    if hit is not None:
        on = _parse_bool(*hit)
    hide_in = src.env("OPENINFERENCE_HIDE_INPUTS")
    hide_out = src.env("OPENINFERENCE_HIDE_OUTPUTS")
    hide_inputs = hide_in is not None and _parse_bool(*hide_in)
    hide_outputs = hide_out is not None and _parse_bool(*hide_out)
    return on, hide_inputs, hide_outputs


def _service_and_project(
    src: _Sources, resource: tuple[tuple[str, str], ...]
) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    attrs = dict(resource)
    if "service_name" in src.explicit:
        service = _explicit_str("service_name", src.explicit["service_name"])
    else:
        hit = src.env("OTEL_SERVICE_NAME")
        service = hit[1].strip() if hit else attrs.get(semconv.SERVICE_NAME, _DEFAULT.service_name)
    if "project" in src.explicit:
        project = _explicit_str("project", src.explicit["project"])
    else:
        hit = src.env("CHAINSIGHT_PROJECT")
        from_resource = next((attrs[k] for k in semconv.PROJECT_ALIASES if k in attrs), None)
        project = hit[1].strip() if hit else (from_resource or _DEFAULT.project)
    rest = tuple(
        (k, v)
        for k, v in resource
        if k != semconv.SERVICE_NAME and k not in semconv.PROJECT_ALIASES
    )
    return service, project, rest


def _disabled(src: _Sources) -> bool:
    if "disabled" in src.explicit:
        return _explicit_bool("disabled", src.explicit["disabled"])
    hit = src.env("CHAINSIGHT_DISABLED", "OTEL_SDK_DISABLED")
    return _parse_bool(*hit) if hit else _DEFAULT.disabled


def _patterns(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, tuple | list):
        raise ConfigError(f"extra_scrub_patterns={value!r} must be a list of regex strings")
    out: list[str] = []
    for pattern in value:
        if not isinstance(pattern, str):
            raise ConfigError(f"extra_scrub_patterns: {pattern!r} is not a string")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"extra_scrub_patterns: {pattern!r} is not a regex: {exc}") from None
        out.append(pattern)
    return tuple(out)


_DERIVED = frozenset({"traces_endpoint", "hide_inputs", "hide_outputs"})
_KEYS = frozenset(f.name for f in fields(Config)) - _DERIVED


def resolve(environ: Mapping[str, str] | None = None, **explicit: Any) -> Config:
    """Build the :class:`Config` from explicit values, then the environment, then defaults.

    ``environ`` defaults to ``os.environ`` (tests pass a dict). Raises :class:`ConfigError`
    naming the setting when a value is invalid or an argument is unknown.

    >>> resolve({"CHAINSIGHT_PROJECT": "bot"}, sample_rate=0.5).project
    'bot'
    """
    unknown = sorted(set(explicit) - _KEYS)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    src = _Sources(explicit, os.environ if environ is None else environ)

    endpoint, traces_endpoint = _endpoints(src)
    hit = src.env("OTEL_RESOURCE_ATTRIBUTES")
    resource = _parse_pairs(*hit) if hit else ()
    service, project, resource = _service_and_project(src, resource)

    if "api_key" in src.explicit:
        api_key: str | None = _explicit_str("api_key", src.explicit["api_key"])
    else:
        hit = src.env("CHAINSIGHT_API_KEY")
        api_key = hit[1].strip() if hit else None
    if "headers" in src.explicit:
        value = src.explicit["headers"]
        if not isinstance(value, Mapping):
            raise ConfigError(f"headers={value!r} must be a mapping of header name to value")
        headers = tuple((str(k), str(v)) for k, v in value.items())
    else:
        hit = src.env("OTEL_EXPORTER_OTLP_HEADERS")
        headers = _parse_pairs(*hit) if hit else ()

    name, export_timeout = _number(src, "export_timeout", "OTEL_EXPORTER_OTLP_TIMEOUT", 10.0)
    if export_timeout <= 0:
        raise ConfigError(f"{name}={export_timeout!r} must be > 0 seconds")
    name, sample_rate = _number(src, "sample_rate", "CHAINSIGHT_SAMPLE_RATE", 1.0)
    if not 0.0 <= sample_rate <= 1.0:
        raise ConfigError(f"{name}={sample_rate!r} must be between 0.0 and 1.0")
    name, max_value_bytes = _integer(src, "max_value_bytes", "CHAINSIGHT_MAX_VALUE_BYTES", 16384)
    if max_value_bytes < 64:
        raise ConfigError(f"{name}={max_value_bytes!r} must be at least 64 bytes")
    name, max_queue = _integer(src, "max_queue_size", "CHAINSIGHT_MAX_QUEUE_SIZE", 2048)
    if max_queue < 1:
        raise ConfigError(f"{name}={max_queue!r} must be at least 1")
    name, batch = _integer(src, "max_export_batch_size", None, 512)
    if batch < 1:
        raise ConfigError(f"{name}={batch!r} must be at least 1")
    name, delay = _number(src, "schedule_delay", None, 1.0)
    if delay <= 0:
        raise ConfigError(f"{name}={delay!r} must be > 0 seconds")
    name, budget = _number(src, "retry_budget", None, 30.0)
    if budget < 0:
        raise ConfigError(f"{name}={budget!r} must be >= 0 seconds")

    capture, hide_inputs, hide_outputs = _capture(src)
    scrub = _explicit_bool("scrub", src.explicit["scrub"]) if "scrub" in src.explicit else True
    patterns = _patterns(src.explicit.get("extra_scrub_patterns", ()))
    redact = src.explicit.get("redact")
    if redact is not None and not callable(redact):
        raise ConfigError(f"redact={redact!r} must be a callable (name, value) -> value")

    return Config(
        project=project,
        endpoint=endpoint,
        traces_endpoint=traces_endpoint,
        api_key=api_key,
        headers=headers,
        export_timeout=export_timeout,
        service_name=service,
        resource_attributes=resource,
        disabled=_disabled(src),
        capture_content=capture,
        hide_inputs=hide_inputs,
        hide_outputs=hide_outputs,
        sample_rate=sample_rate,
        max_value_bytes=max_value_bytes,
        scrub=scrub,
        extra_scrub_patterns=patterns,
        redact=redact,
        max_queue_size=max_queue,
        max_export_batch_size=min(batch, max_queue),
        schedule_delay=delay,
        retry_budget=budget,
    )
