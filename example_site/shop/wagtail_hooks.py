"""Wagtail admin for the demo catalog: products, categories and orders as snippets."""

from __future__ import annotations

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Category, Order, Product


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "tag"
    list_display = ["title", "category", "price", "stock", "published", "created_at"]
    list_filter = ["published", "category"]
    search_fields = ["title", "description"]
    ordering = ["-created_at"]


class CategoryViewSet(SnippetViewSet):
    model = Category
    icon = "folder-open-inverse"
    list_display = ["name", "slug", "position"]


class OrderViewSet(SnippetViewSet):
    model = Order
    icon = "list-ul"
    list_display = ["number", "user", "total", "created_at"]
    ordering = ["-created_at"]
    inspect_view_enabled = True


class ShopViewSetGroup(SnippetViewSetGroup):
    items = (ProductViewSet, CategoryViewSet, OrderViewSet)
    menu_icon = "cogs"
    menu_label = "Shop"
    menu_name = "shop"


register_snippet(ShopViewSetGroup)
