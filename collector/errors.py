"""The collector's exceptions and their one mapping to HTTP.

    CollectorError                 base; carries an HTTP status and a snake_case code
    ├── BadRequest            400  invalid_request: a query or body argument is invalid
    │   └── UndecodableBody   400  undecodable_body: OTLP body is not valid protobuf/JSON
    ├── Unauthorized          401  unauthorized: missing, unknown or revoked API key
    ├── Forbidden             403  forbidden: the key's project is not the one asked for
    ├── NotFound              404  not_found
    ├── PayloadTooLarge       413  payload_too_large: body over max_body_bytes (before or
    │                              after decompression)
    ├── UnsupportedMediaType  415  unsupported_media_type: content type or encoding
    ├── Unavailable           503  unavailable: transient; sent with Retry-After
    │   └── QueueFull         503  queue_full: the write queue is full (backpressure)
    └── ConfigurationError         startup refused (e.g. open mode on a public address);
                                   never raised during a request

Storage errors are mapped here too: ``InvalidQuery`` → 400, any other ``StorageError``
→ 503 (transient from the client's view; OTLP clients retry 503 but never 500).

One body shape for every error of the query API: ``{"error": {"code", "message"}}``.
The OTLP route (``/v1/traces``) instead answers a ``google.rpc.Status`` in the request's
content type, as the OTLP/HTTP specification requires for every 4xx/5xx.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from google.protobuf import json_format
from google.rpc import status_pb2
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from chainsight.storage import InvalidQuery, StorageError

log = logging.getLogger("chainsight.collector")

OTLP_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"

# google.rpc.Code numbers for the Status body (google/rpc/code.proto).
_GRPC_CODE = {400: 3, 401: 16, 403: 7, 404: 5, 413: 3, 415: 3, 422: 3, 503: 14}


class CollectorError(Exception):
    """Base of every error the collector answers deliberately."""

    status = 500
    code = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(CollectorError):
    status, code = 400, "invalid_request"


class UndecodableBody(BadRequest):
    code = "undecodable_body"


class Unauthorized(CollectorError):
    status, code = 401, "unauthorized"


class Forbidden(CollectorError):
    status, code = 403, "forbidden"


class NotFound(CollectorError):
    status, code = 404, "not_found"


class PayloadTooLarge(CollectorError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(CollectorError):
    status, code = 415, "unsupported_media_type"


class Unavailable(CollectorError):
    status, code = 503, "unavailable"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueueFull(Unavailable):
    code = "queue_full"


class ConfigurationError(Exception):
    """The collector refuses to start with these settings."""


def otlp_status_response(status: int, message: str, content_type: str) -> Response:
    """A ``google.rpc.Status`` body, protobuf unless the request was JSON."""
    body = status_pb2.Status(code=_GRPC_CODE.get(status, 2), message=message)
    if content_type == JSON:
        return Response(json_format.MessageToJson(body, indent=None), status, media_type=JSON)
    return Response(body.SerializeToString(), status, media_type=PROTOBUF)


def _request_content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def error_response(request: Request, status: int, code: str, message: str) -> Response:
    """Render one error in the shape the route's clients expect."""
    if request.url.path == OTLP_PATH:
        response = otlp_status_response(status, message, _request_content_type(request))
    else:
        response = JSONResponse({"error": {"code": code, "message": message}}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Map the exception tree (and FastAPI's own errors) to the one body shape."""

    async def on_collector_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, CollectorError):  # registered for CollectorError only
            raise exc
        response = error_response(request, exc.status, exc.code, exc.message)
        if isinstance(exc, Unavailable):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    async def on_storage_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, InvalidQuery):
            return error_response(request, 400, "invalid_query", str(exc))
        log.warning("storage failed during %s %s: %s", request.method, request.url.path, exc)
        response = error_response(request, 503, "storage_unavailable", f"storage failed: {exc}")
        response.headers["Retry-After"] = "1"
        return response

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, RequestValidationError):
            raise exc
        parts = [
            f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', '')}"
            for err in exc.errors()
        ]
        return error_response(request, 422, "invalid_request", "; ".join(parts))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):
            raise exc
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(request, exc.status_code, code, str(exc.detail))

    app.add_exception_handler(CollectorError, on_collector_error)
    app.add_exception_handler(StorageError, on_storage_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
