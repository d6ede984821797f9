"""Rich menus for the loyalty bot: designed as data, rendered with Pillow, deployed safely.

``python -m richmenu preview|deploy|list|delete``; see README.md, "Rich menus".
"""

from __future__ import annotations

#: Every LINE rich menu this tool manages is named ``loyalty:<menu>-<page>:<content hash>``;
#: menus with this prefix that the definitions no longer describe are deleted by ``deploy``.
NAME_PREFIX = "loyalty:"
#: Rich menu aliases this tool manages start with this; others are never touched. The staff
#: menu's alias, which the bot links staff to, is bot.line.rich_menus.STAFF_MENU_ALIAS.
ALIAS_PREFIX = "loyalty-"
