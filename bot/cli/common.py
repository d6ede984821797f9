"""What every command group shares: how store ids are read, how times and counts are written,
and what to say when Redis does not answer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click
import redis

from bot.domain.stores import STORE_ID_RULE, canonical_store_id
from bot.messages import format as fmt
from bot.services import Services


def store_id_param(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: a typed store id in its canonical (upper-case) form, or a usage error."""
    if value is None:
        return None
    canonical = canonical_store_id(value)
    if canonical is None:
        raise click.BadParameter(STORE_ID_RULE)
    return canonical


def existing_store(svc: Services, store_id: str) -> str:
    """The id a registered store is kept under (see ``resolve_store_id``), or a clear error."""
    found = svc.store.resolve_store_id(store_id)
    if found is None:
        raise click.ClickException(
            f"no store {store_id}; see 'store list', or add it with 'store add'"
        )
    return found


@contextmanager
def redis_errors() -> Iterator[None]:
    """Turn Redis being unreachable into one clear line instead of a traceback."""
    try:
        yield
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis ({exc}); is the bot running?") from None


def when(svc: Services, moment: int | float | datetime) -> str:
    """A moment (Unix seconds or an aware datetime) in the program's time zone, with the zone:
    ``2026-11-22 10:05:03 JST``."""
    zone = svc.settings.program.timezone
    local = (
        moment.astimezone(zone) if isinstance(moment, datetime) else fmt.local(int(moment), zone)
    )
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``1 lot``, ``2 lots``, ``0 lots`` (``plural`` for words that are not just ``+s``)."""
    return f"{fmt.number(n)} {singular if n == 1 else plural or singular + 's'}"
