from __future__ import annotations

from django.urls import path

from . import views

app_name = "shop"
urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/<slug:slug>/", views.product_detail, name="product"),
    path("p/<int:pk>/image.svg", views.product_image, name="product_image"),
    path("c/<slug:slug>/", views.category_detail, name="category"),
    path("search/", views.search, name="search"),
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/<int:pk>/", views.cart_add, name="cart_add"),
    path("cart/remove/<int:pk>/", views.cart_remove, name="cart_remove"),
    path("cart/update/<int:pk>/", views.cart_update, name="cart_update"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/done/<str:number>/", views.checkout_done, name="checkout_done"),
    path("privacy/", views.privacy, name="privacy"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/orders/", views.order_history, name="order_history"),
    path("accounts/orders/<str:number>/", views.order_detail, name="order_detail"),
]
