"""Shopper profiles: what segments and scores know about one shopper, built from events.

Below both segments and scores, which read the same profile; cached per shopper in Redis
(or in process) and kept current by a tracking listener.
"""
