"""``flask --app wsgi jobs ...``: run scheduled jobs now."""

from __future__ import annotations

import click
import redis
from flask.cli import AppGroup

from bot.jobs.sweep import sweep
from bot.services import services

group = AppGroup("jobs", help="Run scheduled jobs now.")


@group.command("expiry")
@click.option("--dry-run", is_flag=True, help="Report what is due without changing anything.")
def expiry(dry_run: bool) -> None:
    """Expire due points and age rank windows for every member with something due."""
    svc = services()
    try:
        report = sweep(svc, svc.clock(), dry_run=dry_run)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis ({exc}); is the bot running?") from None
    verb = "would expire" if dry_run else "expired"
    click.echo(
        f"{report.members} members due: {verb} {report.points_expired} points "
        f"in {report.lots_expired} lots"
    )
