"""RQ job functions. They run in the worker, inside the Flask app context (see worker.py)."""

from __future__ import annotations

import json
import logging
import time
import uuid

from linebot.v3.messaging import ApiException, Message
from linebot.v3.webhooks import Event, FollowEvent, PostbackEvent
from rq import Retry, get_current_job
from rq.timeouts import BaseTimeoutException

from bot.domain.retry_keys import reply_retry_key
from bot.handlers.groups import after_reply
from bot.handlers.router import dispatch
from bot.jobs.push import deliver
from bot.jobs.queue import queue_push
from bot.messages.postbacks import StaffConfirm, StaffUndo, unpack_lenient
from bot.services import Services, services
from bot.store import keys
from bot.store.events import DEDUPE_TTL

log = logging.getLogger(__name__)


def handle_events(events_json: str) -> None:
    """Route the events of one webhook body (a JSON list), each once, and send the replies.

    An event already taken by another job is skipped; one this job took on an earlier attempt
    and did not finish is handled again. An event that fails does not hold up the others: the
    first failure is raised once all have run, so RQ retries the job for what is left.
    """
    svc = services()
    job = get_current_job()
    owner = job.id if job is not None else uuid.uuid4().hex
    oldest_ms = (time.time() - DEDUPE_TTL) * 1000
    failure: Exception | None = None
    for event in json.loads(events_json):
        event_id = event["webhookEventId"]
        if event["timestamp"] < oldest_ms:
            # Its dedupe record may be gone: handling it could repeat it.
            log.warning("webhook event %s dropped: older than the dedupe window", event_id)
            continue
        if not svc.events.take(event_id, owner):
            log.info("duplicate webhook event %s ignored", event_id)
            continue
        try:
            _reply_to(svc, event)
        except BaseTimeoutException:
            raise
        except Exception as exc:
            name = type(exc).__name__
            log.warning("webhook event %s failed (%s); the job will retry it", event_id, name)
            failure = failure or exc
            continue
        svc.events.finish(event_id)
    if failure is not None:
        raise failure


def handle_event(event_json: str) -> None:
    """One event, as queued before events were batched (the webhook deduplicated those)."""
    _reply_to(services(), json.loads(event_json))


def _reply_to(svc: Services, raw: dict) -> None:
    """Route one webhook event, reply with what its handler returns, then do what the event
    needs after its reply (leave a group the bot was added to)."""
    event = parse_event(raw)
    if event is None:
        return
    messages = dispatch(svc, event)
    token = getattr(event, "reply_token", None)
    if messages and token:
        try:
            svc.line.reply(token, [Message.from_dict(m) for m in messages[:5]])
        except ApiException as exc:
            if exc.status is None or not 400 <= exc.status < 500:
                raise
            # Expired or used token, or a message LINE refused: retrying the reply cannot help.
            _fall_back_to_push(svc, event, raw, messages[:5])
    after_reply(svc, event)


#: Fields the SDK requires that LINE's older events (and its own older examples) leave out,
#: with the value they mean. Follow, text and postback events are served without them.
_LENIENT_DEFAULTS = {"mode": "active", "deliveryContext": {"isRedelivery": False}}
_LENIENT_TYPES = frozenset({"follow", "message", "postback"})


def parse_event(raw: dict) -> Event | None:
    """The SDK's model of a webhook event, or None (logged) for one the bot cannot serve.

    Follow, text and postback events that lack fields LINE's older events omit get the values
    those fields mean (active mode, not a redelivery, not unblocked, no quote token)."""
    try:
        return Event.from_dict(raw)
    except ValueError:
        pass
    if raw.get("type") in _LENIENT_TYPES:
        filled = {**_LENIENT_DEFAULTS, **raw}
        if raw.get("type") == "follow":
            filled["follow"] = {"isUnblocked": False, **(raw.get("follow") or {})}
        message = raw.get("message")
        if isinstance(message, dict) and message.get("type") == "text":
            filled["message"] = {"quoteToken": "", **message}
        try:
            return Event.from_dict(filled)
        except ValueError:
            pass
        log.warning("ignored a %s event the SDK cannot read", raw.get("type"))
    else:
        # Unknown event types or malformed known ones: LINE may add types at any time.
        log.info("ignored an event the SDK does not model")
    return None


def _fall_back_to_push(svc: Services, event: Event, raw: dict, messages: list[dict]) -> None:
    """Push what a refused reply said when the user must hear it: a new friend's welcome and
    card, a staff member's grant or undo (applied already). Anything else is logged as lost."""
    user_id = getattr(event.source, "user_id", None)
    essential = isinstance(event, FollowEvent) or (
        isinstance(event, PostbackEvent)
        and isinstance(unpack_lenient(event.postback.data), StaffConfirm | StaffUndo)
    )
    if not essential or not isinstance(user_id, str):
        log.info("reply refused by LINE; %s event's answer lost", type(event).__name__)
        return
    # Once per event, whoever queues it: the retry key comes from the event id.
    key = reply_retry_key(raw.get("webhookEventId", ""))
    kind = "welcome" if isinstance(event, FollowEvent) else "reply"
    payload = {} if kind == "welcome" else {"messages": messages, "to": user_id}
    queue_push(svc, kind, keys.member_id_for(user_id), payload, key, urgent=True)
    log.info("reply refused by LINE; %s answer pushed instead", type(event).__name__)


def send_receipt(member_id: str, receipt: dict, retry_key: str) -> Retry | None:
    """Jobs queued before pushes had one path: run them on it (see bot/jobs/push.py)."""
    return deliver("receipt", member_id, receipt, retry_key, urgent=True)
