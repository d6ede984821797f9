"""The shopper's points: summary and history."""

from __future__ import annotations

from collections import defaultdict

from bot.domain.records import Entry
from bot.handlers.base import Context, MessageJson
from bot.handlers.card import no_card
from bot.messages import format as fmt
from bot.messages import postbacks
from bot.messages.points_views import (
    ENTRIES_PER_BUBBLE,
    MAX_BUBBLES,
    HistoryLine,
    PointsView,
    history_message,
    points_message,
)
from bot.messages.texts import text

#: How many expiry dates the summary lists.
EXPIRING_SHOWN = 3


def show_points(ctx: Context) -> list[MessageJson]:
    """Balance, rank, what the next rank needs, and the points expiring soonest."""
    if ctx.member is None:
        return no_card(ctx)
    svc, language = ctx.services, ctx.language
    program = svc.settings.program
    standing = svc.ledger.maintain(ctx.member.member_id, svc.clock())
    if standing is None:
        return no_card(ctx)
    rank = program.ranks.for_spend(standing.spend)
    following = program.ranks.next_after(rank)
    by_expiry: dict[int, int] = defaultdict(int)
    for lot in svc.ledger.lots(ctx.member.member_id):
        by_expiry[lot.expires_at] += lot.remaining
    expiring = tuple(
        # A lot is live until its expiry instant; show the last day it can be used.
        (fmt.local(at - 1, program.timezone), points)
        for at, points in sorted(by_expiry.items())[:EXPIRING_SHOWN]
    )
    view = PointsView(
        balance=standing.balance,
        rank_name=rank.name_en if language == "en" else rank.name,
        rank_color=rank.color,
        next_rank_name=(following.name_en if language == "en" else following.name)
        if following
        else None,
        spend_needed=max(following.threshold - standing.spend, 0) if following else 0,
        expiring=expiring,
    )
    return [points_message(language, program.card, view)]


def show_history(ctx: Context) -> list[MessageJson]:
    """The latest history entries, newest first; the postback may ask for older ones."""
    if ctx.member is None:
        return no_card(ctx)
    svc, language = ctx.services, ctx.language
    # The codec lets through only an entry id's shape; the ledger finds nothing for one it
    # does not hold.
    before = ctx.postback.before if isinstance(ctx.postback, postbacks.History) else None
    svc.ledger.maintain(ctx.member.member_id, svc.clock())
    limit = ENTRIES_PER_BUBBLE * MAX_BUBBLES
    entries = svc.ledger.history(ctx.member.member_id, before=before, count=limit + 1)
    older = postbacks.History(before=entries[limit - 1].entry_id) if len(entries) > limit else None
    zone = svc.settings.program.timezone
    stores = _store_names(ctx, entries[:limit])
    lines = [
        HistoryLine(
            at=fmt.local(_when(entry), zone),
            label=_label(ctx, entry, stores),
            points=entry.points,
            balance=entry.balance,
        )
        for entry in entries[:limit]
    ]
    this_year = fmt.local(svc.clock(), zone).year
    return [history_message(language, svc.settings.program.card, lines, older, this_year)]


def _when(entry: Entry) -> int:
    """When an entry happened for the shopper: a sale's own time as the till reported it
    (``o``, for sales uploaded late), else when the ledger recorded it."""
    occurred = entry.fields.get("o", "")
    return int(occurred) if occurred.isdigit() else entry.at


def _store_names(ctx: Context, entries: list[Entry]) -> dict[str, str]:
    ids = {e.fields["s"] for e in entries if "s" in e.fields}
    return {store_id: ctx.services.store.store_name(store_id) for store_id in ids}


#: History entry kinds with a label of their own (``kind_<kind>`` in the catalogue).
_KINDS = frozenset(
    {"earn", "redeem", "restore", "reverse", "expire", "adjust"}
    | {"exchange", "ticket", "use", "unuse", "ticket_expire", "visit"}
)


def _label(ctx: Context, entry: Entry, stores: dict[str, str]) -> str:
    store = stores.get(entry.fields.get("s", ""), "")
    key = f"kind_{entry.kind}" if entry.kind in _KINDS else "kind_other"
    reward_key = entry.fields.get("rw", "")
    reward = ctx.services.settings.program.reward(reward_key)
    name = reward.label(ctx.language) if reward else reward_key
    values = {"store": store, "reason": entry.fields.get("r", ""), "reward": name}
    return text(ctx.language, key, **values).strip()
