"""``flask --app wsgi jobs ...``: run scheduled jobs now, and see or clear LINE's quota state."""

from __future__ import annotations

from datetime import datetime

import click
import redis
from flask.cli import AppGroup

from bot.jobs.sweep import sweep
from bot.services import services

group = AppGroup("jobs", help="Run scheduled jobs now.")


@group.command("expiry")
@click.option("--dry-run", is_flag=True, help="Report what is due without changing anything.")
def expiry(dry_run: bool) -> None:
    """Expire due points, notify, and queue the reminders due now (as the daily sweep does)."""
    svc = services()
    try:
        report = sweep(svc, svc.clock(), dry_run=dry_run)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis ({exc}); is the bot running?") from None
    verb = "would expire" if dry_run else "expired"
    queued = "would queue" if dry_run else "queued"
    click.echo(
        f"{report.members} members with points due to expire: {verb} "
        f"{report.points_expired} points in {report.lots_expired} lots; "
        f"{queued} {report.notices} expiry notices and {report.reminders} reminders"
    )


@group.command("quota")
@click.option("--clear", is_flag=True, help="Forget it (after buying more messages).")
def quota(clear: bool) -> None:
    """Whether LINE said the monthly message limit is reached (pushes then wait)."""
    svc = services()
    state = svc.quota
    try:
        since = state.reached_since()
        if clear and since is not None:
            state.clear()
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis ({exc}); is the bot running?") from None
    if since is None:
        click.echo("LINE monthly limit: not reached")
        return
    moment = datetime.fromtimestamp(since, svc.settings.program.timezone).isoformat()
    if clear:
        click.echo(f"LINE monthly limit (reached {moment}): cleared; pushes resume")
    else:
        click.echo(f"LINE monthly limit reached at {moment}: reminders wait, receipts retry hourly")
