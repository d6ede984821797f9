"""``flask --app wsgi export transactions|members --since 30d [--store S001] --out FILE.csv``."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from flask.cli import AppGroup

from bot.cli.common import count, existing_store, redis_errors, store_id_param
from bot.domain.durations import parse_duration
from bot.operations import exports
from bot.services import Services, services

group = AppGroup("export", help="CSV files for a spreadsheet (UTF-8 with BOM, for Excel).")

Rows = Callable[[Services, int, str | None], Iterator[list[str]]]


def _options(command):
    command = click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                           help="The CSV file to write.")(command)  # fmt: skip
    command = click.option("--store", callback=store_id_param, help="Only this store.")(command)
    return click.option("--since", required=True, help="How far back: 7d, 30d, 12mo.")(command)


def _write(out: Path, header: tuple[str, ...], rows: Rows, since: str, store: str | None) -> None:
    try:
        span = parse_duration(since).approx_seconds()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    svc = services()
    written = 0
    with redis_errors():
        if store is not None:
            store = existing_store(svc, store)
        try:
            # utf-8-sig: the BOM makes Excel in Japan read the file as UTF-8, not Shift_JIS.
            with out.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(header)
                for row in rows(svc, svc.clock() - span, store):
                    writer.writerow(row)
                    written += 1
        except OSError as exc:
            raise click.ClickException(f"cannot write {out}: {exc.strerror}") from None
    click.echo(f"{count(written, 'row')} written to {out}")


@group.command("members")
@_options
def members(since: str, store: str | None, out: Path) -> None:
    """Members active (or, without --store, joined) in the period."""
    _write(out, exports.MEMBER_COLUMNS, exports.member_rows, since, store)


@group.command("transactions")
@_options
def transactions(since: str, store: str | None, out: Path) -> None:
    """Every ledger step of the period: purchases, refunds, expiry, tickets, check-ins."""
    _write(out, exports.TRANSACTION_COLUMNS, exports.transaction_rows, since, store)
