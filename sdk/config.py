"""SDK configuration: one frozen object resolved as explicit > CHAINSIGHT_* > OTEL_* > default."""

from __future__ import annotations

import os
from dataclasses import dataclass


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the setting."""


@dataclass(frozen=True, slots=True)
class Config:
    """Resolved SDK settings (see docs/configuration.md)."""

    project: str = "default"
    endpoint: str = "http://127.0.0.1:4318"
    api_key: str | None = None
    service_name: str = "unknown_service"
    disabled: bool = False
    capture_content: bool = True
    sample_rate: float = 1.0
    max_value_bytes: int = 16384


def _bool(name: str, raw: str) -> bool:
    v = raw.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true/false)")


def resolve() -> Config:
    """Resolve from the environment (placeholder; the full precedence lives here)."""
    env = os.environ
    return Config(
        disabled=_bool("CHAINSIGHT_DISABLED", env.get("CHAINSIGHT_DISABLED", "false")),
    )
