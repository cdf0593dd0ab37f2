"""Django system checks for PERSONALIZATION (personalization.E001 ...)."""
