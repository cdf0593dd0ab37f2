"""Event intake: identity, validation, buffering and storage of shopper events."""
