"""The collector's one typed configuration object.

Built once at the entry point (``chainsight serve`` or a test) and passed down to
``create_app``; nothing reads the environment anywhere else. Every field can be set by
an environment variable named ``CHAINSIGHT_<FIELD>`` (e.g. ``CHAINSIGHT_DATA_DIR``) and,
for ``serve``, by a command-line flag; explicit values win over the environment.

>>> Settings(port=4319).store_url_resolved.startswith("duckdb:///")
True
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024

LogLevel = Literal["critical", "error", "warning", "info", "debug"]


class Settings(BaseSettings):
    """Collector settings (env prefix ``CHAINSIGHT_``)."""

    model_config = SettingsConfigDict(env_prefix="CHAINSIGHT_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    """Address to bind. Anything but loopback requires API keys (or ``allow_open_remote``)."""
    port: int = Field(default=4318, ge=0, le=65535)
    """TCP port; 4318 is the OTLP/HTTP default."""
    data_dir: Path = Path("chainsight-data")
    """Folder holding the DuckDB file (``chainsight.duckdb``)."""
    store_url: str | None = None
    """Store URL; default ``duckdb:///<data_dir>/chainsight.duckdb``."""

    max_body_bytes: int = Field(default=64 * MIB, gt=0)
    """Largest OTLP request body, before and after decompression (OTLP recommends 64 MiB)."""
    queue_max_spans: int = Field(default=200_000, gt=0)
    """Spans accepted but not yet committed; beyond this, ingest answers 503 + Retry-After."""
    batch_max_spans: int = Field(default=50_000, gt=0)
    """Most spans the writer commits in one transaction (many requests share it)."""
    batch_linger_ms: float = Field(default=0.0, ge=0)
    """How long the writer waits for more requests before committing a non-full batch."""
    retry_after_seconds: int = Field(default=1, ge=1)
    """``Retry-After`` sent with 503 when the queue is full or storage fails."""

    decode_workers: int = Field(default=0, ge=0, le=64)
    """Processes that decompress, decode, price and build Arrow tables; 0 decodes in a thread."""

    retention_days: float | None = Field(default=None, gt=0)
    """Delete traces older than this many days; unset keeps everything."""
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    """How often the retention task runs."""

    pricing_file: Path | None = None
    """JSON file of price entries loaded over the shipped defaults at startup."""
    allow_open_remote: bool = False
    """Allow binding a non-loopback address without any API key (unsafe; off by default)."""

    max_spans_per_request: int = Field(default=100_000, gt=0)
    """Spans in one OTLP request; more refuses the body (400): send smaller batches."""
    max_attributes: int = Field(default=1024, gt=0)
    """Attributes kept per span (first N); the excess is counted, not stored."""
    max_attribute_bytes: int = Field(default=1024 * 1024, gt=0)
    """UTF-8 bytes kept of one attribute value; longer values are truncated with a marker."""
    max_attribute_depth: int = Field(default=8, gt=0)
    """Nesting levels of array/kvlist attribute values kept; deeper becomes a marker."""

    log_level: LogLevel = "info"
    """Log level of the collector and uvicorn."""

    alert_rules: Path | None = None
    """YAML file of alert rules and channels, re-read when it changes (docs/alerting.md)."""
    alert_interval: float = Field(default=15.0, ge=0)
    """Seconds between alert evaluations; 0 evaluates only on demand (API/CLI)."""
    alert_timeout: float = Field(default=10.0, gt=0)
    """Time budget of one alert evaluation; a rule still querying after it is an error."""
    dashboard_url: str | None = None
    """Dashboard base URL used in alert links (e.g. ``http://127.0.0.1:8501``)."""

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.batch_max_spans > self.queue_max_spans:
            raise ValueError("batch_max_spans must not exceed queue_max_spans")
        return self

    @property
    def store_url_resolved(self) -> str:
        """The store URL, derived from ``data_dir`` unless given."""
        if self.store_url:
            return self.store_url
        return f"duckdb:///{(self.data_dir / 'chainsight.duckdb').resolve()}"

    @property
    def is_loopback(self) -> bool:
        """Whether ``host`` only accepts connections from this machine."""
        return host_is_loopback(self.host)


def host_is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; False for 0.0.0.0, names and others."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
