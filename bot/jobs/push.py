"""The one push path: every push job (receipt, reminder, notice) runs ``deliver``.

A job returns an RQ ``Retry`` to run again later (LINE failed, quiet hours, the monthly limit,
the rate limiter) and None when it is done, delivered or not. Retries keep the job's
``X-Line-Retry-Key``, so LINE delivers one message however often the job runs.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime

from linebot.v3.messaging import ApiException, ErrorResponse, Message
from rq import Retry, get_current_job
from rq.job import Job
from urllib3.exceptions import HTTPError

from bot.domain.durations import start_of_next_month
from bot.domain.records import Member
from bot.jobs.backoff import Backoff
from bot.jobs.push_content import KINDS
from bot.log import user_ref
from bot.services import Services, services
from bot.store.push_limits import PushRateLimiter

log = logging.getLogger(__name__)

#: Delays after LINE 5xx, timeouts and rate-limit 429s. Tests swap in zero delays.
BACKOFF = Backoff()
#: While LINE's monthly limit is reached, a push looks again this often (seconds).
QUOTA_RECHECK = 3600
#: Pushes held by quiet hours go out over this many seconds after they end, not all at once.
QUIET_SPREAD = 900
#: Longest wait for the rate limiter inside a job (seconds); a longer one reschedules the job.
MAX_INLINE_WAIT = 2.0
#: LINE remembers a retry key for 24 hours. A push that LINE may have accepted (5xx, timeout)
#: is not retried later than this after that attempt: a retry after 24 h could deliver twice.
RETRY_KEY_WINDOW = 23 * 3600
#: What LINE's 429 says when the month's messages are used up (not a rate limit).
MONTHLY_LIMIT_TEXT = "monthly limit"


def deliver(
    kind: str, member_id: str, payload: dict, retry_key: str, urgent: bool = False
) -> Retry | None:
    """Push one message once; a returned ``Retry`` runs the job again later."""
    svc = services()
    job = get_current_job()
    now = svc.clock()
    spec = KINDS.get(kind)
    if spec is None:
        log.error("push of unknown kind %r dropped", kind)
        return None
    first = job.meta.get("first_attempt_at") if job is not None else None
    if first is not None and now - int(first) > RETRY_KEY_WINDOW:
        # Whatever held it since (monthly limit, quiet hours, a dead worker): LINE may have
        # taken the first attempt and will have forgotten its retry key, so it could arrive twice.
        log.error("%s given up: first sent over 23 h ago, LINE forgets retry keys", kind)
        return None
    member = svc.store.member(member_id)
    if member is None and spec.to_anyone and isinstance(payload.get("to"), str):
        member = Member(member_id, payload["to"], "", "", "ja", 0, active=True)
    if member is None or not member.active:
        log.info("%s not pushed: member gone or unfollowed", kind)
        return None
    if spec.optional and not member.reminders:
        log.info("%s not pushed: %s turned reminders off", kind, user_ref(member.line_user_id))
        return None
    quota = svc.quota
    if not urgent:
        # Receipts still try (once an hour); the rest wait without calling LINE at all.
        if quota.reached_since() is not None:
            return _later(job, QUOTA_RECHECK, "LINE monthly limit reached")
        resume = quiet_hours_end(svc, now)
        if resume is not None:
            spread = random.randint(0, QUIET_SPREAD)  # noqa: S311 - spreading, not a secret
            return _later(job, resume - now + spread, "quiet hours")
    message = spec.build(svc, member, payload, now)
    if message is None:
        log.info("%s not pushed: nothing to say any more", kind)
        return None
    batch = message if isinstance(message, list) else [message]
    messages = [Message.from_dict(m) for m in batch[:5]]
    if job is not None and "first_attempt_at" not in job.meta:
        # Saved before the call: a worker that dies inside it still leaves the time behind.
        job.meta["first_attempt_at"] = now
        job.save_meta()
    # Nothing between the slot and the call: LINE counts the second a push arrives in.
    wait = _take_token(svc)
    if wait:
        return _later(job, wait, "push rate limit")
    try:
        svc.line.push(member.line_user_id, messages, retry_key, unit=kind)
    except ApiException as exc:
        return _refused(svc, job, exc, kind, now)
    except HTTPError as exc:
        # A read timeout or a dropped connection: LINE may have taken it, so same key again.
        return _failed(job, now, f"{type(exc).__name__} from LINE", uncertain=True)
    if quota.clear():
        log.warning("LINE accepted a push again: monthly limit state cleared")
    log.info("%s pushed to %s", kind, user_ref(member.line_user_id))
    return None


def quiet_hours_end(svc: Services, now: int) -> int | None:
    """When the program's quiet hours around ``now`` end (unix s), or None if not quiet."""
    program = svc.settings.program
    quiet = program.reminders.quiet_hours
    if quiet is None:
        return None
    resume = quiet.resume_at(datetime.fromtimestamp(now, program.timezone))
    return int(resume.timestamp()) if resume is not None else None


def _refused(
    svc: Services, job: Job | None, exc: ApiException, kind: str, now: int
) -> Retry | None:
    status = exc.status or 0
    if status == 409:
        log.info("%s already accepted by LINE under this retry key: delivered", kind)
        return None
    if status == 429 and MONTHLY_LIMIT_TEXT in _message(exc).lower():
        zone = svc.settings.program.timezone
        until = int(start_of_next_month(datetime.fromtimestamp(now, UTC), zone).timestamp())
        if svc.quota.mark_reached(now, until):
            log.warning(
                "LINE monthly message limit reached: reminders and notices wait, receipts "
                "retry hourly, until %s or `flask --app wsgi jobs quota --clear`",
                datetime.fromtimestamp(until, zone).isoformat(),
            )
        return _later(job, QUOTA_RECHECK, "LINE monthly limit reached")
    if status == 429:
        return _failed(job, now, "LINE rate limit (429)", uncertain=False)
    if status >= 500 or status == 0:  # 0: an SSL error, the request may have gone through
        return _failed(job, now, f"LINE status {status}", uncertain=True)
    log.error("%s refused by LINE (status %s); not retried", kind, status)
    return None


def _failed(job: Job | None, now: int, reason: str, *, uncertain: bool) -> Retry | None:
    """Back off after a transient failure, or give up when retrying could do more harm."""
    meta = job.meta if job is not None else {}
    failures = int(meta.get("failures", 0)) + 1
    since = meta.get("uncertain_since")
    if uncertain and since is None:
        since = now
    if failures > BACKOFF.max_failures:
        log.error("push given up after %d failures (last: %s)", failures, reason)
        return None
    if since is not None and now - int(since) > RETRY_KEY_WINDOW:
        log.error("push given up: LINE may have taken it over 23 h ago and forgot its retry key")
        return None
    if job is not None:
        job.meta.update(failures=failures, uncertain_since=since)
        job.save_meta()
    delay = BACKOFF.delay(failures)
    log.info("push failed (%s); attempt %d in %d s", reason, failures + 1, delay)
    return _later(job, delay, reason)


def _later(job: Job | None, delay: float, reason: str) -> Retry:
    """An RQ ``Retry`` that runs the job again in ``delay`` seconds, whatever its history."""
    seconds = max(int(delay + 0.999), 0)
    log.debug("push waits %d s: %s", seconds, reason)
    done = (job.number_of_retries or 0) if job is not None else 0
    # RQ gives up once number_of_retries reaches max; this job decides for itself (_failed).
    return Retry(max=done + 1, interval=seconds)


def _take_token(svc: Services) -> float:
    """Wait for a push token; returns 0.0 once taken, or the remaining wait if it is long."""
    limiter = PushRateLimiter(svc.store.redis, svc.settings.push_rate)
    deadline = time.monotonic() + MAX_INLINE_WAIT
    while (wait := limiter.acquire()) > 0:
        if time.monotonic() + wait > deadline:
            return wait
        time.sleep(wait)
    return 0.0


def _message(exc: ApiException) -> str:
    try:
        return ErrorResponse.from_json(exc.body or "").message or ""
    except ValueError:
        return str(exc.body or "")
