"""``flask --app wsgi stats [--store S001] [--since 30d] [--json]``: how the program does."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from bot.cli.common import existing_store, redis_errors, store_id_param, when
from bot.domain.durations import parse_duration
from bot.operations.stats import Figures, figures
from bot.services import services

#: (label, field of the day's figures, unit) as the table shows them.
_ROWS = (
    ("purchases", "purchases", ""),
    ("amount", "amount", " JPY"),
    ("points issued on purchases", "earned", " pt"),
    ("points used at the till", "used", " pt"),
    ("refunds", "refunds", ""),
    ("points taken back by refunds", "reversed", " pt"),
    ("points expired", "expired", " pt"),
    ("points adjusted (net)", "adjusted", " pt"),
    ("points exchanged for tickets", "exchanged", " pt"),
    ("tickets issued", "tickets_issued", ""),
    ("tickets used", "tickets_used", ""),
    ("tickets expired unused", "tickets_expired", ""),
    ("check-ins", "checkins", ""),
    ("points issued on check-ins", "visit_points", " pt"),
    ("expiry reminders sent", "reminders", ""),
    ("  points then used, not lost", "saved", " pt"),
)


@click.command("stats")
@click.option("--store", callback=store_id_param, help="Only this store's sales and visits.")
@click.option("--since", default="30d", show_default=True, help="How far back: 7d, 30d, 12mo.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def stats(store: str | None, since: str, as_json: bool) -> None:
    """The program's figures: members, purchases, points, tickets, check-ins, notices."""
    try:
        span = parse_duration(since).approx_seconds()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    svc = services()
    with redis_errors():
        if store is not None:
            store = existing_store(svc, store)
        found = figures(svc, span, store)
    if as_json:
        click.echo(json.dumps(_document(found), ensure_ascii=False, indent=2))
        return
    where = f" at {store}" if store else ""
    click.echo(f"{found.since} to {found.until}{where} ({svc.settings.program.timezone})")
    click.echo(f"  {'members':<32}{found.members:>12,}")
    click.echo(f"  {'  new in the period':<32}{found.new_members:>12,}")
    click.echo(f"  {'  active (bought or checked in)':<32}{found.active_members:>12,}")
    click.echo(f"  {'  blocked the account':<32}{found.blocked:>12,}")
    for label, name, unit in _ROWS:
        click.echo(f"  {label:<32}{found.totals.get(name, 0):>12,}{unit}")
    if not found.notices:
        click.echo("  notices: none sent in the period")
    for notice in found.notices:
        share = 100 * notice.bought_after / notice.members if notice.members else 0.0
        click.echo(
            f"  notice {notice.campaign_id} ({when(svc, notice.sent_at)}): {notice.members:,} "
            f"members, {notice.bought_after:,} bought within 7 days ({share:.1f} %)"
        )


def _document(found: Figures) -> dict[str, object]:
    return {
        "since": found.since.isoformat(),
        "until": found.until.isoformat(),
        "store": found.store,
        "members": {
            "total": found.members,
            "new": found.new_members,
            "active": found.active_members,
            "blocked": found.blocked,
        },
        **{name: found.totals.get(name, 0) for _, name, _ in _ROWS},
        "notices": [
            {"id": n.campaign_id, "sent_at": n.sent_at, "members": n.members,
             "bought_within_7_days": n.bought_after}
            for n in found.notices
        ],
    }  # fmt: skip
