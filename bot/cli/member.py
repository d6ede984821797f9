"""``flask --app wsgi member ...``: look up members and adjust points with a reason."""

from __future__ import annotations

import json
import uuid

import click
import redis
from flask.cli import AppGroup

from bot.domain.cards import is_valid_member_number
from bot.domain.records import Member, Outcome
from bot.messages import format as fmt
from bot.services import Services, services
from bot.store import keys

group = AppGroup("member", help="Look up, adjust, export and delete members.")

#: Longest accepted adjustment reason; shoppers see it in their history.
MAX_REASON = 100
#: Largest adjustment either way, in points (the largest purchase is 100,000,000 JPY).
MAX_ADJUSTMENT = 100_000_000


def _member(svc: Services, number: str) -> Member:
    if not is_valid_member_number(number):
        raise click.BadParameter("a 13-digit member number from the card", param_hint="NUMBER")
    member_id = svc.store.member_id_by_number(number)
    member = svc.store.member(member_id) if member_id else None
    if member is None:
        raise click.ClickException(f"no member has number {number}")
    return member


def _when(svc: Services, unix: int) -> str:
    return fmt.date_time(fmt.local(unix, svc.settings.program.timezone))


@group.command("show")
@click.argument("number")
@click.option("--history", "count", default=10, show_default=True, help="History entries shown.")
def show(number: str, count: int) -> None:
    """Show a member's balance, rank, live lots and latest history."""
    svc = services()
    try:
        member = _member(svc, number)
        standing = svc.ledger.maintain(member.member_id, svc.clock())
        lots = svc.ledger.lots(member.member_id)
        history = svc.ledger.history(member.member_id, count=max(1, min(count, 1000)))
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis ({exc}); is the bot running?") from None
    assert standing is not None
    rank = svc.settings.program.ranks.for_spend(standing.spend)
    click.echo(f"member {member.number} ({'active' if member.active else 'inactive'})")
    click.echo(f"balance {standing.balance} pt, rank {rank.key} (spend {standing.spend} JPY)")
    for lot in lots:
        click.echo(f"  lot {lot.remaining}/{lot.amount} pt expires {_when(svc, lot.expires_at)}")
    for entry in history:
        extra = " ".join(f"{k}={v}" for k, v in sorted(entry.fields.items()))
        click.echo(
            f"  {_when(svc, entry.at)} {entry.kind:8} {entry.points:+d} -> {entry.balance} {extra}"
        )


@group.command("adjust")
@click.argument("number")
@click.option("--points", type=int, required=True, help="Signed amount, e.g. 100 or -50.")
@click.option("--reason", required=True, help="Why; shown to the shopper in the history.")
@click.option("--key", help="Idempotency key: repeating a command with the same key is safe.")
def adjust(number: str, points: int, reason: str, key: str | None) -> None:
    """Add or remove points with a reason; never takes the balance below zero."""
    if points == 0 or abs(points) > MAX_ADJUSTMENT:
        raise click.BadParameter(
            f"a non-zero number from -{MAX_ADJUSTMENT} to {MAX_ADJUSTMENT}", param_hint="--points"
        )
    if not reason.strip() or len(reason) > MAX_REASON:
        raise click.BadParameter(f"1-{MAX_REASON} characters", param_hint="--reason")
    if key is not None and not (1 <= len(key) <= 64 and key.isprintable()):
        raise click.BadParameter("1-64 printable characters", param_hint="--key")
    svc = services()
    try:
        member = _member(svc, number)
        status, balance = svc.ledger.adjust(
            member_id=member.member_id,
            now=svc.clock(),
            op_key=keys.adjustment_op(key or str(uuid.uuid4())),
            amount=points,
            reason=reason.strip(),
        )
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis ({exc}); is the bot running?") from None
    if status is Outcome.INSUFFICIENT:
        raise click.ClickException(
            f"the balance is {balance} pt; removing {-points} would take it below zero"
        )
    if status is Outcome.CONFLICT:
        raise click.ClickException(f"key {key} was already used for a different adjustment")
    replay = " (already applied with this key)" if status is Outcome.REPLAYED else ""
    click.echo(f"member {member.number}: balance {balance} pt{replay}")


@group.command("export")
@click.argument("number")
def export(number: str) -> None:
    """Print everything kept about a member as JSON (for a shopper's data request)."""
    svc = services()
    try:
        member = _member(svc, number)
        standing = svc.ledger.maintain(member.member_id, svc.clock())
        lots = svc.ledger.lots(member.member_id)
        history = svc.ledger.history(member.member_id, count=1_000_000)
        tickets = svc.tickets.tickets(member.member_id)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis ({exc}); is the bot running?") from None
    assert standing is not None
    document = {
        "member_number": member.number,
        "display_name": member.display_name,
        "language": member.language,
        "active": member.active,
        "reminders": member.reminders,
        "balance": standing.balance,
        "rank": svc.settings.program.ranks.for_spend(standing.spend).key,
        "spend_in_rank_window": standing.spend,
        "lots": [
            {"points": lot.remaining, "granted": lot.amount, "expires": _when(svc, lot.expires_at)}
            for lot in lots
        ],
        "history": [
            {"at": _when(svc, e.at), "kind": e.kind, "points": e.points, "balance": e.balance,
             **e.fields}
            for e in reversed(history)
        ],
        # Not the codes: an unused ticket's code would work at the till for whoever reads it.
        "tickets": [
            {"number": t.number, "reward": t.reward, "state": t.state.value, "source": t.source,
             "issued": _when(svc, t.issued_at), "expires": _when(svc, t.expires_at),
             **({"used": _when(svc, t.used_at)} if t.used_at else {})}
            for t in reversed(tickets)
        ],
    }  # fmt: skip
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


@group.command("delete")
@click.argument("number")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(number: str, yes: bool) -> None:
    """Forget a member: card, points and history. Cannot be undone."""
    svc = services()
    try:
        member = _member(svc, number)
        if not yes:
            click.confirm(
                f"Delete member {member.number} with {member.balance} points and all history?",
                abort=True,
            )
        svc.store.delete_member(member.member_id)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis ({exc}); is the bot running?") from None
    click.echo(f"member {member.number} deleted; the card no longer works")
