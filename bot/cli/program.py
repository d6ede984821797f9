"""``flask --app wsgi program check``: validate a program file before deploying it."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import AppGroup

from bot.config import DEFAULT_PROGRAM
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
