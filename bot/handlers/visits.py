"""Check-ins: a LINE Beacon at the entrance, or the message the entrance QR code types."""

from __future__ import annotations

import unicodedata

from bot.domain import checkin_codes
from bot.domain.checkin_codes import Verdict
from bot.domain.records import Outcome
from bot.handlers.base import Context, MessageJson
from bot.messages import format as fmt
from bot.messages.flex import text_message
from bot.messages.texts import text
from bot.operations import visits
from bot.operations.visits import CheckedIn, CheckInCodeError


def _request(ctx: Context) -> checkin_codes.CheckInRequest | None:
    if ctx.text is None:
        return None
    normalised = unicodedata.normalize("NFKC", ctx.text).strip().casefold()
    return checkin_codes.parse(ctx.text, normalised)


def is_check_in(ctx: Context) -> bool:
    """The route check: the text is a check-in message."""
    return _request(ctx) is not None


def on_check_in_message(ctx: Context) -> list[MessageJson]:
    """The message the entrance QR code typed: check in, or say why not."""
    request = _request(ctx)
    if request is None:
        return []
    if ctx.member is None:
        return ctx.say("visit_not_member")
    try:
        done = visits.check_in_by_code(ctx.services, ctx.member.member_id, request, ctx.at)
    except CheckInCodeError as exc:
        expired = exc.verdict is Verdict.EXPIRED
        return ctx.say("visit_code_expired" if expired else "visit_code_invalid")
    return _answer(ctx, done, quiet_if_already=False)


def on_beacon(ctx: Context) -> list[MessageJson]:
    """A beacon event: an ``enter`` at a registered entrance checks a member in; anything
    else (leaving, banners, an unknown beacon) grants nothing."""
    if ctx.beacon is None or ctx.beacon[0] != "enter":
        return []
    hwid = ctx.beacon[1]
    if ctx.services.visits.beacon_store(hwid) is None:
        return []
    if ctx.member is None:
        return ctx.say("visit_not_member")
    done = visits.check_in_by_beacon(ctx.services, ctx.member.member_id, hwid, ctx.at)
    return _answer(ctx, done, quiet_if_already=True) if done else []


def _answer(ctx: Context, done: CheckedIn, *, quiet_if_already: bool) -> list[MessageJson]:
    """What a check-in says: the points and the way to the next goal, or why not. A beacon
    that sees the shopper again the same day says nothing."""
    language, outcome = ctx.language, done.outcome
    store = done.store.name
    if outcome.status is Outcome.ALREADY:
        return [] if quiet_if_already else ctx.say("visit_already", store=store)
    if outcome.status is Outcome.CAPPED:
        return ctx.say("visit_capped", cap=ctx.services.settings.program.visits.monthly_cap)
    if outcome.status is Outcome.ELSEWHERE:
        return ctx.say("visit_elsewhere")
    if outcome.status is not Outcome.APPLIED:
        return ctx.say("visit_not_member")
    lines = [text(language, "visit_done", store=store)]
    if outcome.points:
        lines.append(
            text(
                language,
                "visit_points",
                points=fmt.points(language, outcome.points),
                balance=fmt.points(language, outcome.balance),
            )
        )
    lines.append(text(language, "visit_count", month=outcome.this_month))
    if done.next_goal is not None:
        goal, left = done.next_goal
        reward = ctx.services.settings.program.reward(goal.reward)
        name = reward.label(language) if reward else goal.reward
        lines.append(text(language, "visit_next_goal", n=left, reward=name))
    return [text_message("\n".join(lines))]
