"""The drift routes for the dashboard: a client subclass and cached reads (``data.py``'s
pattern: plain-value cache keys, short TTLs, writes clear what they invalidate).

    with DriftClient("http://127.0.0.1:4318") as client:
        report = client.drift(DriftRequest(current_start=t1, current_end=t2))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import streamlit as st
from pydantic import TypeAdapter

from chainsight.storage.model import DriftPoint, DriftReport, ReferencePeriod, TraceFilter

from .client import CollectorClient, filter_params
from .data import LIVE_TTL_S, Connection

PREFIX = "/api/v1/drift"
REPORT_TIMEOUT_S = 30.0
"""A report samples two windows and vectorizes text: ~1 s at 1M spans, with margin."""

_POINTS = TypeAdapter(list[DriftPoint])
_PERIODS = TypeAdapter(list[ReferencePeriod])


@dataclass(frozen=True)
class DriftRequest:
    """What the page asks: the current window, the baseline and the filter (plain values)."""

    current_start: datetime
    current_end: datetime
    baseline: str | None = None  # "previous", a reference name, or None with a fixed range
    baseline_start: datetime | None = None
    baseline_end: datetime | None = None
    project: str | None = None
    model: str | None = None
    name: str | None = None

    def params(self) -> dict[str, str]:
        """The query string of ``GET /api/v1/drift``."""
        flt = TraceFilter(project=self.project, model=self.model, name=self.name)
        params = filter_params(flt)
        params["current_start"] = self.current_start.isoformat()
        params["current_end"] = self.current_end.isoformat()
        if self.baseline_start is not None and self.baseline_end is not None:
            params["baseline_start"] = self.baseline_start.isoformat()
            params["baseline_end"] = self.baseline_end.isoformat()
        elif self.baseline:
            params["baseline"] = self.baseline
        return params


class DriftClient(CollectorClient):
    """``CollectorClient`` with the drift routes (same errors, same transport)."""

    def drift(self, request: DriftRequest) -> DriftReport:
        """A report: per-feature statistic, score, threshold, verdict, sample sizes."""
        return DriftReport.model_validate(self._get(PREFIX, request.params()))

    def drift_series(  # noqa: PLR0917 - mirrors the route's parameters
        self,
        feature: str,
        start: datetime,
        end: datetime,
        window_seconds: int,
        project: str | None = None,
        baseline: str | None = None,
    ) -> list[DriftPoint]:
        """One feature's score over rolling windows."""
        params = filter_params(TraceFilter(project=project, start=start, end=end))
        params |= {"feature": feature, "window_seconds": str(window_seconds)}
        if baseline:
            params["baseline"] = baseline
        return _POINTS.validate_python(self._get(f"{PREFIX}/series", params))

    def references(self, project: str | None = None) -> list[ReferencePeriod]:
        """Saved reference periods."""
        params = {"project": project} if project else None
        return _PERIODS.validate_python(self._get(f"{PREFIX}/references", params))

    def save_reference(self, period: ReferencePeriod) -> ReferencePeriod:
        """Create or replace a named period."""
        body = self._request(
            "POST", f"{PREFIX}/references", json=period.model_dump(mode="json")
        ).json()
        return ReferencePeriod.model_validate(body)

    def delete_reference(self, name: str, project: str | None = None) -> None:
        """Forget a named period."""
        params = {"project": project} if project else None
        self._request("DELETE", f"{PREFIX}/references/{name}", params=params)


def _client(url: str, key: str | None) -> DriftClient:
    return DriftClient(url, key, timeout=REPORT_TIMEOUT_S)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _report(url: str, key: str | None, request: tuple[Any, ...]) -> DriftReport:
    with _client(url, key) as client:
        return client.drift(DriftRequest(*request))


def fetch_report(conn: Connection, request: DriftRequest) -> DriftReport:
    """The drift report for a request (cached for a few seconds)."""
    return _report(conn.url, conn.api_key, tuple(asdict(request).values()))


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _series(  # noqa: PLR0917 - st.cache_data keys on positional plain values
    url: str,
    key: str | None,
    feature: str,
    start: str,
    end: str,
    window_seconds: int,
    project: str | None,
) -> list[DriftPoint]:
    with _client(url, key) as client:
        return client.drift_series(
            feature,
            datetime.fromisoformat(start),
            datetime.fromisoformat(end),
            window_seconds,
            project,
        )


def fetch_series(  # noqa: PLR0917 - plain values, as the cache needs
    conn: Connection,
    feature: str,
    start: datetime,
    end: datetime,
    window_seconds: int,
    project: str | None,
) -> list[DriftPoint]:
    """A feature's rolling score, each window against the one before it."""
    return _series(
        conn.url, conn.api_key, feature, start.isoformat(), end.isoformat(), window_seconds, project
    )


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _references(url: str, key: str | None, project: str | None) -> list[ReferencePeriod]:
    with _client(url, key) as client:
        return client.references(project)


def fetch_references(conn: Connection, project: str | None) -> list[ReferencePeriod]:
    """Saved reference periods visible to the key."""
    return _references(conn.url, conn.api_key, project)


def save_reference(conn: Connection, period: ReferencePeriod) -> ReferencePeriod:
    """Save a period and forget the cached list."""
    with _client(conn.url, conn.api_key) as client:
        saved = client.save_reference(period)
    _references.clear()
    return saved


def delete_reference(conn: Connection, name: str, project: str | None) -> None:
    """Delete a period and forget the cached list."""
    with _client(conn.url, conn.api_key) as client:
        client.delete_reference(name, project)
    _references.clear()
