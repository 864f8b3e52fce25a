"""Process-wide SDK state: the resolved configuration and the tracer spans are made with.

The decorator side reads ``RUNTIME`` on every call (``RUNTIME.disabled`` first, so the
disabled path is one attribute load); ``chainsight.init()`` replaces its fields.
Before ``init()`` the SDK uses OTel's global tracer provider and env-derived config.

INTERFACE (stable; the export/config side fills in the details):
    RUNTIME.disabled: bool
    RUNTIME.config: Config            (see chainsight.config)
    RUNTIME.tracer: opentelemetry.trace.Tracer
    RUNTIME.record_internal_error(exc) -> None   logs once per error type; re-raises under tests
"""

from __future__ import annotations

import logging

from opentelemetry import trace

from .config import Config, resolve

_logger = logging.getLogger("chainsight")

INSTRUMENTATION_NAME = "chainsight"


class Runtime:
    """Mutable holder of the SDK's state; one instance, ``RUNTIME``."""

    __slots__ = ("_logged", "config", "disabled", "raise_internal_errors", "tracer")

    def __init__(self) -> None:
        self.config: Config = resolve()
        self.disabled: bool = self.config.disabled
        self.tracer: trace.Tracer = trace.get_tracer(INSTRUMENTATION_NAME)
        self.raise_internal_errors = False
        self._logged: set[type[BaseException]] = set()

    def record_internal_error(self, exc: Exception) -> None:
        """Chainsight's own failure: log once per type, never disturb the app (tests re-raise)."""
        if self.raise_internal_errors:
            raise exc
        if type(exc) not in self._logged:
            self._logged.add(type(exc))
            _logger.warning("chainsight internal error (degrading to no-op): %r", exc)


RUNTIME = Runtime()
