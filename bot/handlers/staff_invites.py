"""A new staff member sends the invite code ``staff invite`` printed: they are registered at
its store and get the staff rich menu, as ``staff add`` would do with their user id.

A code works once (of concurrent uses, one registers) and until it expires. It never moves a
member of another store's staff unless it was made with ``--move``, and it says so. Wrong
codes are counted per user: after MAX_FAILURES in an hour, codes are not even looked up.
"""

from __future__ import annotations

import logging

import urllib3
from linebot.v3.messaging import ApiException

from bot.domain.records import Store
from bot.domain.staff_invites import invite_code_in
from bot.handlers.base import Context, Input, MessageJson
from bot.handlers.routes import Route, Routes
from bot.line.rich_menus import STAFF_MENU_ALIAS, UserMenus
from bot.log import user_ref
from bot.messages.flex import text_message
from bot.messages.texts import text

log = logging.getLogger(__name__)

#: Wrong invite codes a user may send in an hour before the bot stops looking them up.
MAX_FAILURES = 10


def looks_like_invite(ctx: Context) -> bool:
    """The route check: the text is an invite code (``STAFF-XXXX-XXXX``, in any case)."""
    return invite_code_in(ctx.text) is not None


def accept_invite(ctx: Context) -> list[MessageJson]:
    """Register the sender as staff of the invite's store and link the staff menu."""
    code = invite_code_in(ctx.text)
    registry = ctx.services.staff
    if code is None or registry.invite_failures(ctx.user_id) >= MAX_FAILURES:
        return ctx.say("staff_invite_invalid")
    invite = registry.peek_invite(code)
    if invite is None:
        registry.invite_failure(ctx.user_id)
        log.info("invalid staff invite from %s", user_ref(ctx.user_id))
        return ctx.say("staff_invite_invalid")
    store = _store(ctx, invite.store_id)
    current = registry.is_staff(ctx.user_id)
    if current == invite.store_id:
        return ctx.say("staff_invite_already", store=store.name, store_id=store.store_id)
    if current and not invite.move:
        before = _store(ctx, current)
        return ctx.say(
            "staff_invite_other_store",
            current=before.name,
            current_id=before.store_id,
            store=store.name,
            store_id=store.store_id,
        )
    if registry.take_invite(code) is None:
        return ctx.say("staff_invite_invalid")  # someone used it a moment ago
    registry.add(ctx.user_id, invite.store_id)
    log.info("staff %s registered at %s by invite", user_ref(ctx.user_id), invite.store_id)
    if current:
        before = _store(ctx, current)
        said = text(ctx.language, "staff_invite_moved", old=before.name, store=store.name,
                    store_id=store.store_id)  # fmt: skip
    else:
        said = text(
            ctx.language, "staff_invite_accepted", store=store.name, store_id=store.store_id
        )
    menu = "staff_invite_menu" if _link_staff_menu(ctx) else "staff_invite_no_menu"
    return [text_message(f"{said}\n{text(ctx.language, menu)}")]


def _store(ctx: Context, store_id: str) -> Store:
    return Store(store_id, ctx.services.store.store_name(store_id) or store_id)


def _link_staff_menu(ctx: Context) -> bool:
    """Link the staff rich menu to the new staff member, as ``staff add`` does; False when
    none is deployed yet or LINE failed (``richmenu deploy --relink-staff`` links everyone)."""
    menus = UserMenus(ctx.services.line.api)
    try:
        menu_id = menus.alias_target(STAFF_MENU_ALIAS)
        if menu_id is None:
            return False
        menus.link_user(ctx.user_id, menu_id)
    except (ApiException, urllib3.exceptions.HTTPError) as exc:
        log.warning("staff menu not linked for %s (%s)", user_ref(ctx.user_id), type(exc).__name__)
        return False
    return True


#: Tried before the staff conversation: an invite code is for anyone, staff or not yet.
INVITES = Routes((Route(Input.TEXT, accept_invite, when=looks_like_invite),))
