"""The Oscar test project's URLs: Oscar's shop at the root, the plugin beside it."""

from __future__ import annotations

from django.apps import apps
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("personalization/", include("personalization_plugin.urls")),
    path("widgets/", include("storefront_widgets.urls")),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
