"""Settings of the demo store. It uses the plugin exactly as any store would."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-not-secret-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]

INSTALLED_APPS = [
    "shop",
    "personalization_plugin",
    "personalization_plugin.experiments",
    "personalization_plugin.scores",
    "personalization_plugin.segments",
    "personalization_plugin.triggers",
    "storefront_widgets",
    "django_htmx",
    "graphene_django",
    "django_tasks",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The shopper's language from Accept-Language (or the language cookie): widget
    # reasons, the consent banner and prices follow it.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "personalization_plugin.tracking.middleware.VisitorMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "example_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "shop.context_processors.cart",
            ],
        },
    },
]
WSGI_APPLICATION = "example_site.wsgi.application"

# SQLite for concurrent writers (see docs/deployment.md, "SQLite"): WAL lets readers
# run beside the one writer, `timeout` is how long a writer waits for the lock, and
# IMMEDIATE takes the write lock when a transaction begins, so a transaction that reads
# and then writes (update_or_create) waits its turn instead of failing at once with
# "database is locked". The system check personalization.W020 asks for these.
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB", str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": SQLITE_OPTIONS,
    }
}
if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    from urllib.parse import urlparse

    _u = urlparse(os.environ["DATABASE_URL"])
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _u.path.lstrip("/"),
        "USER": _u.username or "",
        "PASSWORD": _u.password or "",
        "HOST": _u.hostname or "",
        "PORT": str(_u.port or ""),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
LANGUAGE_CODE = "en-us"
# The languages the plugin ships catalogues for; a store lists its own.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

WAGTAIL_SITE_NAME = "Hearth & Field"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

GRAPHENE = {"SCHEMA": "example_site.schema.schema"}

# The plugin. Without REDIS_URL the demo runs on the embedded in-process backends.
PERSONALIZATION: dict[str, Any] = {
    "ADAPTER": "shop.adapter.ShopAdapter",
    "REDIS_URL": os.environ.get("REDIS_URL") or None,
    "CONSENT_MODE": os.environ.get("PERSONALIZATION_CONSENT_MODE", "implied"),
    # Consumables a shopper buys again: "Buy again" on the home page, and past purchases
    # of these are not hidden from other lists.
    "REPURCHASABLE_CATEGORIES": [
        "candles",
        "coffee-tea",
        "home-fragrance",
        "seeds-bulbs",
        "plant-care",
        "bird-wildlife",
    ],
    # Its own secret, so rotating SECRET_KEY never forgets who was erased (check W020).
    "HASH_KEY": os.environ.get("PERSONALIZATION_HASH_KEY", "demo-only-hash-key-change-me"),
    "PRIVACY_CENTER_URL": "shop:privacy",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"personalization_plugin": {"handlers": ["console"], "level": "INFO"}},
}
