"""URLs of the plugin's custom admin views (mounted under /admin/personalization/)."""

from __future__ import annotations

from django.urls import path

from personalization_plugin.admin import (
    chooser,
    customer_page,
    experiment_views,
    rule_preview,
    views,
)

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("models/", views.models_page, name="models"),
    path("figures/<slug:table>.csv", views.figures_csv, name="figures_csv"),
    path("products/choose/", chooser.chooser_results, name="product_chooser"),
    path("customers/", customer_page.customer_page, name="customers"),
    path("rules/preview/", rule_preview.rule_preview, name="rule_preview"),
    path("models/training/<int:pk>/", views.training_progress, name="training_progress"),
    path("models/<str:action>/", views.model_action, name="model_action"),
    path(
        "experiments/<int:pk>/results/",
        experiment_views.experiment_results,
        name="experiment_results",
    ),
    path(
        "experiments/<int:pk>/<str:action>/",
        experiment_views.experiment_action,
        name="experiment_action",
    ),
]
