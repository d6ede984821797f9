"""Errors as RFC 9457 problem documents (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from flask import Response, json


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """A problem document response; ``detail`` tells the caller what to do."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")
