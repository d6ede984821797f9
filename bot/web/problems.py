"""Errors as RFC 9457 problem documents (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """A problem document response; ``detail`` tells the caller what to do."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def init_app(app: Flask) -> None:
    """Answer HTTP errors under /api/ (unknown path, wrong method, body too large) as problems."""

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
        return problem(code, exc.name, hints.get(code, exc.description or exc.name))
