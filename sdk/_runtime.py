"""Process-wide SDK state: the resolved configuration and the tracer spans are made with.

The decorator side reads ``RUNTIME`` on every call (``RUNTIME.disabled`` first, so the
disabled path is one attribute load); ``chainsight.init()`` replaces its fields.
Before ``init()`` the SDK uses OTel's global tracer provider and env-derived config.

INTERFACE (stable; the export/config side fills in the details):
    RUNTIME.disabled: bool
    RUNTIME.config: Config            (see chainsight.config)
    RUNTIME.tracer: opentelemetry.trace.Tracer
    RUNTIME.record_internal_error(exc) -> None   logs once per error type; re-raises under tests
    RUNTIME.configure(config, tracer) -> None    what init() calls
    RUNTIME.reset() -> None                      back to the lazy, env-derived state

Nothing is read at import: the first access to ``disabled``/``config``/``tracer`` resolves the
environment once (through ``__getattr__``, which Python only calls while a slot is unset), and
every later access is a plain slot load, so the per-call cost is one attribute read.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from opentelemetry import trace

from .config import Config, ConfigError, resolve

_logger = logging.getLogger("chainsight")

INSTRUMENTATION_NAME = "chainsight"

_LAZY = ("config", "disabled", "tracer")


class Runtime:
    """Mutable holder of the SDK's state; one instance, ``RUNTIME``."""

    __slots__ = ("_lock", "_logged", "config", "disabled", "raise_internal_errors", "tracer")

    config: Config
    disabled: bool
    tracer: trace.Tracer

    def __init__(self) -> None:
        self.raise_internal_errors = False
        self._logged: set[type[BaseException]] = set()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        """Resolve the env-derived defaults on first use (only reached while a slot is unset)."""
        if name not in _LAZY:
            raise AttributeError(name)
        with self._lock:
            try:
                return object.__getattribute__(self, name)
            except AttributeError:
                pass
            try:
                config = resolve()
            except ConfigError as exc:
                # Without init() there is no caller to raise to; a bad env var must not break
                # the app's first decorated call. init() raises the same error to its caller.
                _logger.error("chainsight: invalid configuration, using defaults: %s", exc)
                config = Config()
            self._set(config, trace.get_tracer(INSTRUMENTATION_NAME))
            return object.__getattribute__(self, name)

    def _set(self, config: Config, tracer: trace.Tracer) -> None:
        self.config = config
        self.tracer = tracer
        self.disabled = config.disabled

    def configure(self, config: Config, tracer: trace.Tracer) -> None:
        """Install what ``init()`` resolved; later reads are plain slot loads."""
        with self._lock:
            self._set(config, tracer)

    def reset(self) -> None:
        """Forget init(): the next access re-resolves from the environment."""
        with self._lock:
            for name in _LAZY:
                with contextlib.suppress(AttributeError):
                    object.__delattr__(self, name)

    def record_internal_error(self, exc: Exception) -> None:
        """Chainsight's own failure: log once per type, never disturb the app (tests re-raise)."""
        if self.raise_internal_errors:
            raise exc
        if type(exc) not in self._logged:
            self._logged.add(type(exc))
            _logger.warning("chainsight internal error (degrading to no-op): %r", exc)


RUNTIME = Runtime()
