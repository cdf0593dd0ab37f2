"""The demo store's catalog and orders, plus the Wagtail home page.

Products and categories are plain Django models rather than Wagtail pages: a store with
thousands of products wants cheap queries, not a page tree.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from .blocks import HOME_BLOCKS


class Category(models.Model):
    """A product category. Its slug is the category id the plugin sees."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("shop:category", args=[self.slug])


class ProductQuerySet(models.QuerySet["Product"]):
    def published(self) -> ProductQuerySet:
        return self.filter(published=True)


class Product(models.Model):
    """One thing the store sells. Its primary key, as a string, is the plugin's product id."""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    stock = models.IntegerField(default=0)
    published = models.BooleanField(default=True, db_index=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("shop:product", args=[self.slug])

    @property
    def image_url(self) -> str:
        return reverse("shop:product_image", args=[self.pk])

    @property
    def image_alt(self) -> str:
        return f"Illustration of {self.title}"

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def low_stock(self) -> bool:
        return 0 < self.stock <= 5

    @property
    def is_new(self) -> bool:
        return self.created_at >= timezone.now() - timezone.timedelta(days=14)

    def digest(self) -> bytes:
        """Stable bytes derived from the product, used to draw its picture."""
        return hashlib.sha256(f"{self.pk}:{self.slug}".encode()).digest()


class Order(models.Model):
    """A placed order. No payment: the demo stops at confirmation."""

    number = models.CharField(max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    visitor_id = models.CharField(max_length=128, blank=True)
    name = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("shop:order_detail", args=[self.number])


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=120)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.title}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class HomePage(Page):
    """The store's front page, edited in Wagtail. Block types live in `shop.blocks.HOME_BLOCKS`."""

    body = StreamField(HOME_BLOCKS, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("body")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        if not self.body:
            context["new_arrivals"] = list(
                Product.objects.published().filter(stock__gt=0).select_related("category")[:8]
            )
        return context
