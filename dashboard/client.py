"""A typed HTTP client for the collector's query API.

The dashboard reads *only* through this client (never the DuckDB file, never the
collector's internals), and every response is parsed into the shared row types of
``chainsight.storage.model`` so pages and charts work on typed rows.

Exceptions (one small tree, so a page can show one clear message)::

    CollectorError                 base: anything the collector could not answer
    ├── CollectorUnreachable       connection refused, DNS failure, timeout
    ├── AuthError                  401/403: missing, wrong or revoked API key
    ├── NotFound                   404 with {"error": {"code": "not_found"}}
    └── ApiError                   any other error status (carries code and message)

Example::

    with CollectorClient("http://127.0.0.1:4318") as client:
        page = client.traces(TraceFilter(status="error"), limit=20)
"""

from __future__ import annotations

import functools
import ssl
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import BaseModel, TypeAdapter

from chainsight.storage.model import (
    ApiKeyInfo,
    MetricPoint,
    MetricQuery,
    PriceEntry,
    SessionSummary,
    TraceFilter,
    TracePage,
    TraceSort,
    TraceTree,
    UnpricedModel,
    UserSummary,
)

COLLECTOR_URL_ENV = "CHAINSIGHT_COLLECTOR_URL"
"""Where the dashboard finds the collector's query API."""
API_KEY_ENV = "CHAINSIGHT_API_KEY"
"""The project API key the dashboard sends (unset when the collector runs open)."""
DEFAULT_COLLECTOR_URL = "http://127.0.0.1:4318"
DEFAULT_TIMEOUT_S = 10.0
"""Long enough for a metric series at 10M spans (target < 0.5 s) with a wide margin."""


class CollectorError(Exception):
    """The collector could not answer a request."""


class CollectorUnreachable(CollectorError):
    """No HTTP answer at all: the collector is down, the address is wrong, or it timed out."""


class AuthError(CollectorError):
    """The collector refused the API key (missing, wrong or revoked)."""


class NotFound(CollectorError):
    """The requested object (trace, session, price, key) does not exist."""


class ApiError(CollectorError):
    """The collector answered with an error body other than auth or not-found."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class CollectorStatus(BaseModel):
    """What ``GET /api/v1/status`` reports: whether auth is on and how much is stored."""

    auth: bool
    version: str
    spans: int


class NewKey(BaseModel):
    """A freshly created key: the secret is shown exactly once."""

    key: str
    info: ApiKeyInfo


_PRICES = TypeAdapter(list[PriceEntry])
_UNPRICED = TypeAdapter(list[UnpricedModel])
_KEYS = TypeAdapter(list[ApiKeyInfo])
_SESSIONS = TypeAdapter(list[SessionSummary])
_USERS = TypeAdapter(list[UserSummary])
_METRICS = TypeAdapter(list[MetricPoint])
_STRINGS = TypeAdapter(list[str])


def _iso(value: datetime) -> str:
    return value.isoformat()


def filter_params(flt: TraceFilter, *, include_window: bool = True) -> dict[str, str]:
    """The query-string form of a filter (the API's common trace filter params)."""
    params: dict[str, str] = {}
    for name, value in flt.model_dump(exclude_none=True).items():
        if name in ("start", "end") and not include_window:
            continue
        params[name] = _iso(value) if isinstance(value, datetime) else str(value)
    return params


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once per process.

    httpx builds a new one for every ``Client`` (loading the CA bundle, whatever the URL's
    scheme): 25-40 ms each on this machine, paid by every uncached API call of the dashboard,
    which opens one client per call. A context is safe to share between threads.
    """
    return httpx.create_ssl_context()


class CollectorClient:
    """A thin synchronous client; one instance per page run is cheap (one pooled connection,
    the process's one SSL context)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=timeout,
            transport=transport,
            verify=ssl_context(),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    # -- transport ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        try:
            response = self._http.request(method, path, params=params, json=json)
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise CollectorUnreachable(
                f"cannot reach the collector at {self.base_url}: {exc}"
            ) from exc
        if response.is_success:
            return response
        code, message = _error_body(response)
        if response.status_code in (401, 403):
            raise AuthError(message or "the collector refused the API key")
        if response.status_code == 404:
            raise NotFound(message or f"{path} not found")
        raise ApiError(response.status_code, code, message)

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self._request("GET", path, params=params).json()

    # -- service -----------------------------------------------------------------------------

    def healthz(self) -> dict[str, Any]:
        """``GET /healthz``: raises CollectorUnreachable when the collector is down."""
        body: dict[str, Any] = self._get("/healthz")
        return body

    def status(self) -> CollectorStatus:
        """Whether auth is on and how many spans are stored (drives empty states)."""
        return CollectorStatus.model_validate(self._get("/api/v1/status"))

    def projects(self) -> list[str]:
        """Projects having spans that the caller can see."""
        return _STRINGS.validate_python(self._get("/api/v1/projects"))

    # -- traces ------------------------------------------------------------------------------

    def traces(
        self,
        flt: TraceFilter | None = None,
        *,
        sort: TraceSort = "start_desc",
        limit: int = 50,
        cursor: str | None = None,
    ) -> TracePage:
        """One page of trace summaries; pass ``next_cursor`` back for the next page."""
        params = filter_params(flt or TraceFilter())
        params["sort"] = sort
        params["limit"] = str(limit)
        if cursor:
            params["cursor"] = cursor
        return TracePage.model_validate(self._get("/api/v1/traces", params))

    def trace(self, trace_id: str) -> TraceTree:
        """One trace's spans in depth-first order; NotFound when unknown."""
        return TraceTree.model_validate(self._get(f"/api/v1/traces/{trace_id}"))

    def sessions(
        self, flt: TraceFilter | None = None, *, limit: int = 50, offset: int = 0
    ) -> list[SessionSummary]:
        """Sessions in the filter, most recent first."""
        params = filter_params(flt or TraceFilter())
        params |= {"limit": str(limit), "offset": str(offset)}
        return _SESSIONS.validate_python(self._get("/api/v1/sessions", params))

    def session(self, session_id: str) -> TracePage:
        """One session's traces in start order."""
        return TracePage.model_validate(self._get(f"/api/v1/sessions/{session_id}"))

    def users(
        self, flt: TraceFilter | None = None, *, limit: int = 50, offset: int = 0
    ) -> list[UserSummary]:
        """End-users active in the filter."""
        params = filter_params(flt or TraceFilter())
        params |= {"limit": str(limit), "offset": str(offset)}
        return _USERS.validate_python(self._get("/api/v1/users", params))

    def metrics(self, query: MetricQuery) -> list[MetricPoint]:
        """Aggregates per (bucket, group); the server computes exact percentiles."""
        params = filter_params(query.filter, include_window=False)
        params["start"] = _iso(query.start)
        params["end"] = _iso(query.end)
        if query.bucket_seconds is not None:
            params["bucket_seconds"] = str(query.bucket_seconds)
        if query.group_by is not None:
            params["group_by"] = query.group_by
        if query.kind is not None:
            params["span_kind"] = query.kind
        return _METRICS.validate_json(
            self._request("GET", "/api/v1/metrics", params=params).content
        )

    # -- pricing -----------------------------------------------------------------------------

    def pricing(self) -> list[PriceEntry]:
        """The pricing table in force."""
        return _PRICES.validate_python(self._get("/api/v1/pricing"))

    def put_price(self, entry: PriceEntry) -> PriceEntry:
        """Create or replace one pricing row."""
        body = self._request(
            "PUT", f"/api/v1/pricing/{entry.id}", json=entry.model_dump(mode="json")
        ).json()
        return PriceEntry.model_validate(body)

    def delete_price(self, price_id: str) -> None:
        """Remove one pricing row."""
        self._request("DELETE", f"/api/v1/pricing/{price_id}")

    def unpriced(self) -> list[UnpricedModel]:
        """Models seen on spans without a price."""
        return _UNPRICED.validate_python(self._get("/api/v1/pricing/unpriced"))

    def reprice(self, flt: TraceFilter | None = None) -> int:
        """Recompute stored costs with the current table; returns spans updated."""
        response = self._request(
            "POST", "/api/v1/pricing/reprice", params=filter_params(flt or TraceFilter())
        )
        return int(response.json().get("updated", 0))

    # -- keys --------------------------------------------------------------------------------

    def keys(self) -> list[ApiKeyInfo]:
        """API keys (masked)."""
        return _KEYS.validate_python(self._get("/api/v1/keys"))

    def create_key(self, project: str, name: str | None = None) -> NewKey:
        """A new key for ``project``; the secret is in the result only."""
        body = self._request("POST", "/api/v1/keys", json={"project": project, "name": name})
        return NewKey.model_validate(body.json())

    def revoke_key(self, key_id: str) -> None:
        """Revoke a key; requests using it fail with AuthError from then on."""
        self._request("DELETE", f"/api/v1/keys/{key_id}")


def _error_body(response: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` from the API's one error shape, tolerating non-JSON bodies."""
    try:
        body = response.json()
    except ValueError:
        return "http_error", response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("code", "http_error")), str(error.get("message", ""))
        detail = body.get("detail")
        if detail is not None:
            return "http_error", str(detail)
    return "http_error", response.reason_phrase
