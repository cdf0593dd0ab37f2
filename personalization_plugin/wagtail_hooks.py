"""All of the plugin's Wagtail admin wiring, in one place.

A "Personalization" menu holds the dashboard, merchandising rules, experiments, the
model page and the settings. Other parts of the plugin add their own entries with one
line here: register a viewset whose `menu_hook` is `MENU_HOOK`, or register a
menu item function on `MENU_HOOK`.
"""

from __future__ import annotations

from typing import Any

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.contrib.settings.registry import register_setting

from personalization_plugin.admin import urls
from personalization_plugin.admin.panels import SummaryPanel
from personalization_plugin.admin.viewsets import (
    MENU_HOOK,
    ExperimentViewSet,
    MerchandisingRuleViewSet,
)
from personalization_plugin.core import permissions
from personalization_plugin.site_settings import PersonalizationSettings

register_setting(icon="cogs")(PersonalizationSettings)


class PermissionMenuItem(MenuItem):
    """A menu item shown only to users holding one of `perms`."""

    def __init__(self, *args: Any, perms: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.perms = perms

    def is_shown(self, request: Any) -> bool:
        return permissions.has_any(request.user, self.perms)


personalization_menu = Menu(
    register_hook_name=MENU_HOOK, construct_hook_name="construct_personalization_menu"
)


@hooks.register("register_admin_menu_item")
def register_personalization_menu() -> SubmenuMenuItem:
    return SubmenuMenuItem(
        _("Personalization"),
        personalization_menu,
        icon_name="user",
        name="personalization",
        order=250,
    )


@hooks.register("register_admin_urls")
def register_admin_urls() -> list:
    return [path("personalization/", include((urls.urlpatterns, "personalization_admin")))]


@hooks.register("register_admin_viewset")
def register_viewsets() -> list:
    return [MerchandisingRuleViewSet(), ExperimentViewSet()]


@hooks.register(MENU_HOOK)
def dashboard_menu_item() -> MenuItem:
    return PermissionMenuItem(
        _("Dashboard"),
        reverse("personalization_admin:dashboard"),
        icon_name="view",
        order=10,
        perms=(permissions.VIEW_REPORTS,),
    )


@hooks.register(MENU_HOOK)
def models_menu_item() -> MenuItem:
    return PermissionMenuItem(
        _("Models"),
        reverse("personalization_admin:models"),
        icon_name="cogs",
        order=400,
        perms=(permissions.VIEW_REPORTS, permissions.MANAGE_MODELS),
    )


@hooks.register(MENU_HOOK)
def customers_menu_item() -> MenuItem:
    return PermissionMenuItem(
        _("Customers"),
        reverse("personalization_admin:customers"),
        icon_name="user",
        order=450,
        perms=(permissions.VIEW_CUSTOMERS,),
    )


@hooks.register(MENU_HOOK)
def settings_menu_item() -> MenuItem:
    return PermissionMenuItem(
        _("Settings"),
        reverse("wagtailsettings:edit", args=["personalization", "personalizationsettings"]),
        icon_name="cog",
        order=500,
        perms=(permissions.CHANGE_SETTINGS,),
    )


@hooks.register("construct_homepage_panels")
def add_summary_panel(request: Any, panels: list) -> None:
    if permissions.has_any(request.user, (permissions.VIEW_REPORTS,)):
        panels.append(SummaryPanel())


@hooks.register("register_log_actions")
def register_log_actions(actions: Any) -> None:
    """The plugin's own audit-log actions (model and experiment controls)."""
    actions.register_action(
        "personalization.model.rollback", _("Roll back model"), _("Rolled back the model")
    )
    actions.register_action(
        "personalization.model.activate", _("Activate model"), _("Activated a model version")
    )
    actions.register_action(
        "personalization.experiment.start", _("Start experiment"), _("Started the experiment")
    )
    actions.register_action(
        "personalization.experiment.stop", _("Stop experiment"), _("Stopped the experiment")
    )
    actions.register_action(
        "personalization.experiment.ship",
        _("Ship experiment winner"),
        _("Shipped the experiment's winner"),
    )


@hooks.register("register_permissions")
def register_permissions() -> Any:
    """Offer the plugin's permissions in Wagtail's group editor."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    return Permission.objects.filter(content_type__app_label="personalization").filter(
        Q(codename__in=["view_personalization", "manage_models", "view_customers"])
        | Q(codename__endswith="_personalizationsettings")
    )
