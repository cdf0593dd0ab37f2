"""Trending that means "many shoppers, recently": the rules both real-time stores follow.

An item's trending score is a decayed count of distinct shoppers, weighted by how deep
each one went (a view, a cart add, a purchase), not a count of hits:

- one shopper counts once per item per decay window (one half-life): repeated views, a
  reload loop or a bot hammering one product move it by one view's weight at most;
  within a window only a deeper event (cart add after a view) adds the difference;
- a separate *support* board counts distinct shoppers per item (weight 1 each, decayed
  the same way); an item trends only once its support reaches TRENDING_MIN_SHOPPERS;
- each shopper's contributions are kept in a per-shopper ledger (under a keyed hash of
  the subject), so an erased shopper's contribution is subtracted from every board.

Exponential decay without rewrites: an increment at time t is stored as
`weight * 2 ** ((t - epoch) / half_life)`; reading multiplies by `2 ** -((now - epoch) /
half_life)`. When the exponent passes REBASE_AFTER_HALF_LIVES the epoch moves to the
event's time and every board is rescaled once. On Redis the epoch lives in Redis and
the rebase runs inside the state script, so every process and every client agree on one
epoch and a board is rescaled exactly once (`REDIS_TREND_LUA`); in process the same
happens under the store's lock (`LocalTrending`).

Boards are bounded: trimmed to TRENDING_SIZE on every update, ordered as they are
updated (Redis sorted sets; a `SortedList` in process), so reading a top-k never sorts
a board.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from sortedcontainers import SortedList

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.tracking.trending_lua import (
    REDIS_TREND_LUA,
    TREND_FORGET_LUA,
    TREND_READ_LUA,
)

__all__ = [
    "REDIS_TREND_LUA",
    "TREND_FORGET_LUA",
    "TREND_READ_LUA",
    "Board",
    "LocalTrending",
    "clock",
    "half_life_seconds",
    "max_scan",
    "min_shoppers",
    "trending_weight",
]

TRENDING_SIZE = 5000  # items kept per board (store-wide, per category, support)
# A board is trimmed back to TRENDING_SIZE once it holds twice that many: the slack lets a
# newly rising item gather its shoppers instead of being evicted on its first increment.
TRIM_SLACK = 2
REBASE_AFTER_HALF_LIVES = 256.0
# A shopper's ledger lives this many half-lives after their last counted event; what they
# contributed before that has decayed below 2 ** -10 (0.1 %) of its weight.
LEDGER_HALF_LIVES = 10.0
# Distinct items one shopper's ledger counts; beyond this a "shopper" is a crawler and
# moves nothing more (and the ledger stays small).
MAX_LEDGER_ITEMS = 1000
# A board entry whose decayed score falls below this (after an erasure) is removed.
NEGLIGIBLE = 1e-6
SEPARATOR = "\x1f"  # between category ids in a ledger (ids may hold commas)

# The time "now" for trending reads and for capping event times (tests advance it).
clock: Callable[[], float] = time.time


def half_life_seconds() -> float:
    return max(1.0, float(plugin_settings.TRENDING_HALF_LIFE_HOURS) * 3600.0)


def min_shoppers() -> float:
    """The decayed distinct-shopper count an item needs before it may trend.

    TRENDING_MIN_SHOPPERS shoppers are counted as present once their decayed count rounds
    to that number: three shoppers a few minutes ago weigh 2.998, not 3, and still count.
    """
    wanted = float(plugin_settings.TRENDING_MIN_SHOPPERS)
    return max(0.0, wanted - 0.5) if wanted > 0 else 0.0


def trending_weight(event_type: str) -> float:
    """How much one shopper's event counts towards trending (positive feedback only)."""
    weight = float(plugin_settings.EVENT_WEIGHTS.get(event_type, 0.0) or 0.0)
    return weight if weight > 0 else 0.0


def ledger_ttl_seconds() -> int:
    return int(LEDGER_HALF_LIVES * half_life_seconds()) + 1


class Board:
    """One bounded trending board: scores by item, kept in order as they change.

    Updates cost O(log n); the top k costs O(k); nothing ever sorts the whole board.
    """

    __slots__ = ("scores", "order")

    def __init__(self) -> None:
        self.scores: dict[str, float] = {}
        self.order: SortedList = SortedList()  # (-score, item id): best first

    def __len__(self) -> int:
        return len(self.scores)

    def add(self, item: str, delta: float, floor: float = 0.0) -> None:
        """Add `delta` to an item's score; an item left at or below `floor` is removed."""
        old = self.scores.get(item)
        if old is not None:
            self.order.remove((-old, item))
        new = (old or 0.0) + delta
        if new <= floor:
            self.scores.pop(item, None)
            return
        self.scores[item] = new
        self.order.add((-new, item))

    def trim(self, size: int) -> None:
        """Drop the lowest-scored items beyond `size` once the board holds TRIM_SLACK
        times that many (amortised: one trim per `size` new items)."""
        if len(self.order) <= TRIM_SLACK * size:
            return
        while len(self.order) > size:
            _, item = self.order.pop()
            del self.scores[item]

    def scale(self, factor: float) -> None:
        """Multiply every score (a rebase, to the epoch "now"); items worth less than
        NEGLIGIBLE of one shopper now leave."""
        kept = [(score * factor, item) for item, score in self.scores.items()]
        self.scores = {item: score for score, item in kept if score >= NEGLIGIBLE}
        self.order = SortedList((-score, item) for item, score in self.scores.items())

    def top(self) -> Iterator[tuple[str, float]]:
        """(item, stored score), best first (ties by item id)."""
        for negative, item in self.order:
            yield item, -negative


@dataclass
class _Counted:
    """What one shopper added to one item, in the ledger's epoch units."""

    window_start: float
    window_weight: float
    contribution: float = 0.0
    support: float = 0.0
    boards: set[str] = field(default_factory=set)


@dataclass
class _Ledger:
    epoch: float
    expires: float
    items: dict[str, _Counted] = field(default_factory=dict)


class LocalTrending:
    """In-process trending boards with the same rules as the Redis script.

    Not thread-safe on its own: `LocalRealtime` calls it under its lock.
    """

    MAX_SUBJECTS = 50_000

    def __init__(self) -> None:
        self.boards: dict[str, Board] = {}
        self.support = Board()
        self.epoch: float | None = None
        self.ledgers: OrderedDict[str, _Ledger] = OrderedDict()

    def clear(self) -> None:
        self.boards.clear()
        self.support = Board()
        self.epoch = None
        self.ledgers.clear()

    def _growth(self, ts: float) -> float:
        """2 ** ((ts - epoch) / half-life), rebasing every board once when it gets large."""
        if self.epoch is None:
            self.epoch = ts
        exponent = (ts - self.epoch) / half_life_seconds()
        if exponent > REBASE_AFTER_HALF_LIVES:
            factor = 2.0**-exponent
            for board in (*self.boards.values(), self.support):
                board.scale(factor)
            self.epoch, exponent = ts, 0.0
        return float(2.0**exponent)

    def _ledger(self, subject: str, now: float) -> _Ledger:
        assert self.epoch is not None
        ledger = self.ledgers.get(subject)
        if ledger is None or ledger.expires < now:
            ledger = self.ledgers[subject] = _Ledger(self.epoch, 0.0)
            while len(self.ledgers) > self.MAX_SUBJECTS:
                self.ledgers.popitem(last=False)
        elif ledger.epoch != self.epoch:  # the boards were rebased since: convert
            factor = 2.0 ** ((ledger.epoch - self.epoch) / half_life_seconds())
            for counted in ledger.items.values():
                counted.contribution *= factor
                counted.support *= factor
            ledger.epoch = self.epoch
        self.ledgers.move_to_end(subject)
        ledger.expires = now + ledger_ttl_seconds()
        return ledger

    def record(
        self, subject: str, item: str, weight: float, ts: float, categories: Iterable[str]
    ) -> None:
        """Count one shopper's event on an item (see the module docstring for the rules)."""
        if weight <= 0 or not item:
            return
        now = clock()
        ts = min(ts, now)
        growth = self._growth(ts)
        ledger = self._ledger(subject, now)
        counted = ledger.items.get(item)
        added, new_shopper = 0.0, False
        if counted is None or ts - counted.window_start >= half_life_seconds():
            if counted is None and len(ledger.items) >= MAX_LEDGER_ITEMS:
                return
            if counted is None:
                counted = ledger.items[item] = _Counted(ts, weight)
            counted.window_start, counted.window_weight = ts, weight
            added, new_shopper = weight, True
        elif weight > counted.window_weight:
            added, counted.window_weight = weight - counted.window_weight, weight
        if not added:
            return
        names = ["", *sorted(set(categories) - {""})]
        counted.boards.update(names)
        increment = added * growth
        for name in names:
            board = self.boards.setdefault(name, Board())
            board.add(item, increment)
            board.trim(TRENDING_SIZE)
        counted.contribution += increment
        if new_shopper:
            self.support.add(item, growth)
            self.support.trim(TRENDING_SIZE)
            counted.support += growth

    def top(self, n: int, category_id: str | None) -> list[tuple[str, float]]:
        """The n best items with enough distinct shoppers, with their scores now."""
        board = self.boards.get(category_id or "")
        if board is None or self.epoch is None or n <= 0:
            return []
        scale = 2.0 ** (-(clock() - self.epoch) / half_life_seconds())
        if scale <= 0:
            return []
        needed = min_shoppers() / scale
        support = self.support.scores
        rows = (
            (item, score * scale)
            for item, score in islice(board.top(), max_scan(n))
            if support.get(item, 0.0) >= needed
        )
        return list(islice(rows, n))

    def forget(self, subject: str) -> int:
        """Subtract a shopper's contributions from every board; 1 if they had any."""
        ledger = self.ledgers.pop(subject, None)
        if ledger is None or self.epoch is None:
            return 0
        factor = 2.0 ** ((ledger.epoch - self.epoch) / half_life_seconds())
        floor = NEGLIGIBLE * 2.0 ** ((clock() - self.epoch) / half_life_seconds())
        for item, counted in ledger.items.items():
            for name in counted.boards:
                board = self.boards.get(name)
                if board is not None and item in board.scores:
                    board.add(item, -counted.contribution * factor, floor)
            if item in self.support.scores:
                self.support.add(item, -counted.support * factor, floor)
        return 1


def max_scan(n: int) -> int:
    """How far down a board a read looks for items with enough support (bounded work)."""
    return 20 * n + 200
