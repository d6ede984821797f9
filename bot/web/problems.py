"""Errors as RFC 9457 problem documents (``application/problem+json``), and the headers every
error answer carries: ``Allow`` on a 405, ``Retry-After`` on a 503."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

#: Seconds a client is told to wait before retrying a 503 (Redis away, a replica late, a
#: stalled queue): long enough not to hammer a Redis coming back, short enough for a till.
RETRY_AFTER_UNAVAILABLE = 5


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """A problem document response; ``detail`` tells the caller what to do."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def init_app(app: Flask) -> None:
    """Answer HTTP errors under /api/ (unknown path, wrong method, body too large) as problems,
    and give every 503 a ``Retry-After``."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | HTTPException:
        if not request.path.startswith("/api/"):
            return exc
        hints = {
            404: "No such endpoint; see /api/v1/openapi.json.",
            405: "This endpoint does not take that method; see /api/v1/openapi.json.",
            413: "The body is too large; send at most 1 MiB.",
        }
        code = exc.code or 500
        response = problem(code, exc.name, hints.get(code, exc.description or exc.name))
        # The exception's own headers (a 405's Allow) but not its text/html Content-Type.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.after_request
    def _retry_after(response: Response) -> Response:
        if response.status_code == 503 and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
        return response
