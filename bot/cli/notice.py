"""``flask --app wsgi notice send FILE [segment options]``: a message to a segment of members."""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path

import click
from flask.cli import AppGroup
from linebot.v3.messaging import ApiException

from bot.cli.common import count, existing_store, redis_errors, store_id_param
from bot.domain.durations import parse_duration
from bot.domain.notices import NoticeError, parse_notice
from bot.operations import campaigns
from bot.operations.campaigns import CampaignError, Segment
from bot.services import services

group = AppGroup("notice", help="Messages to members: a segment, once each, resumable.")


def _duration(ctx: click.Context, param: click.Parameter, value: str | None):
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@group.command("send")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rank", "ranks", multiple=True, help="Only members of this rank (repeatable).")
@click.option("--store", callback=store_id_param, help="Last bought or visited at this store.")
@click.option("--active-days", type=click.IntRange(1, 3650), help="Active in the last N days.")
@click.option("--inactive-days", type=click.IntRange(1, 3650), help="Not active for N days.")
@click.option("--min-balance", type=click.IntRange(0), help="With at least this many points.")
@click.option("--expiring-within", callback=_duration, help="Points expiring within, e.g. 14d.")
@click.option("--lang", type=click.Choice(["ja", "en"]), help="Only this language.")
@click.option("--id", "campaign_id", help="The campaign id: a rerun with it resumes, once each.")
@click.option("--dry-run", is_flag=True, help="Count and cost only; send nothing.")
@click.option("--up-to-quota", is_flag=True, help="Send what the monthly quota allows, then stop.")
def send(file: Path, ranks: tuple[str, ...], store: str | None, active_days: int | None,
         inactive_days: int | None, min_balance: int | None, expiring_within, lang: str | None,
         campaign_id: str | None, dry_run: bool, up_to_quota: bool) -> None:  # fmt: skip
    """Send the message(s) in FILE (Messaging API JSON: one object or a list of up to 5)."""
    svc = services()
    try:
        messages = parse_notice(file.read_text(encoding="utf-8"))
    except (NoticeError, UnicodeDecodeError) as exc:
        problems = exc.problems if isinstance(exc, NoticeError) else [str(exc)]
        raise click.ClickException(f"{file}: " + "; ".join(problems)) from None
    known = [t.key for t in svc.settings.program.ranks.tiers]
    unknown = [r for r in ranks if r not in known]
    if unknown:
        raise click.BadParameter(
            f"{unknown[0]!r} is not a rank ({', '.join(known)})", param_hint="--rank"
        )
    with redis_errors():
        if store is not None:
            store = existing_store(svc, store)
        segment = Segment(
            ranks=tuple(ranks), store=store, active_days=active_days,
            inactive_days=inactive_days, min_balance=min_balance,
            expiring_within=expiring_within, language=lang,
        )  # fmt: skip
        name = campaign_id or f"notice-{time.strftime('%Y%m%d')}-{secrets.token_hex(3)}"
        try:
            if dry_run:
                _describe(campaigns.plan(svc, name, messages, segment))
                return
            if campaign_id is None:
                click.echo(f"campaign id {name} (rerun with --id {name} to resume)")
            done = campaigns.send(
                svc, name, messages, segment, up_to_quota=up_to_quota, progress=_progress(),
            )  # fmt: skip
        except CampaignError as exc:
            raise click.ClickException(str(exc)) from None
        except ApiException as exc:
            raise click.ClickException(
                f"LINE answered {exc.status}; nothing more was sent. Rerun with --id {name}: "
                "what LINE accepted is not sent again"
            ) from None
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(
        f"sent to {count(done.sent_now, 'member')} in {count(done.batches_now, 'multicast')}; "
        f"{count(done.already_sent, 'member')} had it already; "
        f"{count(done.members, 'member')} in the campaign"
    )
    if done.stopped_at_quota:
        click.echo("stopped at the monthly quota; rerun with the same --id once there is more")


def _describe(plan: campaigns.Plan) -> None:
    click.echo("dry run: nothing sent")
    click.echo(f"  members: {plan.members:,} ({plan.already_sent:,} reached already)")
    click.echo(f"  requests: {plan.requests:,} multicasts of up to {campaigns.BATCH}")
    for reason, n in sorted(plan.left_out.items()):
        click.echo(f"  left out ({reason}): {n:,}")
    if plan.quota_limit is None:
        click.echo(f"  monthly quota: no limit ({plan.quota_used:,} used this month)")
    else:
        share = 100 * plan.to_send / plan.quota_limit if plan.quota_limit else 100.0
        click.echo(
            f"  monthly quota: {plan.quota_used:,} of {plan.quota_limit:,} used; this uses "
            f"{plan.to_send:,} ({share:.1f} %), {plan.quota_left:,} left before it"
        )
        if plan.quota_left is not None and plan.to_send > plan.quota_left:
            click.echo("  over the quota: a send is refused (or --up-to-quota sends what fits)")


def _progress():
    started = time.monotonic()

    def show(sent: int, total: int) -> None:
        elapsed = time.monotonic() - started
        eta = elapsed / sent * (total - sent) if sent else 0
        line = f"  {sent:,} / {total:,} sent, about {eta:.0f} s left"
        if sys.stderr.isatty():
            click.echo("\r" + line, nl=False, err=True)
        else:
            click.echo(line, err=True)

    return show
