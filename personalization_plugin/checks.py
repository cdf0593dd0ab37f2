"""Django system checks for PERSONALIZATION (personalization.E001 ... and W001 ...).

Every message says what is wrong and how to fix it; `manage.py check` runs them.

E001 unknown key (names the closest valid one)   E006 ADAPTER not importable
E002 PERSONALIZATION is not a dict                E007 ADAPTER lacks the protocol methods
E003 value of the wrong type                      E008 REDIS_URL unparseable
E004 value out of range                           E009 EVENT_BACKEND invalid or unusable
E005 CONSENT_MODE not "implied"/"required"        E010 EVENT_WEIGHTS malformed
W001 VisitorMiddleware not installed              W002 ADAPTER not set
W003 VisitorMiddleware before AuthenticationMiddleware (customers are not recognised)
"""

from __future__ import annotations

import difflib
import numbers
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from personalization_plugin.core.conf import DEFAULTS

MIDDLEWARE_PATH = "personalization_plugin.tracking.middleware.VisitorMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"

# (key, kind, low, high, low_inclusive, high_inclusive); None bounds are open.
NUMBER_RULES: list[tuple[str, type, float | None, float | None, bool, bool]] = [
    ("RETENTION_DAYS", int, 1, None, True, True),
    ("BATCH_SIZE", int, 1, 100_000, True, True),
    ("FLUSH_INTERVAL", float, 0, None, True, True),
    ("MAX_EVENT_BYTES", int, 256, None, True, True),
    ("COOKIE_MAX_AGE", int, 1, None, True, True),
    ("HALF_LIFE_DAYS", float, 0, None, False, True),
    ("TRENDING_HALF_LIFE_HOURS", float, 0, None, False, True),
    ("RECENTLY_VIEWED_SIZE", int, 1, 1000, True, True),
    ("FACTORS", int, 1, 4096, True, True),
    ("ITERATIONS", int, 1, 10_000, True, True),
    ("WARM_START_ITERATIONS", int, 0, 10_000, True, True),
    ("PRECOMPUTE_DAYS", int, 0, None, True, True),
    ("REGULARIZATION", float, 0, None, True, True),
    ("ALPHA", float, 0, None, False, True),
    ("RECOMMENDATION_TTL", int, 0, None, True, True),
    ("MAX_CATEGORY_SHARE", float, 0, 1, False, True),
    ("MMR_LAMBDA", float, 0, 1, True, True),
    ("DISCOVERY_EVERY", int, 0, None, True, True),
    ("RATE_LIMIT_PER_MINUTE", int, 0, None, True, True),
]
STRING_KEYS = ("KEY_PREFIX", "VISITOR_COOKIE", "CONSENT_COOKIE", "ALGORITHM")
BOOL_KEYS = ("ENABLED", "HONOR_GPC")
LIST_KEYS = ("REPURCHASABLE_CATEGORIES", "SENSITIVE_CATEGORIES")


def _setting(key: str) -> str:
    return f'PERSONALIZATION["{key}"]'


def _is_number(value: Any, kind: type) -> bool:
    if isinstance(value, bool):
        return False
    if kind is int:
        return isinstance(value, numbers.Integral)
    return isinstance(value, numbers.Real)


def _range_text(low: Any, high: Any, low_inc: bool, high_inc: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>=' if low_inc else '>'} {low}")
    if high is not None:
        parts.append(f"{'<=' if high_inc else '<'} {high}")
    return " and ".join(parts)


def check_keys(user: dict[str, Any]) -> list[Error]:
    errors = []
    for name in user:
        if name in DEFAULTS:
            continue
        close = difflib.get_close_matches(str(name), list(DEFAULTS), n=1, cutoff=0.6)
        hint = (
            f'Did you mean "{close[0]}"?'
            if close
            else "Remove it; see conf.DEFAULTS for valid keys."
        )
        errors.append(
            Error(f"Unknown setting {_setting(str(name))}.", hint=hint, id="personalization.E001")
        )
    return errors


def check_values(user: dict[str, Any]) -> list[Error]:
    errors: list[Error] = []
    for key, kind, low, high, low_inc, high_inc in NUMBER_RULES:
        if key not in user:
            continue
        value = user[key]
        word = "a whole number" if kind is int else "a number"
        if not _is_number(value, kind):
            errors.append(
                Error(
                    f"{_setting(key)} must be {word}, got {value!r}.",
                    hint=f"Set it to {word} such as {DEFAULTS[key]!r}.",
                    id="personalization.E003",
                )
            )
            continue
        too_low = low is not None and (value < low if low_inc else value <= low)
        too_high = high is not None and (value > high if high_inc else value >= high)
        if too_low or too_high:
            errors.append(
                Error(
                    f"{_setting(key)} is {value!r}; it must be {_range_text(low, high, low_inc, high_inc)}.",
                    hint=f"The default is {DEFAULTS[key]!r}.",
                    id="personalization.E004",
                )
            )
    for key in STRING_KEYS:
        if key in user and (not isinstance(user[key], str) or not user[key]):
            errors.append(
                Error(
                    f"{_setting(key)} must be a non-empty string, got {user[key]!r}.",
                    hint=f"The default is {DEFAULTS[key]!r}.",
                    id="personalization.E003",
                )
            )
    for key in BOOL_KEYS:
        if key in user and not isinstance(user[key], bool):
            errors.append(
                Error(
                    f"{_setting(key)} must be True or False, got {user[key]!r}.",
                    id="personalization.E003",
                )
            )
    for key in LIST_KEYS:
        if key in user and not isinstance(user[key], list | tuple | set | frozenset):
            errors.append(
                Error(
                    f"{_setting(key)} must be a list of category ids, got {type(user[key]).__name__}.",
                    hint='For example ["wine", "pharmacy"].',
                    id="personalization.E003",
                )
            )
    mode = user.get("CONSENT_MODE", DEFAULTS["CONSENT_MODE"])
    if mode not in ("implied", "required"):
        errors.append(
            Error(
                f"{_setting('CONSENT_MODE')} is {mode!r}.",
                hint='Use "implied" (track unless the shopper declines) or "required" '
                "(store nothing until the shopper consents).",
                id="personalization.E005",
            )
        )
    return errors


def check_weights(user: dict[str, Any]) -> list[Error]:
    from personalization_plugin.core.events import EventType

    weights = user.get("EVENT_WEIGHTS")
    if weights is None:
        return []
    if not isinstance(weights, dict):
        return [
            Error(
                f"{_setting('EVENT_WEIGHTS')} must be a dict of event type to number.",
                hint='For example {"view": 1.0, "purchase": 10.0}.',
                id="personalization.E010",
            )
        ]
    errors = []
    known = {t.value for t in EventType}
    for name, value in weights.items():
        if name not in known:
            close = difflib.get_close_matches(str(name), sorted(known), n=1)
            errors.append(
                Error(
                    f"{_setting('EVENT_WEIGHTS')} names unknown event type {name!r}.",
                    hint=f'Did you mean "{close[0]}"?'
                    if close
                    else f"Use one of: {', '.join(sorted(known))}.",
                    id="personalization.E010",
                )
            )
        elif not _is_number(value, float):
            errors.append(
                Error(
                    f"{_setting('EVENT_WEIGHTS')}[{name!r}] must be a number, got {value!r}.",
                    id="personalization.E010",
                )
            )
    return errors


def check_adapter(user: dict[str, Any]) -> list[Error | Warning]:
    path = user.get("ADAPTER")
    if path is None:
        return [
            Warning(
                f"{_setting('ADAPTER')} is not set: product ids cannot be validated and "
                "recommendations cannot show products.",
                hint="Set it to the dotted path of your StoreAdapter class.",
                id="personalization.W002",
            )
        ]
    if isinstance(path, str):
        try:
            cls = import_string(path)
        except ImportError as exc:
            return [
                Error(
                    f"{_setting('ADAPTER')} = {path!r} cannot be imported ({exc}).",
                    hint="Check the module and class name; the module must be on the Python path.",
                    id="personalization.E006",
                )
            ]
    else:
        cls = path
    missing = [m for m in ("get_products", "iter_products") if not callable(getattr(cls, m, None))]
    if missing:
        return [
            Error(
                f"The adapter {path!r} lacks {', '.join(missing)}.",
                hint="Implement personalization_plugin.adapters.StoreAdapter (subclass "
                "BaseStoreAdapter for the optional parts).",
                id="personalization.E007",
            )
        ]
    return []


def check_redis(user: dict[str, Any]) -> list[Error]:
    url = user.get("REDIS_URL")
    backend = user.get("EVENT_BACKEND", "auto")
    errors = []
    if url:
        try:
            from redis.connection import ConnectionPool

            ConnectionPool.from_url(str(url))
        except (ValueError, TypeError) as exc:
            errors.append(
                Error(
                    f"{_setting('REDIS_URL')} cannot be parsed ({exc}).",
                    hint='Use a URL like "redis://127.0.0.1:6379/0" (rediss:// for TLS).',
                    id="personalization.E008",
                )
            )
    if backend not in ("auto", "redis", "local"):
        errors.append(
            Error(
                f"{_setting('EVENT_BACKEND')} is {backend!r}.",
                hint='Use "auto", "redis" or "local".',
                id="personalization.E009",
            )
        )
    elif backend == "redis" and not url:
        errors.append(
            Error(
                f'{_setting("EVENT_BACKEND")} is "redis" but REDIS_URL is not set.',
                hint='Set REDIS_URL, or EVENT_BACKEND="auto" to use the in-process buffer.',
                id="personalization.E009",
            )
        )
    return errors


def check_middleware() -> list[Warning]:
    middleware = list(getattr(settings, "MIDDLEWARE", []) or [])
    if MIDDLEWARE_PATH not in middleware:
        return [
            Warning(
                "VisitorMiddleware is not in MIDDLEWARE: visitors get no cookie and "
                "tracking from requests cannot recognise returning shoppers.",
                hint=f'Add "{MIDDLEWARE_PATH}" after AuthenticationMiddleware.',
                id="personalization.W001",
            )
        ]
    if AUTH_MIDDLEWARE in middleware and middleware.index(AUTH_MIDDLEWARE) > middleware.index(
        MIDDLEWARE_PATH
    ):
        return [
            Warning(
                "VisitorMiddleware comes before AuthenticationMiddleware, so signed-in "
                "customers are treated as anonymous visitors.",
                hint="Move it after django.contrib.auth.middleware.AuthenticationMiddleware.",
                id="personalization.W003",
            )
        ]
    return []


SQLITE_HINT = (
    'Set DATABASES[...]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE", '
    '"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"} '
    '(docs/demo-store.md, "SQLite for concurrent shoppers"), or use PostgreSQL.'
)


def check_sqlite() -> list[Warning]:
    """A file SQLite database without IMMEDIATE transactions and WAL answers 500
    "database is locked" when two shoppers choose consent or ask to be forgotten at the
    same moment: a deferred transaction that reads and then writes cannot wait for the
    write lock, and without WAL every reader blocks the writer."""
    warnings: list[Warning] = []
    for alias, database in (getattr(settings, "DATABASES", {}) or {}).items():
        name = str(database.get("NAME") or "")
        if not str(database.get("ENGINE", "")).endswith("sqlite3") or _in_memory(name):
            continue
        options = database.get("OPTIONS") or {}
        missing = []
        if str(options.get("transaction_mode") or "").upper() != "IMMEDIATE":
            missing.append('"transaction_mode": "IMMEDIATE"')
        if "journal_mode=wal" not in str(options.get("init_command") or "").lower().replace(
            " ", ""
        ):
            missing.append('"PRAGMA journal_mode=WAL" in "init_command"')
        if missing:
            warnings.append(
                Warning(
                    f"DATABASES[{alias!r}] is SQLite without {' and '.join(missing)}: "
                    "concurrent consent, forget-me and event writes fail with "
                    '"database is locked".',
                    hint=SQLITE_HINT,
                    id="personalization.W030",
                )
            )
    return warnings


def _in_memory(name: str) -> bool:
    return name == ":memory:" or "mode=memory" in name


FEATURE_APPS = (
    "personalization_plugin.experiments",
    "personalization_plugin.scores",
    "personalization_plugin.segments",
    "personalization_plugin.triggers",
)


def check_feature_apps() -> list[Error]:
    """Serving, the admin and GraphQL use every feature app's models: all must be installed."""
    from django.apps import apps

    missing = [name for name in FEATURE_APPS if not apps.is_installed(name)]
    if not missing:
        return []
    return [
        Error(
            f"{', '.join(missing)} not in INSTALLED_APPS; personalization needs its feature apps.",
            hint="Add them after 'personalization_plugin' in INSTALLED_APPS, then run migrate.",
            id="personalization.E011",
        )
    ]


@register(Tags.compatibility)
def check_personalization_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    user = getattr(settings, "PERSONALIZATION", {})
    if user is None:
        user = {}
    if not isinstance(user, dict):
        return [
            Error(
                f"PERSONALIZATION must be a dict, got {type(user).__name__}.",
                hint='For example PERSONALIZATION = {"ADAPTER": "shop.adapter.ShopAdapter"}.',
                id="personalization.E002",
            )
        ]
    return [
        *check_keys(user),
        *check_values(user),
        *check_weights(user),
        *check_adapter(user),
        *check_redis(user),
        *check_middleware(),
        *check_feature_apps(),
        *check_sqlite(),
    ]
