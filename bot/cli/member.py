"""``flask --app wsgi member ...``: look up members and adjust points with a reason."""

from __future__ import annotations

import json
import uuid

import click
import redis
from flask.cli import AppGroup

from bot.cli.common import count, when
from bot.domain.cards import parse_member_number
from bot.domain.records import Entry, Lot, Member, Outcome
from bot.messages import format as fmt
from bot.operations.adjustments import adjust_points
from bot.services import Services, services

group = AppGroup("member", help="Look up, adjust, export and delete members.")

#: Longest accepted adjustment reason; shoppers see it in their history.
MAX_REASON = 100
#: Largest adjustment either way, in points (the largest purchase is 100,000,000 JPY).
MAX_ADJUSTMENT = 100_000_000
_NUMBER_HELP = (
    "NUMBER is the 13-digit member number, typed as the card prints it or not: "
    "'2 912345 678906', '2912-3456-78906' and '2912345678906' are one member."
)
#: History entry kinds as an admin reads them.
_KINDS = {
    "earn": "purchase",
    "redeem": "points used",
    "restore": "refund: used points back",
    "reverse": "refund: earned points back",
    "expire": "expired",
    "adjust": "adjustment",
}
#: History entry fields as an admin reads them (others are shown by their own name).
_FIELDS = {"s": "store", "r": "reason", "ref": "ref", "x": "lot expires", "src": "from"}


def _member(svc: Services, typed: str) -> Member:
    number = parse_member_number(typed)
    if number is None:
        raise click.BadParameter(
            "a 13-digit member number from the card (spaces and hyphens are fine)",
            param_hint="NUMBER",
        )
    member_id = svc.store.member_id_by_number(number)
    member = svc.store.member(member_id) if member_id else None
    if member is None:
        raise click.ClickException(f"no member has number {fmt.member_number(number)}")
    return member


def _iso(svc: Services, unix: int) -> str:
    """A moment for the export: ISO 8601 in the program's time zone, with its offset."""
    return fmt.local(unix, svc.settings.program.timezone).isoformat()


def _exported(svc: Services, entry: Entry) -> dict[str, object]:
    """A history entry for the export, its moments (``at``, a lot's expiry, a sale's own
    time) as ``_iso``."""
    fields: dict[str, object] = dict(entry.fields)
    for moment in ("x", "o"):  # a lot's expiry; when the till says the sale happened
        if str(fields.get(moment, "")).isdigit():
            fields[moment] = _iso(svc, int(entry.fields[moment]))
    return {"at": _iso(svc, entry.at), "kind": entry.kind, "points": entry.points,
            "balance": entry.balance, **fields}  # fmt: skip


def _label(name: str, value: str) -> str:
    return f"{name + ':':<15}{value}"


@group.command("show", epilog=_NUMBER_HELP)
@click.argument("number")
@click.option(
    "--history",
    "entries",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="History entries shown.",
)
def show(number: str, entries: int) -> None:
    """Show a member: balance, rank, live lots and latest history (times in the program's
    time zone)."""
    svc = services()
    try:
        member = _member(svc, number)
        standing = svc.ledger.maintain(member.member_id, svc.clock())
        lots = svc.ledger.lots(member.member_id)
        history = svc.ledger.history(member.member_id, count=entries)
        stores = {
            store_id: svc.store.store_name(store_id)
            for store_id in {e.fields["s"] for e in history if "s" in e.fields}
        }
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis ({exc}); is the bot running?") from None
    assert standing is not None
    ranks = svc.settings.program.ranks
    rank = ranks.for_spend(standing.spend)
    following = "active (a friend of the account)" if member.active else "inactive (blocked)"
    reminders = "reminders on" if member.reminders else "reminders off"
    spend = f"{fmt.number(standing.spend)} JPY spent in the rank window"
    upper = ranks.next_after(rank)
    next_rank = f"; {upper.key} from {fmt.number(upper.threshold)} JPY" if upper else ""
    click.echo(_label("Member number", f"{fmt.member_number(member.number)}  ({member.number})"))
    click.echo(_label("Display name", member.display_name or "(none)"))
    click.echo(_label("Language", member.language))
    click.echo(_label("Status", f"{following}; {reminders}"))
    click.echo(_label("Balance", f"{fmt.number(standing.balance)} pt"))
    click.echo(_label("Rank", f"{rank.key} ({rank.name_en}), {spend}{next_rank}"))
    click.echo(
        _label("Lots", f"{count(len(lots), 'live lot')}" + (", soonest first" if lots else ""))
    )
    for lot in lots:
        click.echo(f"  {_lot(svc, lot)}")
    shown = count(len(history), "entry", "entries")
    click.echo(_label("History", f"latest {shown}, newest first" if history else "none"))
    for entry in history:
        click.echo(f"  {_entry(svc, entry, stores)}")


def _lot(svc: Services, lot: Lot) -> str:
    return (
        f"{fmt.number(lot.remaining)} of {fmt.number(lot.amount)} pt, "
        f"expires {when(svc, lot.expires_at)}"
    )


def _entry(svc: Services, entry: Entry, stores: dict[str, str]) -> str:
    details = []
    order = list(_FIELDS)
    for name, value in sorted(
        entry.fields.items(), key=lambda f: (order.index(f[0]) if f[0] in _FIELDS else 99, f[0])
    ):
        if name not in _FIELDS and value == "0":
            continue  # a refund's counters (shortfall, lost, ...) when there is nothing to say
        if name == "s":
            value = f"{value} ({stores.get(value, value)})"
        elif name == "x" and value.isdigit():
            value = when(svc, int(value))
        details.append(f"{_FIELDS.get(name, name)} {value}")
    kind = _KINDS.get(entry.kind, entry.kind)
    return "  ".join(
        [
            when(svc, entry.at),
            f"{kind:<26}",
            f"{entry.points:+,} pt".rjust(9),
            f"balance {fmt.number(entry.balance)} pt",
            *details,
        ]
    )


@group.command("adjust", epilog=_NUMBER_HELP)
@click.argument("number")
@click.option("--points", type=int, required=True, help="Signed amount, e.g. 100 or -50.")
@click.option("--reason", required=True, help="Why; shown to the shopper in the history.")
@click.option("--key", help="Idempotency key: repeating a command with the same key is safe.")
def adjust(number: str, points: int, reason: str, key: str | None) -> None:
    """Add or remove points with a reason; never takes the balance below zero. The shopper
    gets one LINE message saying so (after quiet hours)."""
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
        status, balance = adjust_points(
            svc, member.member_id, points, reason.strip(), key or str(uuid.uuid4())
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


@group.command("export", epilog=_NUMBER_HELP)
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
            {"points": lot.remaining, "granted": lot.amount, "expires": _iso(svc, lot.expires_at)}
            for lot in lots
        ],
        "history": [_exported(svc, e) for e in reversed(history)],
        # Not the codes: an unused ticket's code would work at the till for whoever reads it.
        "tickets": [
            {"number": t.number, "reward": t.reward, "state": t.state.value, "source": t.source,
             "issued": _iso(svc, t.issued_at), "expires": _iso(svc, t.expires_at),
             **({"used": _iso(svc, t.used_at)} if t.used_at else {})}
            for t in reversed(tickets)
        ],
    }  # fmt: skip
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


@group.command("delete", epilog=_NUMBER_HELP)
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
