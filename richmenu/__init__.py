"""Rich menus for the loyalty bot: designed as data, rendered with Pillow, deployed safely.

``python -m richmenu preview|deploy|list|delete``; see README.md, "Rich menus".
"""

from __future__ import annotations

#: Every LINE rich menu this tool manages is named ``loyalty:<menu>-<page>:<content hash>``;
#: menus with this prefix that the definitions no longer describe are deleted by ``deploy``.
NAME_PREFIX = "loyalty:"
#: Rich menu aliases this tool manages start with this; others are never touched.
ALIAS_PREFIX = "loyalty-"
#: The alias of the staff menu's first page: ``staff add`` links what it points at, and
#: ``deploy`` moves it only after every staff member was linked to the new menu.
STAFF_MENU_ALIAS = "loyalty-staff"
