"""What the Saleor integration keeps: deliveries seen, the catalog cache, checkout snapshots."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WebhookDelivery(models.Model):
    """One accepted webhook delivery, so a replay or a retry is processed only once."""

    delivery_id = models.CharField(max_length=128, unique=True)
    event_type = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.event_type} {self.delivery_id[:12]}"


class SaleorProduct(models.Model):
    """Display fields of a Saleor product, kept from PRODUCT_* webhooks for serving."""

    product_id = models.CharField(max_length=128, unique=True, help_text="Saleor global id")
    title = models.CharField(max_length=250)
    slug = models.CharField(max_length=250, blank=True)
    url = models.CharField(max_length=500, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    image_url = models.CharField(max_length=500, blank=True)
    category_ids = models.JSONField(default=list, blank=True)
    category_names = models.JSONField(default=dict, blank=True)
    in_stock = models.BooleanField(default=True)
    published = models.BooleanField(default=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.title} ({self.product_id})"


class SaleorCheckout(models.Model):
    """The last seen quantities per product of a checkout, to turn updates into cart events."""

    checkout_id = models.CharField(max_length=128, unique=True)
    visitor_id = models.CharField(max_length=128, blank=True)
    customer_id = models.CharField(max_length=128, blank=True, db_index=True)
    quantities = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)
