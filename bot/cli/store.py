"""``flask --app wsgi store ...``: register stores, list and rename them, manage their POS API
keys. Store ids are case-insensitive and kept in upper case (``s002`` is store ``S002``)."""

from __future__ import annotations

from collections import Counter

import click
from flask.cli import AppGroup

from bot.cli.common import count, existing_store, redis_errors, store_id_param
from bot.services import services
from bot.store.redis_store import DuplicateStoreError

#: Longest store name; receipts and histories show it.
MAX_NAME = 100

group = AppGroup("store", help="Register stores, list and rename them, manage their API keys.")

_STORE_ID_HELP = "STORE_ID is case-insensitive: s001 and S001 are one store, kept as S001."


def _name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_NAME or not cleaned.isprintable():
        raise click.BadParameter(f"must be 1-{MAX_NAME} printable characters", param_hint="--name")
    return cleaned


@group.command("add", epilog=_STORE_ID_HELP)
@click.argument("store_id", callback=store_id_param)
@click.option("--name", required=True, help="The store's name, shown on receipts.")
def store_add(store_id: str, name: str) -> None:
    """Register STORE_ID and print its API key (shown once, stored only as a hash)."""
    name = _name(name)
    with redis_errors():
        try:
            api_key = services().store.add_store(store_id, name)
        except DuplicateStoreError as exc:
            raise click.ClickException(
                f"store {exc} already exists; use 'store rotate-key' for a new key"
            ) from None
    click.echo(f"Store {store_id} registered. Its POS API key (shown only now):")
    click.echo(api_key)


@group.command("rotate-key", epilog=_STORE_ID_HELP)
@click.argument("store_id", callback=store_id_param)
def store_rotate_key(store_id: str) -> None:
    """Give STORE_ID a new API key and revoke the old one at once."""
    svc = services()
    with redis_errors():
        store_id = existing_store(svc, store_id)
        api_key = svc.store.rotate_key(store_id)
    if api_key is None:
        raise click.ClickException(f"no store {store_id}; add it with 'store add'")
    click.echo(f"New POS API key for {store_id} (the old one no longer works):")
    click.echo(api_key)


@group.command("rename", epilog=_STORE_ID_HELP)
@click.argument("store_id", callback=store_id_param)
@click.option("--name", required=True, help="The new name, shown on receipts and histories.")
def store_rename(store_id: str, name: str) -> None:
    """Give STORE_ID a new name; its API key and staff stay as they are."""
    name = _name(name)
    svc = services()
    with redis_errors():
        store_id = existing_store(svc, store_id)
        old = svc.store.store_name(store_id)
        if not svc.store.rename_store(store_id, name):
            raise click.ClickException(f"no store {store_id}; add it with 'store add'")
    if old == name:
        click.echo(f"Store {store_id} is already named {name!r}; nothing changed.")
        return
    click.echo(
        f"Store {store_id} renamed from {old!r} to {name!r}. "
        "Running processes show the new name within a minute."
    )


@group.command("list")
def store_list() -> None:
    """List the stores: id, name, whether it has an API key, how many staff (no keys shown)."""
    svc = services()
    with redis_errors():
        stores = svc.store.store_summaries()
        staff = Counter(member.store_id for member in svc.staff.list())
    if not stores:
        click.echo("No stores registered; add one with 'store add STORE_ID --name NAME'.")
        return
    width = max(len("ID"), *(len(store_id) for store_id, _, _ in stores))
    click.echo(f"{'ID':<{width}}  {'API KEY':<7}  {'STAFF':>5}  NAME")
    for store_id, name, has_key in stores:
        key = "yes" if has_key else "none"
        click.echo(f"{store_id:<{width}}  {key:<7}  {staff[store_id]:>5}  {name}")
    click.echo(count(len(stores), "store") + ".")
