"""The hook name of the Wagtail "Personalization" submenu.

Each app's `wagtail_hooks.py` registers its menu items (or a viewset whose `menu_hook` is
this name) on it, so feature apps add admin pages without importing the core admin.
"""

from __future__ import annotations

MENU_HOOK = "register_personalization_menu_item"
