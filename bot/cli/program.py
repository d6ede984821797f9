"""``flask --app wsgi program check``: validate a program file and print what it means."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import click
from flask.cli import AppGroup

from bot.config import DEFAULT_PROGRAM
from bot.domain.durations import Duration
from bot.domain.program import Program, ProgramError, load_program

group = AppGroup("program", help="The loyalty program file.")


@group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def check(path: Path | None) -> None:
    """Validate PATH (default: LOYALTY_PROGRAM, else the bundled example) and print the
    program it describes, defaults included."""
    target = path or Path(os.environ.get("LOYALTY_PROGRAM") or DEFAULT_PROGRAM)
    try:
        program = load_program(target)
    except ProgramError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None
    click.echo(f"{target}: ok")
    for line in describe(program):
        click.echo(f"  {line}")


def describe(program: Program) -> Iterator[str]:
    """The effective program, one setting a line, defaults filled in: what the bot will do."""
    earn, points, card, reminders = program.earn, program.points, program.card, program.reminders
    yield f"program: {program.name}, time zone {program.timezone.key}"
    paid = "the part paid in money" if earn.exclude_points_used else "the whole amount"
    rounded = _ROUNDING[earn.rounding]
    yield f"earn: {earn.points} pt per {earn.per_yen} JPY of {paid}, {rounded} ({earn.rounding})"
    until = ", then to the end of that month" if points.end_of_month else ""
    yield f"points: each grant lives {span(points.lifetime)}{until}"
    yield (
        f"history: kept {span(points.history_retention)} in Redis, older entries archived "
        "by the daily sweep (still in `export transactions`)"
    )
    yield f"ranks: by spend over the last {span(program.ranks.window)}"
    for tier in program.ranks.tiers:
        yield (
            f"  rank {tier.key} ({tier.name} / {tier.name_en}, {tier.color}): from "
            f"{tier.threshold:,} JPY, earns x{_number(tier.multiplier)}"
        )
    offsets = ", ".join(span(o) for o in reminders.offsets) or "none"
    quiet = str(reminders.quiet_hours) if reminders.quiet_hours else "off"
    yield f"reminders: {offsets} before points expire; daily sweep at {reminders.send_hour}:00"
    yield f"quiet hours: {quiet} (reminders and notices wait; receipts do not)"
    tickets = ", ".join(span(o) for o in program.ticket_reminders) or "none"
    yield f"ticket reminders: {tickets} before a ticket's last moment"
    yield f"card: store name {card.store_name!r}, in English {card.store_label('en')!r}"
    yield (
        f"card colours: background {card.background}, foreground {card.foreground}, "
        f"accent {card.accent}; logo {card.logo.name if card.logo else 'none'}"
    )
    if program.code_mode == "rotating":
        code = f"rotating, a new code every {span(Duration(seconds=program.code_window))}"
    else:
        code = "static (the member number as EAN-13)"
    yield f"card code: {code}; member numbers start {program.number_prefix}"
    if not program.rewards:
        yield "rewards: none"
    for reward in program.rewards:
        cost = f"{reward.cost:,} pt" if reward.cost is not None else "goal tickets only"
        stock = f", stock {reward.stock:,}" if reward.stock is not None else ""
        image = f", image {reward.image.name}" if reward.image else ""
        yield (
            f"reward {reward.key} ({reward.name} / {reward.name_en}): {cost}, "
            f"ticket valid {span(reward.valid)}{stock}{image}"
        )
    if not program.goals:
        yield "goals: none"
    for goal in program.goals:
        when = f"after {goal.visits} visits" if goal.visits is not None else f"at rank {goal.rank}"
        yield f"goal: a {goal.reward} ticket {when}"
    visits, messages = program.visits, program.messages
    yield (
        f"visits: {visits.points} pt per check-in (one per store and local day), at most "
        f"{visits.monthly_cap} a month; entrance code changes every "
        f"{span(Duration(seconds=visits.code_window))}"
    )
    hours = str(messages.hours) if messages.hours else "any time"
    opt_in = "only to members who opted in" if messages.opt_in else "to every member"
    yield f"notices: {opt_in}, in the local hours {hours}"


_ROUNDING = {"floor": "rounded down", "round": "rounded to the nearest", "ceil": "rounded up"}


def span(duration: Duration) -> str:
    """A duration of the program file in words: ``12 months``, ``90 days``, ``30 seconds``."""
    if duration.months:
        return _plural(duration.months, "month")
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if duration.seconds % size == 0:
            return _plural(duration.seconds // size, unit)
    return _plural(duration.seconds, "second")


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _number(value: object) -> str:
    """A multiplier as written in the file: ``1``, ``1.5``."""
    as_float = float(value)  # type: ignore[arg-type]
    return f"{as_float:g}"
