"""The one place where `settings.PERSONALIZATION` is read.

Read lazily and re-read when tests change settings, in the manner of Django REST
framework's `api_settings`. Everything else imports `plugin_settings` from here;
validation lives in `checks.py`. The owner's overrides (the Wagtail setting) reach it
through `set_overlay_loader`, so this module imports nothing of the plugin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    # Master switch: off means no tracking and only non-personalized fallbacks.
    "ENABLED": True,
    # Dotted path to the store adapter class (see `adapters.StoreAdapter`).
    "ADAPTER": None,
    # Redis connection URL. None selects the embedded, in-process backends.
    "REDIS_URL": None,
    # The key of the keyed hash that names shoppers outside the database (Redis keys, the
    # erased-shopper ledger, rate limits); None uses SECRET_KEY. Keep it apart from
    # SECRET_KEY so rotating that does not forget who was erased. Older hash keys go in
    # HASH_KEY_FALLBACKS (newest first), honoured on lookup like SECRET_KEY_FALLBACKS.
    "HASH_KEY": None,
    "HASH_KEY_FALLBACKS": [],
    # Prefix for every Redis key the plugin writes, so one Redis can serve several stores.
    "KEY_PREFIX": "sp",
    # "auto" picks "redis" when REDIS_URL is set, "local" otherwise.
    "EVENT_BACKEND": "auto",
    # Events per flush to the database, and the longest an event waits in a buffer (seconds).
    "BATCH_SIZE": 500,
    "FLUSH_INTERVAL": 2.0,
    # Largest serialized event payload accepted by the intake (bytes).
    "MAX_EVENT_BYTES": 4096,
    # "implied": track unless the shopper declines. "required": store nothing until consent.
    "CONSENT_MODE": "implied",
    # Treat a `Sec-GPC: 1` request header as an opt-out.
    "HONOR_GPC": True,
    # Cookies: the signed pseudonymous visitor id and the consent choice.
    "VISITOR_COOKIE": "sp_vid",
    "CONSENT_COOKIE": "sp_consent",
    "COOKIE_MAX_AGE": 365 * 24 * 3600,
    # Events older than this many days are deleted by `personalization_purge`.
    "RETENTION_DAYS": 365,
    # Implicit-feedback weight per event type when building the interaction matrix.
    "EVENT_WEIGHTS": {
        "view": 1.0,
        "click": 2.0,
        "cart_add": 4.0,
        "cart_remove": -2.0,
        "checkout": 4.0,
        "purchase": 10.0,
    },
    # Interactions lose half their weight every HALF_LIFE_DAYS.
    "HALF_LIFE_DAYS": 30.0,
    # Trending counters lose half their weight every TRENDING_HALF_LIFE_HOURS.
    "TRENDING_HALF_LIFE_HOURS": 24.0,
    # Trending counts distinct shoppers (each once per item per half-life): an item trends
    # only with at least TRENDING_MIN_SHOPPERS recent shoppers, and serving blends the live
    # board with the model's trending list as a prior worth TRENDING_PRIOR_SHOPPERS shoppers.
    "TRENDING_MIN_SHOPPERS": 3.0,
    "TRENDING_PRIOR_SHOPPERS": 20.0,
    # How many recently viewed products are remembered per visitor.
    "RECENTLY_VIEWED_SIZE": 20,
    # Recommendation model: "als", "bpr", "item_knn" (cosine) or "bm25".
    "ALGORITHM": "als",
    "FACTORS": 64,
    "ITERATIONS": 15,
    # ALS/BPR iterations when training starts from the active model's factors (same
    # algorithm and FACTORS); `personalization_train --full` forces a cold fit instead.
    "WARM_START_ITERATIONS": 5,
    "REGULARIZATION": 0.05,
    "ALPHA": 1.0,
    # Per-store model selection at training time (`personalization_train --no-search`
    # keeps the fixed recipe): candidates are compared on a validation split carved from
    # the training part, within MODEL_SEARCH_SECONDS of fitting (a bound, not a target).
    "MODEL_SEARCH": True,
    "MODEL_SEARCH_SECONDS": 40.0,
    # Quality gate: a new model whose holdout NDCG@10 is more than this share below the
    # active model's is kept but not activated (the admin's model page says why).
    "GATE_TOLERANCE": 0.05,
    # Where trained model artifacts are written. None: <BASE_DIR>/var/personalization.
    "MODEL_DIR": None,
    # Each node's local copies of artifacts read from a shared STORAGES["personalization"]
    # (object storage). None: <MODEL_DIR>/cache. Unused when artifacts are on local disk.
    "MODEL_CACHE_DIR": None,
    # Seconds a precomputed top-N list stays cached per visitor.
    "RECOMMENDATION_TTL": 3600,
    # Seconds a widget partial's rendered HTML is reused while nothing it depends on
    # changed (the shopper's real-time state, model, rules, experiments); 0 turns it off.
    "FRAGMENT_TTL": 30,
    # After training, cache the personal lists of shoppers active in the last N days
    # (`personalization_precompute` does it on demand); 0 turns it off.
    "PRECOMPUTE_DAYS": 30,
    # Diversity: largest share of one category in a list, MMR trade-off (1 = relevance only),
    # and one discovery item from outside the shopper's usual categories every N items (0 = off).
    "MAX_CATEGORY_SHARE": 0.5,
    "MMR_LAMBDA": 0.8,
    "DISCOVERY_EVERY": 0,
    # Category ids whose products may be recommended again after purchase (consumables).
    "REPURCHASABLE_CATEGORIES": [],
    # Category ids never used for personalization (sensitive ones): not learned, not shown as reasons.
    "SENSITIVE_CATEGORIES": [],
    # Intake rate limit per visitor and per IP address (events per minute).
    "RATE_LIMIT_PER_MINUTE": 600,
    # GraphQL API limits (personalization_plugin.graphql.limits): largest `first`, deepest
    # nesting, most aliases and fields per operation (introspection included: the standard
    # introspection query of graphql-core/GraphiQL selects 229), longest query text, largest
    # response; introspection (and so GraphiQL's docs) is on only under DEBUG unless True.
    "GRAPHQL_MAX_FIRST": 50,
    "GRAPHQL_MAX_DEPTH": 8,
    "GRAPHQL_MAX_ALIASES": 15,
    "GRAPHQL_MAX_FIELDS": 300,
    "GRAPHQL_MAX_QUERY_LENGTH": 10_000,
    "GRAPHQL_MAX_RESPONSE_BYTES": 1_000_000,
    "GRAPHQL_INTROSPECTION": None,
    # Segments (personalization_plugin.segments): seconds a shopper's cached profile lives
    # without activity, and seconds compiled segment definitions are trusted per process.
    "SEGMENT_PROFILE_TTL": 3600,
    "SEGMENT_CACHE_SECONDS": 30,
    # Outgoing triggers (personalization_plugin.triggers): idle minutes before a cart counts
    # as abandoned, product views without a cart add for browse abandonment, the least hours
    # between two messages to one shopper, and the optional signed webhook.
    "TRIGGER_CART_IDLE_MINUTES": 60,
    "TRIGGER_BROWSE_MIN_VIEWS": 3,
    "TRIGGER_MIN_HOURS_BETWEEN": 24,
    "TRIGGER_WEBHOOK_URL": None,
    "TRIGGER_WEBHOOK_SECRET": None,
    "TRIGGER_WEBHOOK_RETRIES": 4,
    "TRIGGER_WEBHOOK_BACKOFF_SECONDS": 1.0,
    "TRIGGER_WEBHOOK_TIMEOUT": 5.0,
    "TRIGGER_WEBHOOK_MAX_DELAY_SECONDS": 60.0,
    # The store's privacy-center page (a path such as "/privacy/" or a URL name such as
    # "shop:privacy"): `forget-me/` opened in a browser points there. None: no link.
    "PRIVACY_CENTER_URL": None,
    # Hour of the day (UTC) for the daily retraining by `personalization_schedule`; None = off.
    "TRAINING_HOUR": None,
}

# Settings the store owner may override in the Wagtail admin (`site_settings`). Their
# saved values are re-read at most every OVERLAY_SECONDS, and at once after a save.
OVERRIDABLE = {
    "ENABLED",
    "CONSENT_MODE",
    "EVENT_WEIGHTS",
    "RETENTION_DAYS",
    "MAX_CATEGORY_SHARE",
    "MMR_LAMBDA",
    "DISCOVERY_EVERY",
    "SENSITIVE_CATEGORIES",
    "TRAINING_HOUR",
}
OVERLAY_SECONDS = 5.0

# Settings that hold a dotted path and are resolved to the object on access.
IMPORT_STRINGS = {"ADAPTER"}


class PluginSettings:
    """Attribute access to PERSONALIZATION with defaults filled in."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}
        self._overlay: tuple[float, dict[str, Any]] = (float("-inf"), {})
        self._loading_overlay = False
        self._overlay_loader: Callable[[], dict[str, Any]] | None = None

    @property
    def user_settings(self) -> dict[str, Any]:
        return getattr(settings, "PERSONALIZATION", {}) or {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in DEFAULTS:
            raise AttributeError(f"Unknown PERSONALIZATION setting {name!r}")
        if name in OVERRIDABLE:
            owner = self.owner_overrides()
            if name in owner:
                value = owner[name]
                if name == "EVENT_WEIGHTS":
                    value = {**self._uncached("EVENT_WEIGHTS"), **value}
                return value
        if name in self._cache:
            return self._cache[name]
        value = self._uncached(name)
        if name in IMPORT_STRINGS and isinstance(value, str):
            value = import_string(value)
        self._cache[name] = value
        return value

    def _uncached(self, name: str) -> Any:
        value = self.user_settings.get(name, DEFAULTS[name])
        if name == "EVENT_WEIGHTS":
            value = {**DEFAULTS["EVENT_WEIGHTS"], **(value or {})}
        return value

    def owner_overrides(self) -> dict[str, Any]:
        """The store owner's saved overrides (`site_settings`), cached a few seconds."""
        import time

        loaded_at, values = self._overlay
        if time.monotonic() - loaded_at < OVERLAY_SECONDS or self._loading_overlay:
            return values
        self._loading_overlay = True
        try:
            values = self._overlay_loader() if self._overlay_loader else {}
        except Exception:
            # No table yet, or no database access here (checks, a hiccup): keep what was
            # last read, so e.g. a "required" consent mode never silently lapses.
            pass
        finally:
            self._loading_overlay = False
        self._overlay = (time.monotonic(), values)
        return values

    def set_overlay_loader(self, loader: Callable[[], dict[str, Any]] | None) -> None:
        """Where the owner's overrides come from (the Wagtail setting, wired in `ready()`).

        The hook keeps this module a leaf: it never imports the model that stores them."""
        self._overlay_loader = loader
        self.forget_overrides()

    def forget_overrides(self) -> None:
        """Re-read the owner's overrides on next access (called when they are saved)."""
        self._overlay = (float("-inf"), {})

    @property
    def event_backend(self) -> str:
        """The resolved event backend name: "redis" or "local"."""
        backend = self.EVENT_BACKEND
        if backend == "auto":
            return "redis" if self.REDIS_URL else "local"
        return str(backend)

    @property
    def model_dir(self) -> str:
        import os

        if self.MODEL_DIR:
            return str(self.MODEL_DIR)
        base = getattr(settings, "BASE_DIR", None) or os.getcwd()
        return os.path.join(str(base), "var", "personalization")

    @property
    def model_cache_dir(self) -> str:
        import os

        if self.MODEL_CACHE_DIR:
            return str(self.MODEL_CACHE_DIR)
        return os.path.join(self.model_dir, "cache")

    def derived(self, name: str, compute: Callable[[], Any]) -> Any:
        """A value computed from settings (not owner overrides), cached until the settings
        change (`reload()`, run on Django's `setting_changed`): hot paths such as
        `track()` read it without recomputing it from a dozen lookups per call."""
        slot = "derived:" + name
        try:
            return self._cache[slot]
        except KeyError:
            value = self._cache[slot] = compute()
            return value

    def reload(self) -> None:
        self._cache.clear()
        self.forget_overrides()


plugin_settings = PluginSettings()


def reload_on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    """`setting_changed` receiver (connected in `ready()`): tests that override settings."""
    if setting == "PERSONALIZATION":
        plugin_settings.reload()
