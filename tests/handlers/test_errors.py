"""The one error handler: a failing handler gets the user an apology, logged without PII, and
what a retry may cure goes back to RQ."""

from __future__ import annotations

import logging

import pytest
import redis
import urllib3
from linebot.v3.messaging import ApiException
from rq.registry import FailedJobRegistry

from bot.handlers import router
from bot.handlers.base import Context, HandlerError
from bot.handlers.errors import must_retry
from bot.handlers.routes import Route, Routes
from bot.jobs.queue import EVENT_RETRY, event_queue
from bot.log import user_ref
from bot.messages import texts
from bot.messages.postbacks import Action
from tests.support import events

APOLOGY = texts.CATALOGUE["ja"]["something_went_wrong"]


def _api_error(status: int) -> ApiException:
    return ApiException(status=status, reason="LINE said no")


def _broken(monkeypatch: pytest.MonkeyPatch, exc: Exception) -> list[Context]:
    """Make the help postback's handler raise ``exc``; returns the contexts it was called with."""
    calls: list[Context] = []

    def fail(ctx: Context) -> list[dict]:
        calls.append(ctx)
        raise exc

    monkeypatch.setattr(router, "GROUPS", (Routes((Route(Action.HELP, fail),)),))
    return calls


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(ZeroDivisionError("for U0123 who typed secret"), id="bug"),
        pytest.param(KeyError("code"), id="missing-session-field"),
        pytest.param(_api_error(400), id="line-4xx"),
        pytest.param(redis.ResponseError("NOSCRIPT"), id="redis-script-error"),
        pytest.param(HandlerError("desk"), id="staff-handler-out-of-place"),
    ],
)
def test_a_failing_handler_gets_the_user_an_apology(
    post_webhook, run_jobs, fake_line, services, monkeypatch, caplog, exc
):
    calls = _broken(monkeypatch, exc)
    user = events.user_id()

    with caplog.at_level(logging.ERROR, "bot.handlers.errors"):
        assert post_webhook(events.postback(user, "action=help")).status_code == 200
        run_jobs()

    [reply] = fake_line.replies()
    assert reply["messages"] == [{"type": "text", "text": APOLOGY}]
    assert len(calls) == 1  # not retried: it would fail the same way
    assert FailedJobRegistry(queue=event_queue(services)).count == 0
    [record] = caplog.records
    line = record.getMessage()
    assert line.startswith(f"on_input (help input) failed for {user_ref(user)}: ")
    assert f": {type(exc).__name__} at tests/handlers/test_errors.py:" in line
    assert " fail < bot/handlers/routes.py:" in line  # innermost first, with function names
    assert user not in caplog.text
    assert "secret" not in caplog.text  # an exception's message may hold what the user typed


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(redis.ConnectionError("down"), id="redis-down"),
        pytest.param(redis.TimeoutError("slow"), id="redis-slow"),
        pytest.param(_api_error(502), id="line-5xx"),
        pytest.param(urllib3.exceptions.ReadTimeoutError(None, "/", "slow"), id="line-timeout"),
    ],
)
def test_what_a_retry_may_cure_is_retried_and_not_apologised_for(
    post_webhook, run_jobs, fake_line, services, monkeypatch, exc
):
    calls = _broken(monkeypatch, exc)

    post_webhook(events.postback(events.user_id(), "action=help"))
    run_jobs()

    assert len(calls) == 1 + EVENT_RETRY.max
    assert fake_line.replies() == []
    assert FailedJobRegistry(queue=event_queue(services)).count == 1


@pytest.mark.parametrize(
    ("exc", "retried"),
    [
        (redis.ConnectionError(), True),
        (redis.BusyLoadingError(), True),
        (redis.TimeoutError(), True),
        (urllib3.exceptions.NewConnectionError(None, "refused"), True),
        (_api_error(500), True),
        (_api_error(503), True),
        (_api_error(429), False),
        (_api_error(404), False),
        (ApiException(), False),
        (redis.ResponseError(), False),
        (ValueError(), False),
    ],
)
def test_must_retry(exc, retried):
    assert must_retry(exc) is retried


def test_a_staff_handler_out_of_place_does_nothing(services):
    ctx = Context(services, events.user_id(), None)
    with pytest.raises(HandlerError):
        ctx.desk()
