"""The one reader for JSON request bodies: size, encoding, syntax and nesting depth.

`json.loads` recurses once per nesting level: a 2 kB body of 2,000 brackets raises
`RecursionError` (not a `ValueError`), which every view that caught only `ValueError`
turned into a 500. Below the interpreter's limit a deep value still reaches code that
recurses over it (GraphQL variable coercion, `json.dumps` of a reply). So every
endpoint that reads JSON from the outside world (intake, consent, forget-me, GraphQL
bodies and `variables`) goes through `read_json`, which refuses a body that is too
large, not UTF-8, not JSON, or nested deeper than `MAX_DEPTH`, with an error that says
which and what to send instead.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext

# No body the plugin accepts is nested more than a few levels (an intake batch is 3:
# object -> "events" list -> event object; GraphQL variables a few more). 32 leaves room
# for a store's own input types and stays far below the interpreter's recursion limit.
MAX_DEPTH = 32


class JsonBodyError(ValueError):
    """A request body that cannot be read as JSON; `status` is the HTTP status to answer
    (400 for a malformed body, 413 for one that is too large) and the message says what
    was wrong and what to send."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def nesting_depth(value: Any, limit: int) -> int:
    """How deeply `value` nests lists and objects (a scalar is 0), counted without
    recursion so that measuring a hostile value cannot itself overflow the stack. Stops
    counting once `limit` is exceeded and returns limit + 1."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        if depth > limit:
            return limit + 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest


def _what(what: str | None) -> str:
    return what or gettext("The JSON body")


def _too_deep(what: str | None, max_depth: int) -> JsonBodyError:
    return JsonBodyError(
        gettext("%(what)s is nested more than %(limit)d levels deep; send a flatter value.")
        % {"what": _what(what), "limit": max_depth}
    )


def check_depth(value: Any, max_depth: int = MAX_DEPTH, what: str | None = None) -> Any:
    """`value` itself when it nests at most `max_depth` levels, else `JsonBodyError`.
    For JSON that arrived some other way (e.g. a GraphQL `variables` object)."""
    if nesting_depth(value, max_depth) > max_depth:
        raise _too_deep(what, max_depth)
    return value


def loads(text: str | bytes, max_depth: int = MAX_DEPTH, what: str | None = None) -> Any:
    """Parse JSON text with the depth limit; `JsonBodyError` (400) when it is not UTF-8,
    not valid JSON or nests too deeply."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonBodyError(
                gettext("%(what)s is not UTF-8 text (byte %(position)d); send UTF-8 JSON.")
                % {"what": _what(what), "position": exc.start}
            ) from None
    try:
        value = json.loads(text)
    except RecursionError:  # deeper than the interpreter allows: deeper than any limit
        raise _too_deep(what, max_depth) from None
    except ValueError as exc:
        raise JsonBodyError(
            gettext("%(what)s is not valid JSON (%(problem)s).")
            % {"what": _what(what), "problem": getattr(exc, "msg", str(exc))}
        ) from None
    return check_depth(value, max_depth, what)


def read_json(
    body: bytes,
    *,
    max_bytes: int,
    max_depth: int = MAX_DEPTH,
    empty: Any = None,
) -> Any:
    """The parsed JSON value of a request body.

    Args:
        body: the raw body (`request.body`).
        max_bytes: the largest body accepted; a larger one is `JsonBodyError` with 413.
        max_depth: the deepest nesting of lists and objects accepted.
        empty: returned for an empty body; None means an empty body is an error.

    Raises:
        JsonBodyError: too large (413), not UTF-8, not JSON or too deep (400).
    """
    if len(body) > max_bytes:
        raise JsonBodyError(
            gettext("The request body is %(size)d bytes, larger than the limit of %(limit)d bytes.")
            % {"size": len(body), "limit": max_bytes},
            status=413,
        )
    if not body.strip():
        if empty is not None:
            return empty
        raise JsonBodyError(gettext("The request body is empty; send a JSON value."))
    return loads(body, max_depth)
