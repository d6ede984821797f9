"""Failures of rich menu commands, reported as one message that says what to do next."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import urllib3
from linebot.v3.messaging import ApiException

from bot.line.rich_menus import describe_error

T = TypeVar("T")


class RichMenuError(Exception):
    """A command stopped; the message says what failed and what state LINE was left in."""


def guarded(what: str, call: Callable[[], T], consequence: str = "") -> T:
    """Run a LINE call, turning its failure into a RichMenuError that says what to do."""
    try:
        return call()
    except ApiException as exc:
        raise RichMenuError(_explain(what, exc, consequence)) from None
    except urllib3.exceptions.HTTPError as exc:
        raise RichMenuError(
            f"could not {what}: LINE did not answer ({exc.__class__.__name__}). {consequence}"
        ) from None


def _explain(what: str, exc: ApiException, consequence: str) -> str:
    """A failure message with LINE's answer and advice for the status."""
    message = f"could not {what}: LINE answered {describe_error(exc)}."
    if exc.status == 429:
        message += (
            " That is LINE's rate limit (creating rich menus: 100 per hour) or the monthly"
            " quota; stopped instead of retrying. Wait before running deploy again."
        )
    elif exc.status == 415:
        message += " LINE accepts rich menu images only as image/png or image/jpeg."
    elif exc.status == 401:
        message += " Check LINE_CHANNEL_ACCESS_TOKEN."
    return f"{message} {consequence}".strip()
