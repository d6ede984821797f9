"""Visits: checking in at a store's entrance by LINE Beacon or by the entrance QR code.

The limits that stop fraud are in the check-in script (bot/store/lua/check_in.lua): once per
member, store and local day, a monthly cap, and no beacon at another store a moment after
one. The codes are in bot/domain/checkin_codes.py: the entrance screen's changes every
``visits.code_window`` seconds, a poster's is good for its day only. Visits count toward the
program's visit goals (a ticket each, given once).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer

from bot.domain import checkin_codes
from bot.domain.checkin_codes import CheckInRequest, Verdict
from bot.domain.program import Goal
from bot.domain.records import Outcome, Store, VisitOutcome
from bot.operations.rewards import give_goal
from bot.services import Services
from bot.store import keys
from bot.store.events import DEDUPE_TTL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedIn:
    """What a check-in did, and what the shopper is told next."""

    outcome: VisitOutcome
    store: Store
    #: The next visit goal and how many more check-ins it needs, or None.
    next_goal: tuple[Goal, int] | None


class CheckInCodeError(Exception):
    """The check-in code is not a current code of the store it names (``verdict`` says how)."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.value)
        self.verdict = verdict


def local_today(services: Services, at: int | None = None) -> date:
    """Today in the program's time zone (the day of ``at``, unix s, if given)."""
    zone = services.settings.program.timezone
    moment = services.clock() if at is None else at
    return datetime.fromtimestamp(moment, UTC).astimezone(zone).date()


def check_in(
    services: Services, member_id: str, store_id: str, via: str, at: int | None = None
) -> CheckedIn:
    """Check the member in at ``store_id`` (``via``: ``beacon`` or ``code``), and give the
    visit goals the new count reaches. The day is that of ``at`` (the event's time, unix s,
    the same when LINE or a retry handles it again), else, or if ``at`` is not within the
    events' dedupe window before now, today."""
    program = services.settings.program
    now = services.clock()
    today = local_today(services, at if at is not None and now - DEDUPE_TTL <= at <= now else now)
    outcome = services.visits.check_in(
        member_id=member_id,
        now=services.clock(),
        store_id=store_id,
        day=today.isoformat(),
        month=f"{today:%Y-%m}",
        cap=program.visits.monthly_cap,
        points=program.visits.points,
        via=via,
    )
    goals = program.visit_goals()
    if outcome.status in (Outcome.APPLIED, Outcome.ALREADY):
        # Again on ALREADY: a crash after the check-in may have cut this short; once per goal.
        for goal in goals:
            if (goal.visits or 0) <= outcome.total:
                give_goal(services, member_id, goal)
        if outcome.status is Outcome.APPLIED:
            log.info("check-in at store %s by %s", store_id, via)
    ahead = next((g for g in goals if (g.visits or 0) > outcome.total), None)
    next_goal = (ahead, (ahead.visits or 0) - outcome.total) if ahead else None
    return CheckedIn(outcome, services.store.store(store_id), next_goal)


def check_in_by_beacon(
    services: Services, member_id: str, hwid: str, at: int | None = None
) -> CheckedIn | None:
    """A beacon ``enter`` at an entrance (at ``at``, unix s); None for a beacon no store
    registered."""
    store_id = services.visits.beacon_store(hwid)
    if store_id is None:
        return None
    return check_in(services, member_id, store_id, "beacon", at)


def check_in_by_code(
    services: Services, member_id: str, request: CheckInRequest, at: int | None = None
) -> CheckedIn:
    """A check-in message from the entrance QR code; CheckInCodeError unless its code is a
    current code of the store it names."""
    store_id = services.store.resolve_store_id(request.store_id)
    if store_id is None:
        raise CheckInCodeError(Verdict.INVALID)
    verdict = checkin_codes.check(
        _key(services),
        store_id,
        request.code,
        services.clock(),
        services.settings.program.visits.code_window,
        local_today(services),
    )
    if verdict is not Verdict.VALID:
        raise CheckInCodeError(verdict)
    return check_in(services, member_id, store_id, "code", at)


def _key(services: Services) -> bytes:
    return checkin_codes.derive_key(services.settings.secret_key)


def entrance_link(services: Services, store_id: str, code: str) -> str:
    """The link the entrance QR code carries: it opens the chat with the bot and the check-in
    message typed in (LINE's ``oaMessage`` URL scheme; the bot's basic ID from LINE)."""
    basic_id = quote(services.line.basic_id(), safe="")
    text = quote(checkin_codes.message(store_id, code), safe="")
    return f"https://line.me/R/oaMessage/{basic_id}/?{text}"


def screen_code(services: Services, store_id: str) -> tuple[str, int]:
    """The entrance screen's code now, and the seconds until it changes."""
    window = services.settings.program.visits.code_window
    now = services.clock()
    return checkin_codes.rotating_code(_key(services), store_id, now, window), window - now % window


def step_code(services: Services, store_id: str, step: int) -> str:
    """The entrance screen's code of one time step."""
    window = services.settings.program.visits.code_window
    return checkin_codes.rotating_code(_key(services), store_id, step * window, window)


def poster_code(services: Services, store_id: str, day: date) -> str:
    """A printed poster's code for one local day."""
    return checkin_codes.daily_code(_key(services), store_id, day)


def _signer(services: Services) -> URLSafeSerializer:
    return URLSafeSerializer(services.settings.secret_key, salt="checkin-screen-v1")


def _screen_secret(services: Services, store_id: str, *, rotate: bool = False) -> str:
    """The store's entrance screen secret (kept with the store; a new one revokes old URLs)."""
    redis, key = services.store.redis, keys.store(store_id)
    if rotate:
        redis.hset(key, "checkin_secret", secrets.token_urlsafe(12))
    else:
        redis.hsetnx(key, "checkin_secret", secrets.token_urlsafe(12))
    return redis.hget(key, "checkin_secret")


def screen_url(services: Services, store_id: str, *, rotate: bool = False) -> str:
    """The secret URL of a store's entrance screen (whoever has it can show the codes);
    ``rotate`` makes a new one and every earlier URL stops working."""
    token = _signer(services).dumps([store_id, _screen_secret(services, store_id, rotate=rotate)])
    return f"{services.settings.public_base_url}/checkin/{token}"


def screen_store(services: Services, token: str) -> str | None:
    """The store a screen token names, or None for a tampered or revoked token, or a store
    that is gone."""
    try:
        found = _signer(services).loads(token)
    except BadSignature:
        return None
    if not isinstance(found, list) or len(found) != 2 or not all(isinstance(f, str) for f in found):
        return None
    store_id, secret = found
    kept = services.store.redis.hget(keys.store(store_id), "checkin_secret")
    if kept is None or not hmac.compare_digest(kept, secret):
        return None
    return store_id
