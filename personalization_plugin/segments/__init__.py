"""Segments: owner-defined groups of shoppers by lifecycle, value, behaviour and context.

    from personalization_plugin.segments.engine import in_segment, segments_for
    in_segment(request, "loyal")

Rules (`rules.py`) compile to closures over a cached per-shopper profile (`profile.py`,
`store.py`); membership (`engine.py`) costs one cache read per request; sizes over time
come from `personalization_segments` (`sizes.py`).
"""
