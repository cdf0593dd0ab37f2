"""The leaves everything else stands on.

Only Django and the standard library (and redis-py, for the one client) are imported
here: the settings accessor, the exception hierarchy, the event vocabulary, subject ids
and their keyed hashing, the Redis client with its circuit breaker, the placement names,
and the registries through which higher layers plug into erasure and intake.
"""
