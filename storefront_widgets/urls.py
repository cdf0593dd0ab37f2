"""URLs a store includes: `path("widgets/", include("storefront_widgets.urls"))`."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from storefront_widgets import views

app_name = "storefront_widgets"
urlpatterns: list[URLPattern | URLResolver] = [
    path("p/<str:placement>/", views.partial, name="partial"),
]
