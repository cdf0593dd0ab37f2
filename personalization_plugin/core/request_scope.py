"""Values read once per request: a memo that lives exactly as long as one request.

A storefront partial asks serving for several lists (its own and those of the widgets
above it), and each asks for the same shared facts, such as the erasure generation
(one Redis GET each time). Within one request those facts cannot usefully change, so
the first answer is kept for the rest of the request, and thrown away with it: the
next request reads afresh, so nothing is ever older than the request that read it.

`VisitorMiddleware` opens the scope; outside a request (a command, a worker, a test
calling serving directly) there is no scope and every read goes to its source. Code
that changes a memoised fact in the middle of a request (an erasure) calls `forget`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
_memo: ContextVar[dict[Any, Any] | None] = ContextVar("sp_request_scope", default=None)


@contextmanager
def scope() -> Iterator[None]:
    """Keep memoised reads until the block ends (one request). Nested scopes share the
    outer one, so a view calling another view's code does not read twice."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memo(key: Any, read: Callable[[], T]) -> T:
    """`read()` once per request for `key`; every call outside a request reads."""
    found = _memo.get()
    if found is None:
        return read()
    if key in found:
        return found[key]  # type: ignore[no-any-return]
    value = found[key] = read()
    return value


def forget(key: Any = None) -> None:
    """Drop one memoised value (or all) of the current request."""
    found = _memo.get()
    if found is None:
        return
    if key is None:
        found.clear()
    else:
        found.pop(key, None)
