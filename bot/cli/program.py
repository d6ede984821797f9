"""``flask --app wsgi program check``: validate a program file before deploying it."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import AppGroup

from bot.config import DEFAULT_PROGRAM
from bot.domain.durations import Duration
from bot.domain.program import ProgramError, load_program

group = AppGroup("program", help="The loyalty program file.")


@group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def check(path: Path | None) -> None:
    """Validate PATH (default: LOYALTY_PROGRAM, else the bundled example)."""
    target = path or Path(os.environ.get("LOYALTY_PROGRAM") or DEFAULT_PROGRAM)
    try:
        program = load_program(target)
    except ProgramError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None
    earn, tiers = program.earn, program.ranks.tiers
    click.echo(f"{target}: ok")
    click.echo(f"  earn {earn.points} pt per {earn.per_yen} JPY ({earn.rounding})")
    click.echo("  ranks: " + ", ".join(f"{t.key} from {t.threshold} JPY" for t in tiers))
    for reward in program.rewards:
        cost = f"{reward.cost} pt" if reward.cost is not None else "goal tickets only"
        stock = f", stock {reward.stock}" if reward.stock is not None else ""
        click.echo(f"  reward {reward.key}: {cost}, valid {_span(reward.valid)}{stock}")
    rules = program.visits
    click.echo(
        f"  visits: {rules.points} pt a check-in, one per store a day, at most "
        f"{rules.monthly_cap} a month; entrance code changes every {rules.code_window} s"
    )
    for goal in program.goals:
        when = f"after {goal.visits} visits" if goal.visits is not None else f"at rank {goal.rank}"
        click.echo(f"  goal: {goal.reward} {when}")


def _span(duration: Duration) -> str:
    if duration.months:
        return f"{duration.months} months"
    return (
        f"{duration.seconds // 86400} days"
        if duration.seconds % 86400 == 0
        else f"{duration.seconds} s"
    )
