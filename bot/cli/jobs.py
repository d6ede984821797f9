"""``flask --app wsgi jobs ...``: run scheduled jobs now, and see or clear LINE's quota state."""

from __future__ import annotations

import click
import redis
from flask.cli import AppGroup

from bot.cli.common import count, when
from bot.jobs.sweep import SweepReport, sweep
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
    click.echo(_summary(report, dry_run))


def _summary(report: SweepReport, dry_run: bool) -> str:
    """One line that counts what the sweep did (or would do), in the same words either way.

    ``members`` counts the members whose due-index entries were read; some may have had no
    points left to expire (spent since), so it is said apart from the points."""
    if report.members:
        points = (
            f"{count(report.points_expired, 'point')} in {count(report.lots_expired, 'lot')}"
            if report.lots_expired
            else "no points"
        )
        checked, expired = ("would check", "would expire") if dry_run else ("checked", "expired")
        expiry = f"{checked} {count(report.members, 'member')} with points due; {expired} {points}"
    else:
        expiry = "no points due to expire"
    queued = (
        f"{'would queue' if dry_run else 'queued'} {count(report.notices, 'expiry notice')} "
        f"and {count(report.reminders, 'reminder')} of points expiring soon"
    )
    tickets = ""
    if report.tickets_expired or report.ticket_reminders:
        tickets = (
            f"; {'would expire' if dry_run else 'expired'} "
            f"{count(report.tickets_expired, 'unused ticket')} and "
            f"{'would queue' if dry_run else 'queued'} "
            f"{count(report.ticket_reminders, 'ticket reminder')}"
        )
    if report.history_archived:
        tickets += (
            f"; archived {count(report.history_archived, 'history entry', 'history entries')}"
        )
    headline = "Dry run, nothing changed" if dry_run else "Sweep done"
    return f"{headline}: {expiry}; {queued}{tickets}."


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
    moment = when(svc, since)
    if clear:
        click.echo(f"LINE monthly limit (reached {moment}): cleared; pushes resume")
    else:
        click.echo(f"LINE monthly limit reached at {moment}: reminders wait, receipts retry hourly")
