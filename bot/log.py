"""Logging set-up and privacy helpers: never log raw LINE user ids or message text."""

from __future__ import annotations

import hashlib
import logging
import os


def user_ref(line_user_id: str) -> str:
    """A short, stable, non-reversible reference to a LINE user for log lines."""
    return "u:" + hashlib.sha256(line_user_id.encode()).hexdigest()[:12]


def configure_logging() -> None:
    """One line per record on stderr; level from LOG_LEVEL (default INFO)."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
