"""Receivers for `personalization_plugin.signals` (filled in by the intake work)."""


def connect() -> None:
    """Connect the plugin's signal receivers; called from AppConfig.ready()."""
