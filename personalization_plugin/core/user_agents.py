"""What a User-Agent header says about the client: device type, and whether it is a bot.

The one home of user-agent detection: the segments device rule reads `device_of`, and
the intake drops traffic `is_bot` recognises (crawlers and headless browsers) so that
they are never stored as shoppers. An empty header is not a bot: real browsers always
send one, and server-side callers (tests, a store's own code) often send none.
"""

from __future__ import annotations

import re

MOBILE_RE = re.compile(r"Mobi|iPhone|iPod|Android.+Mobile|Windows Phone|BlackBerry", re.I)
TABLET_RE = re.compile(r"iPad|Tablet|Android(?!.*Mobile)|Kindle|Silk", re.I)
# Crawlers name themselves "...bot", "crawler", "spider" (Googlebot, bingbot, AhrefsBot,
# Baiduspider), Yahoo's "Slurp"; headless browsers say "HeadlessChrome" or "PhantomJS".
BOT_RE = re.compile(r"bot|crawl|spider|slurp|headless|phantomjs", re.I)


def is_bot(user_agent: str) -> bool:
    """Whether the User-Agent is a crawler's or a headless browser's."""
    return bool(user_agent) and BOT_RE.search(user_agent) is not None


def device_of(user_agent: str) -> str:
    """ "mobile", "tablet", "desktop" or "bot" from a User-Agent header ("desktop" if empty)."""
    if not user_agent:
        return "desktop"
    if is_bot(user_agent):
        return "bot"
    if TABLET_RE.search(user_agent) and not MOBILE_RE.search(user_agent):
        return "tablet"
    if MOBILE_RE.search(user_agent):
        return "mobile"
    return "desktop"
