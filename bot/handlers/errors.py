"""The bot's one error handler: what a user sees when a handler fails, and what is retried.

Re-raised, so that RQ runs the event's job again (``EVENT_RETRY`` in bot/jobs/queue.py):

- Redis unreachable, too slow or failing over (``bot.store.clients.UNAVAILABLE``). Nothing
  was half written: every write is one Lua script or one MULTI, and a rerun is safe.
- LINE unreachable, too slow, or answering 5xx (urllib3's errors, ``ApiException`` with a
  status of 500 or more): a moment later it may answer.

Anything else (a bug, a LINE refusal such as a 4xx, a Redis script error) would fail the same
way again: it is logged with its type and where it was raised, never its message or values,
which may hold a user id or what the user typed, and the user gets a short apology.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import urllib3
from linebot.v3.messaging import ApiException

from bot.handlers.base import Context, Handler, MessageJson
from bot.log import user_ref
from bot.store.clients import UNAVAILABLE

log = logging.getLogger(__name__)

#: How many frames of the traceback (innermost first) the log line names.
FRAMES_LOGGED = 6
_ROOT = Path(__file__).resolve().parents[2]


def must_retry(exc: BaseException) -> bool:
    """Say whether ``exc`` may pass if the job runs again (see the module docstring)."""
    if isinstance(exc, (*UNAVAILABLE, urllib3.exceptions.HTTPError)):
        return True
    return isinstance(exc, ApiException) and exc.status is not None and exc.status >= 500


def on_error(exc: Exception, handler: Handler, ctx: Context) -> list[MessageJson]:
    """Log a handler's failure without PII and reply with the apology (for what must_retry
    refuses; the dispatcher re-raises the rest)."""
    log.error(
        "%s (%s input) failed for %s: %s at %s",
        getattr(handler, "__qualname__", "handler"),
        ctx.kind or "no",
        user_ref(ctx.user_id),
        type(exc).__name__,
        _where(exc),
    )
    return ctx.say("something_went_wrong")


def _where(exc: BaseException) -> str:
    """``file:line function`` of the innermost frames, innermost first: enough to find the bug."""
    frames = traceback.extract_tb(exc.__traceback__)[-FRAMES_LOGGED:]
    return " < ".join(
        f"{_short(frame.filename)}:{frame.lineno} {frame.name}" for frame in reversed(frames)
    )


def _short(filename: str) -> str:
    path = Path(filename)
    return str(path.relative_to(_ROOT)) if path.is_relative_to(_ROOT) else path.name
