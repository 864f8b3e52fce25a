"""The alert API for the dashboard: ``AlertClient`` (the collector client plus the
``/api/v1/alerts`` calls) and cached ``fetch_*`` reads for the Alerts page and Overview.

Rows are the shared models of ``chainsight.storage.model`` (instances, transitions,
silences); rule listings, test results and series are plain dicts as the API returns them
(their models live in the collector, which the dashboard must not import).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st
from pydantic import TypeAdapter

from chainsight.storage.model import AlertInstance, AlertTransition, Silence

from .client import CollectorClient
from .data import LIVE_TTL_S, Connection

PREFIX = "/api/v1/alerts"

_INSTANCES = TypeAdapter(list[AlertInstance])
_TRANSITIONS = TypeAdapter(list[AlertTransition])
_SILENCES = TypeAdapter(list[Silence])


class AlertClient(CollectorClient):
    """``CollectorClient`` with the alerting routes (same errors, same transport)."""

    def alert_rules(self) -> list[dict[str, Any]]:
        """Rules in force with their source, spec and instance-state counts."""
        rules: list[dict[str, Any]] = self._get(f"{PREFIX}/rules")
        return rules

    def save_rule(self, spec: dict[str, Any], *, create: bool) -> dict[str, Any]:
        """Create (POST) or replace (PUT) an API rule; ApiError carries the located message."""
        if create:
            response = self._request("POST", f"{PREFIX}/rules", json=spec)
        else:
            response = self._request("PUT", f"{PREFIX}/rules/{spec['name']}", json=spec)
        saved: dict[str, Any] = response.json()
        return saved

    def delete_rule(self, name: str) -> None:
        self._request("DELETE", f"{PREFIX}/rules/{name}")

    def test_rule(self, name: str) -> dict[str, Any]:
        """Evaluate a stored rule now without saving or sending."""
        result: dict[str, Any] = self._request("POST", f"{PREFIX}/rules/{name}/test").json()
        return result

    def test_spec(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Evaluate an unsaved rule now (the editor's "test now")."""
        result: dict[str, Any] = self._request("POST", f"{PREFIX}/test", json=spec).json()
        return result

    def instances(self) -> list[AlertInstance]:
        return _INSTANCES.validate_python(self._get(f"{PREFIX}/instances"))

    def history(self, rule: str | None = None, limit: int = 500) -> list[AlertTransition]:
        params = {"limit": str(limit), **({"rule": rule} if rule else {})}
        return _TRANSITIONS.validate_python(self._get(f"{PREFIX}/history", params))

    def series(
        self, rule: str, start: datetime, end: datetime, bucket_seconds: int
    ) -> dict[str, Any]:
        params = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "bucket_seconds": str(bucket_seconds),
        }
        result: dict[str, Any] = self._get(f"{PREFIX}/rules/{rule}/series", params)
        return result

    def silences(self) -> list[Silence]:
        return _SILENCES.validate_python(self._get(f"{PREFIX}/silences"))

    def create_silence(
        self, matchers: list[dict[str, Any]], duration: str, comment: str | None
    ) -> Silence:
        body = {"matchers": matchers, "duration": duration, "comment": comment}
        return Silence.model_validate(self._request("POST", f"{PREFIX}/silences", json=body).json())

    def delete_silence(self, silence_id: str) -> None:
        self._request("DELETE", f"{PREFIX}/silences/{silence_id}")

    def channels(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._get(f"{PREFIX}/channels")
        return rows

    def alert_status(self) -> dict[str, Any]:
        status: dict[str, Any] = self._get(f"{PREFIX}/status")
        return status


def client(conn: Connection) -> AlertClient:
    """A client for writes (uncached); close it after use."""
    return AlertClient(conn.url, conn.api_key)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _rules(url: str, key: str | None) -> list[dict[str, Any]]:
    with AlertClient(url, key) as c:
        return c.alert_rules()


def fetch_rules(conn: Connection) -> list[dict[str, Any]]:
    """Rules in force."""
    return _rules(conn.url, conn.api_key)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _instances(url: str, key: str | None) -> list[AlertInstance]:
    with AlertClient(url, key) as c:
        return c.instances()


def fetch_instances(conn: Connection) -> list[AlertInstance]:
    """Every alert instance with its current state."""
    return _instances(conn.url, conn.api_key)


def fetch_firing(conn: Connection) -> list[AlertInstance]:
    """Instances firing right now (for Overview)."""
    return [i for i in fetch_instances(conn) if i.state == "firing"]


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _history(url: str, key: str | None, rule: str | None, limit: int) -> list[AlertTransition]:
    with AlertClient(url, key) as c:
        return c.history(rule, limit)


def fetch_history(
    conn: Connection, rule: str | None = None, limit: int = 500
) -> list[AlertTransition]:
    """Transitions, newest first."""
    return _history(conn.url, conn.api_key, rule, limit)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _series(  # noqa: PLR0917 - st.cache_data keys on positional plain values
    url: str, key: str | None, rule: str, start: str, end: str, bucket: int
) -> dict[str, Any]:
    with AlertClient(url, key) as c:
        return c.series(rule, datetime.fromisoformat(start), datetime.fromisoformat(end), bucket)


def fetch_series(
    conn: Connection, rule: str, start: datetime, end: datetime, bucket_seconds: int
) -> dict[str, Any]:
    """A rule's metric per bucket with its threshold."""
    return _series(conn.url, conn.api_key, rule, start.isoformat(), end.isoformat(), bucket_seconds)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _silences(url: str, key: str | None) -> list[Silence]:
    with AlertClient(url, key) as c:
        return c.silences()


def fetch_silences(conn: Connection) -> list[Silence]:
    """Every silence, expired ones too."""
    return _silences(conn.url, conn.api_key)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _channels(url: str, key: str | None) -> list[dict[str, Any]]:
    with AlertClient(url, key) as c:
        return c.channels()


def fetch_channels(conn: Connection) -> list[dict[str, Any]]:
    """Delivery health per channel."""
    return _channels(conn.url, conn.api_key)


def clear() -> None:
    """Forget cached alert reads after a write."""
    for fn in (_rules, _instances, _history, _series, _silences, _channels):
        fn.clear()
