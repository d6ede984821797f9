"""``flask --app wsgi staff ...``: register store staff and give them the staff rich menu."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import click
import redis
import urllib3
from flask.cli import AppGroup
from linebot.v3.messaging import ApiException

from bot.cli.common import existing_store, store_id_param, when
from bot.domain.durations import parse_duration
from bot.line.rich_menus import STAFF_MENU_ALIAS, UserMenus, describe_error
from bot.log import user_ref
from bot.services import services
from bot.store.staff import StaffRegistry

_USER_ID = re.compile(r"^U[0-9a-f]{32}$")
#: Shortest and longest an invite code may work, in seconds.
INVITE_MIN_TTL, INVITE_MAX_TTL = 600, 7 * 86400
_REDIS_DOWN = "cannot reach Redis ({}); is the bot running?"
_REGISTERED = "the staff member is registered"
T = TypeVar("T")

group = AppGroup("staff", help="Register store staff and give them the staff rich menu.")


@group.command("add")
@click.argument("line_user_id")
@click.option(
    "--store",
    "store_id",
    required=True,
    callback=store_id_param,
    help="The store they work at (case-insensitive).",
)
@click.option(
    "--move",
    is_flag=True,
    help="Move them here if they are staff of another store (a staff member has one store).",
)
def staff_add(line_user_id: str, store_id: str, move: bool) -> None:
    """Register LINE_USER_ID as staff of a store and link the staff rich menu to them.

    Without a LINE user id at hand, use `staff invite`: it prints a code the staff member
    sends to the bot."""
    _check_user_id(line_user_id)
    registry = _registry()
    who = user_ref(line_user_id)
    try:
        store_id = existing_store(services(), store_id)
        current = registry.is_staff(line_user_id)
        if current is not None and current != store_id and not move:
            raise click.ClickException(
                f"{who} is already staff of store {current}; a staff member works at one "
                f"store. Add --move to move them to {store_id}, or `staff remove` them first."
            )
        registry.add(line_user_id, store_id)
    except redis.RedisError as exc:
        raise click.ClickException(_REDIS_DOWN.format(exc)) from None
    if current == store_id:
        click.echo(f"Staff {who} is already registered at store {store_id}.")
    elif current is not None:
        click.echo(f"Staff {who} moved from store {current} to store {store_id}.")
    else:
        click.echo(f"Staff {who} registered at store {store_id}.")
    _link_menu(line_user_id)


@group.command("invite")
@click.option(
    "--store",
    "store_id",
    required=True,
    callback=store_id_param,
    help="The store the new staff member works at (case-insensitive).",
)
@click.option(
    "--valid",
    default="24h",
    show_default=True,
    help="How long the code works, from 10m to 7d (e.g. 30m, 24h, 3d).",
)
@click.option(
    "--move",
    is_flag=True,
    help="Let the code move someone who is staff of another store (else it refuses them).",
)
def staff_invite(store_id: str, valid: str, move: bool) -> None:
    """Print a one-time code that registers whoever sends it to the bot as staff of a store.

    The staff member sends the code to the bot in their own LINE chat; they are registered
    and get the staff rich menu. The code works once and expires after --valid."""
    ttl = _invite_ttl(valid)
    svc = services()
    try:
        store_id = existing_store(svc, store_id)
        code = _registry().create_invite(store_id, ttl, move=move)
        name = svc.store.store_name(store_id) or store_id
    except redis.RedisError as exc:
        raise click.ClickException(_REDIS_DOWN.format(exc)) from None
    click.echo(f"Staff invite for store {store_id} ({name}):")
    click.echo("")
    click.echo(f"    {code}")
    click.echo("")
    moving = " It may move staff of another store here." if move else ""
    click.echo(
        f"Valid until {when(svc, svc.clock() + ttl)}, for one person.{moving} The new staff "
        "member sends it to the bot as a LINE message from their own phone; the bot registers "
        "them and switches them to the staff menu. Only a hash of the code is kept: this is "
        "the one time it is shown."
    )


def _invite_ttl(valid: str) -> int:
    """--valid in seconds, or a usage error."""
    try:
        duration = parse_duration(valid)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--valid") from None
    if duration.months or not INVITE_MIN_TTL <= duration.seconds <= INVITE_MAX_TTL:
        raise click.BadParameter("from 10m to 7d", param_hint="--valid")
    return duration.seconds


def _link_menu(line_user_id: str) -> None:
    """Link the deployed staff menu to a registered staff member, or say why not."""
    api = _rich_menus()
    menu_id = _line("find the staff menu", lambda: api.alias_target(STAFF_MENU_ALIAS), _REGISTERED)
    if menu_id is None:
        click.echo(
            "No staff rich menu is deployed yet: `python -m richmenu deploy` links it to "
            "every registered staff member."
        )
        return
    _line("link the staff menu", lambda: api.link_user(line_user_id, menu_id), _REGISTERED)
    click.echo(f"Staff rich menu {menu_id} linked.")


@group.command("remove")
@click.argument("line_user_id")
def staff_remove(line_user_id: str) -> None:
    """Stop LINE_USER_ID being staff and give them the shoppers' menu back."""
    _check_user_id(line_user_id)
    registry = _registry()
    try:
        store_id = registry.is_staff(line_user_id)
    except redis.RedisError as exc:
        raise click.ClickException(_REDIS_DOWN.format(exc)) from None
    if store_id is None:
        raise click.ClickException(f"{user_ref(line_user_id)} is not registered as staff")
    # Unlink first: if LINE fails, nothing changed and the same command can simply be rerun.
    api = _rich_menus()
    _line("unlink the staff menu", lambda: api.unlink_user(line_user_id), "nothing changed")
    try:
        registry.remove(line_user_id)
    except redis.RedisError as exc:
        raise click.ClickException(_REDIS_DOWN.format(exc)) from None
    click.echo(
        f"Staff {user_ref(line_user_id)} removed from store {store_id}; "
        "they see the shoppers' menu again."
    )


@group.command("list")
@click.option(
    "--store",
    "store_id",
    default=None,
    callback=store_id_param,
    help="Only staff of this store (case-insensitive).",
)
def staff_list(store_id: str | None) -> None:
    """List staff members with their LINE user ids (needed to remove them)."""
    svc = services()
    try:
        if store_id is not None:
            store_id = existing_store(svc, store_id)
        members = _registry().list(store_id)
    except redis.RedisError as exc:
        raise click.ClickException(_REDIS_DOWN.format(exc)) from None
    if not members:
        click.echo("No staff registered." if store_id is None else f"No staff at {store_id}.")
        return
    for member in members:
        click.echo(f"{member.line_user_id}  {member.store_id}  added {when(svc, member.added_at)}")


def _check_user_id(line_user_id: str) -> None:
    """Refuse anything that is not a LINE user id (U + 32 hex digits)."""
    if not _USER_ID.match(line_user_id):
        raise click.BadParameter(
            "must be a LINE user id: U followed by 32 hex digits (from a webhook event, "
            "not the LINE ID people search for)",
            param_hint="LINE_USER_ID",
        )


def _registry() -> StaffRegistry:
    """The staff registry on the app's Redis."""
    return services().staff


def _rich_menus() -> UserMenus:
    """Per-user rich menu calls through the app's LINE client."""
    return UserMenus(services().line.api)


def _line(what: str, call: Callable[[], T], state: str) -> T:
    """Run a LINE call; on failure say what failed, what ``state`` things are in, what to do."""
    try:
        return call()
    except ApiException as exc:
        message = describe_error(exc)
    except urllib3.exceptions.HTTPError as exc:
        message = f"LINE did not answer ({exc.__class__.__name__})"
    raise click.ClickException(f"could not {what}: {message}; {state}. Run the command again.")
