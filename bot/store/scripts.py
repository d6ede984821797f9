"""Every Lua script of the bot: read from ``lua/`` once per process, registered once per client.

A ledger script is ``ledger_common.lua`` (its keys and helpers) followed by its own file.
Repositories take their scripts from here instead of loading files themselves.
"""

from __future__ import annotations

import functools
import weakref
from importlib import resources

import redis
from redis.commands.core import Script

#: Scripts that run on a member's ledger keys, with the shared prelude.
LEDGER_SCRIPTS = frozenset(
    {
        "purchase",
        "refund",
        "adjust",
        "maintain",
        "issue_ticket",
        "use_ticket",
        "expire_tickets",
        "check_in",
    }
)

_registered: weakref.WeakKeyDictionary[redis.Redis, dict[str, Script]] = weakref.WeakKeyDictionary()


@functools.cache
def source(name: str) -> str:
    """The Lua source of a script by its file name without ``.lua``."""
    folder = resources.files("bot.store").joinpath("lua")
    own = folder.joinpath(f"{name}.lua").read_text()
    if name in LEDGER_SCRIPTS:
        return folder.joinpath("ledger_common.lua").read_text() + own
    return own


def script(client: redis.Redis, name: str) -> Script:
    """The script ``name`` registered on ``client`` (once; EVALSHA falls back to EVAL)."""
    scripts = _registered.setdefault(client, {})
    found = scripts.get(name)
    if found is None:
        found = scripts[name] = client.register_script(source(name))
    return found
