"""Django system checks for PERSONALIZATION (personalization.E001 ... and W001 ...).

Every message says what is wrong and how to fix it; `manage.py check` runs them.

E001 unknown key (names the closest valid one)   E006 ADAPTER not importable
E002 PERSONALIZATION is not a dict                E007 ADAPTER lacks the protocol methods
E003 value of the wrong type                      E008 REDIS_URL unparseable
E004 value out of range                           E009 EVENT_BACKEND invalid or unusable
E005 CONSENT_MODE not "implied"/"required"        E010 EVENT_WEIGHTS malformed
W001 VisitorMiddleware not installed              W002 ADAPTER not set
W003 VisitorMiddleware before AuthenticationMiddleware (customers are not recognised)
W004 several web processes without REDIS_URL (rate limits are counted per process)
E020 HASH_KEY / HASH_KEY_FALLBACKS malformed     W020 HASH_KEY missing or = SECRET_KEY (production)
"""

from __future__ import annotations

import difflib
import numbers
import os
import re
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
    ("TRENDING_MIN_SHOPPERS", float, 0, None, True, True),
    ("TRENDING_PRIOR_SHOPPERS", float, 0, None, True, True),
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
    ("MODEL_SEARCH_SECONDS", float, 0, None, False, True),
    ("GATE_TOLERANCE", float, 0, 1, True, True),
]
STRING_KEYS = ("KEY_PREFIX", "VISITOR_COOKIE", "CONSENT_COOKIE", "ALGORITHM")
BOOL_KEYS = ("ENABLED", "HONOR_GPC", "MODEL_SEARCH")
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


_WORKERS_ARG = re.compile(r"(?:^|\s)(?:-w|--workers)(?:=|\s+)(\d+)")


def web_processes(environ: dict[str, str] | None = None) -> tuple[int, str]:
    """How many web processes the environment says will serve the site, and which
    variable says so: WEB_CONCURRENCY (read by gunicorn and uvicorn, set by PaaS hosts)
    or --workers in GUNICORN_CMD_ARGS. (1, "") when neither says more than one; a
    gunicorn config file is not visible here."""
    env = os.environ if environ is None else environ
    concurrency = env.get("WEB_CONCURRENCY", "").strip()
    if concurrency.isdigit() and int(concurrency) > 1:
        return int(concurrency), "WEB_CONCURRENCY"
    match = _WORKERS_ARG.search(env.get("GUNICORN_CMD_ARGS", ""))
    if match and int(match.group(1)) > 1:
        return int(match.group(1)), "GUNICORN_CMD_ARGS"
    return 1, ""


def check_shared_limits(
    user: dict[str, Any], environ: dict[str, str] | None = None
) -> list[Warning]:
    """Without Redis each web process counts the intake's rate limit on its own: say so
    when the environment announces several processes (finding: 1,000 events accepted
    against a limit of 600 with two workers)."""
    limit = user.get("RATE_LIMIT_PER_MINUTE", DEFAULTS["RATE_LIMIT_PER_MINUTE"])
    if user.get("REDIS_URL") or not limit:
        return []
    processes, source = web_processes(environ)
    if processes <= 1:
        return []
    return [
        Warning(
            f"{source} says {processes} web processes, but REDIS_URL is not set: each "
            "process counts RATE_LIMIT_PER_MINUTE on its own, so one visitor or address "
            f"may send up to {processes} times the limit. Buffered events and the memory "
            "of recent erasures are per process too.",
            hint=f"Set {_setting('REDIS_URL')} so every process shares one counter, or run "
            "a single web process.",
            id="personalization.W004",
        )
    ]


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


HASH_KEY_HINT = (
    'Set PERSONALIZATION["HASH_KEY"] to a long random string of its own, for example from '
    "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`, kept as secret as "
    "SECRET_KEY. Old digests stay valid: SECRET_KEY is honoured on lookup, and after a "
    'later rotation list the old value in PERSONALIZATION["HASH_KEY_FALLBACKS"].'
)


def check_hash_key(user: dict[str, Any]) -> list[Error | Warning]:
    """The key of `core.subjects.digest` (key names, the erasure ledger): its own secret,
    so that rotating SECRET_KEY does not make erased shoppers importable again."""
    key = user.get("HASH_KEY")
    fallbacks = user.get("HASH_KEY_FALLBACKS", [])
    problems: list[Error | Warning] = []
    if key is not None and (not isinstance(key, str) or not key):
        problems.append(
            Error(
                f"{_setting('HASH_KEY')} must be a non-empty string or None, got {type(key).__name__}.",
                hint=HASH_KEY_HINT,
                id="personalization.E020",
            )
        )
    if not isinstance(fallbacks, list | tuple) or not all(
        isinstance(k, str) and k for k in fallbacks
    ):
        problems.append(
            Error(
                f"{_setting('HASH_KEY_FALLBACKS')} must be a list of non-empty strings (older "
                "hash keys, newest first).",
                hint='For example PERSONALIZATION["HASH_KEY_FALLBACKS"] = [OLD_HASH_KEY].',
                id="personalization.E020",
            )
        )
    if not settings.DEBUG and (not key or key == settings.SECRET_KEY):
        problems.append(
            Warning(
                f"{_setting('HASH_KEY')} is "
                + ("not set" if not key else "the same as SECRET_KEY")
                + ": shopper digests (Redis key names, the erased-shopper ledger) then depend "
                "on SECRET_KEY, and rotating it without SECRET_KEY_FALLBACKS lets a "
                "re-import bring erased shoppers back.",
                hint=HASH_KEY_HINT,
                id="personalization.W020",
            )
        )
    return problems


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
        *check_shared_limits(user),
        *check_hash_key(user),
        *check_middleware(),
        *check_feature_apps(),
        *check_sqlite(),
    ]
