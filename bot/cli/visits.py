"""``flask --app wsgi store beacon|checkin ...``: what a store's entrance needs for check-ins:
its LINE Beacons, the secret URL of its entrance screen, and a printable poster."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from linebot.v3.messaging import ApiException

from bot.cli.common import existing_store, redis_errors, store_id_param
from bot.cli.store import group
from bot.imaging.checkin_image import poster_png
from bot.messages import format as fmt
from bot.operations import visits
from bot.services import services

#: A LINE Beacon hardware id: 10 hexadecimal digits (LINE Official Account Manager shows it).
HWID = re.compile(r"^[0-9a-f]{10}\Z")


def _hwid(ctx: click.Context, param: click.Parameter, value: str) -> str:
    cleaned = value.strip().lower()
    if not HWID.match(cleaned):
        raise click.BadParameter("a LINE Beacon hardware id is 10 hexadecimal digits")
    return cleaned


@click.group("beacon")
def beacon() -> None:
    """LINE Beacons at store entrances: an `enter` checks a member in."""


@beacon.command("add")
@click.argument("store_id", callback=store_id_param)
@click.argument("hwid", callback=_hwid)
@with_appcontext
def beacon_add(store_id: str, hwid: str) -> None:
    """Register the beacon HWID at STORE_ID's entrance."""
    svc = services()
    with redis_errors():
        store_id = existing_store(svc, store_id)
        before = svc.visits.add_beacon(hwid, store_id)
    if before == store_id:
        click.echo(f"beacon {hwid} was already at {store_id}")
    elif before:
        click.echo(f"beacon {hwid} moved from {before} to {store_id}")
    else:
        click.echo(f"beacon {hwid} registered at {store_id}")


@beacon.command("remove")
@click.argument("hwid", callback=_hwid)
@with_appcontext
def beacon_remove(hwid: str) -> None:
    """Forget the beacon HWID: its events check no one in any more."""
    with redis_errors():
        removed = services().visits.remove_beacon(hwid)
    click.echo(f"beacon {hwid} removed" if removed else f"beacon {hwid} was not registered")


@beacon.command("list")
@with_appcontext
def beacon_list() -> None:
    """Every registered beacon and its store."""
    with redis_errors():
        found = services().visits.beacons()
    for hwid, store_id in sorted(found.items(), key=lambda item: (item[1], item[0])):
        click.echo(f"{store_id}  {hwid}")
    if not found:
        click.echo("no beacons registered")


@click.command("checkin")
@click.argument("store_id", callback=store_id_param)
@click.option(
    "--poster",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write a printable poster (PNG) whose code works on --day only.",
)
@click.option("--rotate", is_flag=True, help="A new URL: the screen's old URL stops working.")
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The poster's day (default: today, in the program's time zone).",
)
@with_appcontext
def checkin(store_id: str, poster: Path | None, rotate: bool, day: datetime | None) -> None:
    """Print STORE_ID's entrance screen URL (keep it secret: whoever opens it can check in)."""
    svc = services()
    with redis_errors():
        store_id = existing_store(svc, store_id)
        name = svc.store.store_name(store_id)
    click.echo(f"entrance screen for {store_id} ({name}); open it on the screen at the door:")
    with redis_errors():
        url = visits.screen_url(svc, store_id, rotate=rotate)
    click.echo(url)
    if rotate:
        click.echo("the screen's earlier URL no longer works: open this one on it")
    if poster is None:
        return
    on: date = day.date() if day else visits.local_today(svc)
    try:
        link = visits.entrance_link(svc, store_id, visits.poster_code(svc, store_id, on))
    except ApiException as exc:
        raise click.ClickException(f"LINE did not give the bot's basic ID ({exc.status})") from None
    label = fmt.long_date("ja", on)
    try:
        poster.write_bytes(poster_png(svc.settings.program, name, link, label))
    except OSError as exc:
        raise click.ClickException(f"cannot write {poster}: {exc.strerror}") from None
    click.echo(f"poster for {on.isoformat()} written to {poster} (its code works that day only)")


def register() -> None:
    """Add ``beacon`` and ``checkin`` to the ``store`` group."""
    group.add_command(beacon)
    group.add_command(checkin)
