"""``flask --app wsgi store ...``: register stores and manage their POS API keys."""

from __future__ import annotations

import re

import click
import redis
from flask.cli import AppGroup

from bot.services import services
from bot.store.redis_store import DuplicateStoreError

_STORE_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

group = AppGroup("store", help="Register stores and manage their POS API keys.")


@group.command("add")
@click.argument("store_id")
@click.option("--name", required=True, help="The store's name, shown on receipts.")
def store_add(store_id: str, name: str) -> None:
    """Register STORE_ID and print its API key (shown once, stored only as a hash)."""
    if not _STORE_ID.match(store_id):
        raise click.BadParameter("use 1-32 letters, digits, '_' or '-'", param_hint="STORE_ID")
    if not name.strip() or len(name) > 100:
        raise click.BadParameter("must be 1-100 characters", param_hint="--name")
    try:
        api_key = services().store.add_store(store_id, name.strip())
    except DuplicateStoreError:
        raise click.ClickException(
            f"store {store_id} already exists; use 'store rotate-key' for a new key"
        ) from None
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis ({exc}); is the bot running?") from None
    click.echo(f"Store {store_id} registered. Its POS API key (shown only now):")
    click.echo(api_key)


@group.command("rotate-key")
@click.argument("store_id")
def store_rotate_key(store_id: str) -> None:
    """Give STORE_ID a new API key and revoke the old one at once."""
    try:
        api_key = services().store.rotate_key(store_id)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis ({exc}); is the bot running?") from None
    if api_key is None:
        raise click.ClickException(f"no store {store_id}; add it with 'store add'")
    click.echo(f"New POS API key for {store_id} (the old one no longer works):")
    click.echo(api_key)
