from django.apps import AppConfig


class StorefrontWidgetsConfig(AppConfig):
    name = "storefront_widgets"
    verbose_name = "Storefront widgets"
