"""The plugin's admin permissions, named once.

`view_personalization` (on Event) opens the dashboard and reports; `manage_models`
(on ModelVersion) trains, evaluates and rolls back models; the usual model permissions
guard merchandising rules, experiments and settings.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

VIEW_REPORTS = "personalization.view_personalization"
MANAGE_MODELS = "personalization.manage_models"
# One customer's data by id (the segment builder's sample names customers only with it).
VIEW_CUSTOMERS = "personalization.view_customers"
VIEW_EXPERIMENTS = "personalization_experiments.view_experiment"
CHANGE_EXPERIMENTS = "personalization_experiments.change_experiment"
CHANGE_SETTINGS = "personalization.change_personalizationsettings"

# Anyone holding one of these sees the Personalization menu and the home panel.
ANY_PLUGIN_PERMISSION = (
    VIEW_REPORTS,
    MANAGE_MODELS,
    VIEW_EXPERIMENTS,
    CHANGE_EXPERIMENTS,
    CHANGE_SETTINGS,
    VIEW_CUSTOMERS,
    "personalization.view_merchandisingrule",
    "personalization.change_merchandisingrule",
)


def require(user: Any, *perms: str) -> None:
    """Raise PermissionDenied (403) unless `user` holds at least one of `perms`."""
    if not any(user.has_perm(p) for p in perms):
        raise PermissionDenied


def has_any(user: Any, perms: tuple[str, ...] = ANY_PLUGIN_PERMISSION) -> bool:
    return any(user.has_perm(p) for p in perms)
