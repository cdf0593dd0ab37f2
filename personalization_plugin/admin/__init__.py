"""The store owner's side of the Wagtail admin: views, forms, viewsets and charts.

All wiring into Wagtail (menus, URLs, panels, permissions) is in `wagtail_hooks.py`.
"""
