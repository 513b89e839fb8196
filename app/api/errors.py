"""The one place domain exceptions become HTTP answers. No stack trace ever leaves the process."""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.validation_errors import body_fields, known_names, path_pattern, safe_errors
from app.errors import ContentRefused, FableError, TooBusy, Unauthorized, UpstreamError

log = logging.getLogger(__name__)


async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FableError)
    status = exc.status  # each error class carries its own (app/errors.py)
    if isinstance(exc, ContentRefused):  # {code, category, message, suggestion}: a client shows it as it is
        return JSONResponse({"detail": exc.detail}, status_code=status)
    if isinstance(exc, UpstreamError):
        headers = {"Retry-After": "30"} if exc.retryable else None
        return JSONResponse(
            {"detail": exc.message, "provider": exc.provider, "retryable": exc.retryable},
            status_code=status,
            headers=headers,
        )
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc.message)
    headers = None
    if isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": 'Bearer realm="fable"'}
    elif isinstance(exc, TooBusy):
        headers = {"Retry-After": str(exc.retry_after)}
    elif status == 503:
        headers = {"Retry-After": "5"}
    return JSONResponse({"detail": exc.message}, status_code=status, headers=headers)


async def on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route offers on this path (Starlette's own 405 names only the first route's). As
    OpenAPI matches paths, a concrete one is matched before templated ones: /panels/render is the render-all
    path (POST), not a panel id (PATCH /panels/{panel_id})."""
    table = getattr(app.state, "method_table", None)
    if table is None:
        table = [
            (path_pattern(template), template.count("{"), [m.upper() for m in operations])
            for template, operations in app.openapi()["paths"].items()
        ]
        app.state.method_table = table
    matching = [(params, methods) for pattern, params, methods in table if pattern.match(path)]
    fewest = min((params for params, _ in matching), default=0)
    allowed = {m for params, methods in matching if params == fewest for m in methods}
    return sorted(allowed | {"HEAD"} if "GET" in allowed else allowed)  # HEAD: see app/api/head.py


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        methods = allowed_methods(request.app, request.url.path)
        if methods:
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
    return await http_exception_handler(request, exc)


async def on_invalid_request(request: Request, exc: Exception) -> Response:
    """FastAPI's 422 shape, without echoing the input back: neither the caller's keys nor its values are
    repeated, at most MAX_ERRORS entries (see app/api/validation_errors.py), and text that cannot be
    encoded (an unpaired surrogate) cannot break the answer."""
    assert isinstance(exc, RequestValidationError)
    detail = safe_errors(
        exc.errors(),
        known_names=known_names(request.app),
        body_fields=body_fields(request.app, request.method, request.url.path),
    )
    body = json.dumps({"detail": detail}, ensure_ascii=True).encode()
    return Response(body, status_code=422, media_type="application/json")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(FableError, on_domain_error)
    app.add_exception_handler(Exception, on_unexpected_error)
