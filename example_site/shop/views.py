"""Storefront views. Each sends the plugin signal a real store would send at that point."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.crypto import get_random_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from personalization_plugin import signals

from .cart import Cart
from .forms import CheckoutForm, QuantityForm, SignupForm
from .images import product_svg
from .models import Category, Order, OrderLine, Product
from .signals_out import send

PAGE_SIZE = 24
SORTS = {
    "new": ("-created_at", "pk"),
    "price": ("price", "pk"),
    "-price": ("-price", "pk"),
    "name": ("title", "pk"),
}
ORDERS_SESSION_KEY = "shop_orders"


def _sorted(products: QuerySet[Product], request: HttpRequest) -> tuple[QuerySet[Product], str]:
    sort = request.GET.get("sort", "new")
    if sort not in SORTS:
        sort = "new"
    return products.order_by(*SORTS[sort]), sort


def _page(request: HttpRequest, products: QuerySet[Product]):
    return Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return default


def product_list(request: HttpRequest) -> HttpResponse:
    products, sort = _sorted(Product.objects.published().select_related("category"), request)
    return render(
        request, "shop/product_list.html", {"page": _page(request, products), "sort": sort}
    )


def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_object_or_404(Product.objects.published().select_related("category"), slug=slug)
    send(signals.product_viewed, Product, request=request, product_id=str(product.pk))
    return render(
        request,
        "shop/product_detail.html",
        {
            "product": product,
            "product_id": str(product.pk),
            # "More in <category>" is a widget (category_top), so it steps around the
            # product page's other lists instead of repeating them.
            "more_title": f"More in {product.category.name}",
        },
    )


@cache_control(max_age=86400, public=True)
def product_image(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product.objects.select_related("category"), pk=pk)
    return HttpResponse(product_svg(product), content_type="image/svg+xml")


def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    send(signals.category_viewed, Category, request=request, category_id=category.slug)
    products, sort = _sorted(category.products.published().select_related("category"), request)
    return render(
        request,
        "shop/category_detail.html",
        {
            "category": category,
            "category_id": category.slug,
            "page": _page(request, products),
            "sort": sort,
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    products = Product.objects.published().select_related("category")
    if query:
        for word in query.split()[:8]:
            products = products.filter(
                Q(title__icontains=word)
                | Q(description__icontains=word)
                | Q(category__name__icontains=word)
            )
        send(signals.search_performed, Product, request=request, query=query)
    else:
        products = products.none()
    products, sort = _sorted(products, request)
    page = _page(request, products)
    return render(request, "shop/search.html", {"query": query, "page": page, "sort": sort})


def cart_detail(request: HttpRequest) -> HttpResponse:
    cart = Cart(request)
    lines = cart.lines()
    # id -> quantity: cart completion weighs each line's companions by the line's value.
    quantities = {str(line.product.pk): line.quantity for line in lines}
    return render(
        request,
        "shop/cart.html",
        {"lines": lines, "total": Cart.total(lines), "cart_quantities": quantities},
    )


@require_POST
def cart_add(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product.objects.published(), pk=pk)
    form = QuantityForm(request.POST or {"quantity": 1})
    quantity = (
        form.cleaned_data["quantity"] if form.is_valid() and form.cleaned_data["quantity"] else 1
    )
    if not product.in_stock:
        messages.error(request, f"Sorry, {product.title} is out of stock.")
        return redirect(_next_url(request, product.get_absolute_url()))
    Cart(request).add(str(product.pk), quantity)
    send(
        signals.cart_item_added,
        Product,
        request=request,
        product_id=str(product.pk),
        quantity=quantity,
        price=product.price,
    )
    messages.success(request, f"Added {product.title} to your cart.")
    return redirect(_next_url(request, "shop:cart"))


@require_POST
def cart_remove(request: HttpRequest, pk: int) -> HttpResponse:
    removed = Cart(request).remove(str(pk))
    if removed:
        send(
            signals.cart_item_removed,
            Product,
            request=request,
            product_id=str(pk),
            quantity=removed,
        )
    return redirect(_next_url(request, "shop:cart"))


@require_POST
def cart_update(request: HttpRequest, pk: int) -> HttpResponse:
    form = QuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Quantity must be a whole number between 0 and 99.")
        return redirect("shop:cart")
    cart = Cart(request)
    pid = str(pk)
    before = cart.items.get(pid, 0)
    if not before:
        return redirect("shop:cart")
    after = form.cleaned_data["quantity"]
    cart.set(pid, after)
    if after > before:
        product = Product.objects.filter(pk=pk).first()
        send(
            signals.cart_item_added,
            Product,
            request=request,
            product_id=pid,
            quantity=after - before,
            price=product.price if product else None,
        )
    elif after < before:
        send(
            signals.cart_item_removed,
            Product,
            request=request,
            product_id=pid,
            quantity=before - after,
        )
    return redirect("shop:cart")


def _new_order_number() -> str:
    return "HF-" + get_random_string(8, allowed_chars="ABCDEFGHJKLMNPQRSTUVWXYZ23456789")


def _visitor_id(request: HttpRequest) -> str:
    visitor = getattr(request, "visitor", None)
    return str(getattr(visitor, "visitor_id", "") or "")


def checkout(request: HttpRequest) -> HttpResponse:
    cart = Cart(request)
    lines = cart.lines()
    if not lines:
        messages.info(request, "Your cart is empty.")
        return redirect("shop:cart")
    if request.method == "POST":
        form = CheckoutForm(request.POST)
        if form.is_valid():
            order = _place_order(request, form.cleaned_data, lines)
            cart.clear()
            request.session[ORDERS_SESSION_KEY] = [
                *request.session.get(ORDERS_SESSION_KEY, [])[-19:],
                order.number,
            ]
            return redirect("shop:checkout_done", number=order.number)
    else:
        user = request.user
        initial = {}
        if user.is_authenticated:
            initial = {"name": user.get_full_name() or user.get_username(), "email": user.email}
        form = CheckoutForm(initial=initial)
        send(signals.checkout_started, Order, request=request)
    return render(
        request, "shop/checkout.html", {"form": form, "lines": lines, "total": Cart.total(lines)}
    )


def _place_order(request: HttpRequest, data: dict, lines) -> Order:
    with transaction.atomic():
        order = Order.objects.create(
            number=_new_order_number(),
            user=request.user if request.user.is_authenticated else None,
            visitor_id=_visitor_id(request),
            name=data["name"],
            email=data["email"],
            address=data["address"],
            total=sum((line.line_total for line in lines), Decimal("0")),
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product=line.product,
                title=line.product.title,
                quantity=line.quantity,
                unit_price=line.product.price,
            )
            for line in lines
        )
        for line in lines:
            Product.objects.filter(pk=line.product.pk).update(stock=F("stock") - line.quantity)
    send(
        signals.order_placed,
        Order,
        request=request,
        order_id=order.number,
        currency=order.currency,
        lines=[
            {
                "product_id": str(line.product.pk),
                "quantity": line.quantity,
                "price": line.product.price,
            }
            for line in lines
        ],
    )
    return order


def _visible_order(request: HttpRequest, number: str) -> Order:
    order = get_object_or_404(Order.objects.prefetch_related("lines__product"), number=number)
    mine = request.user.is_authenticated and order.user_id == request.user.pk
    if not mine and number not in request.session.get(ORDERS_SESSION_KEY, []):
        raise Http404("No such order")
    return order


def checkout_done(request: HttpRequest, number: str) -> HttpResponse:
    order = _visible_order(request, number)
    # The order's products, for post-purchase suggestions (never recommended back).
    quantities = {
        str(line.product_id): line.quantity for line in order.lines.all() if line.product_id
    }
    return render(
        request, "shop/checkout_done.html", {"order": order, "order_quantities": quantities}
    )


@login_required
def order_history(request: HttpRequest) -> HttpResponse:
    orders = Order.objects.filter(user=request.user).prefetch_related("lines")
    page = Paginator(orders, 20).get_page(request.GET.get("page"))
    return render(request, "shop/order_history.html", {"page": page})


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    return render(request, "shop/order_detail.html", {"order": _visible_order(request, number)})


def signup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.get_username()}!")
            return redirect(_next_url(request, "/"))
    else:
        form = SignupForm()
    return render(request, "registration/signup.html", {"form": form})


def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy center (`{% storefront_privacy_center %}`), linked from every footer.

    Never cached: it shows this shopper's own data."""
    response = render(request, "shop/privacy.html")
    response["Cache-Control"] = "private, no-store"
    return response
