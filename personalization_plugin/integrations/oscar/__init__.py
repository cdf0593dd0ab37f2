"""django-oscar 4.x integration.

Add ``"personalization_plugin.integrations.oscar"`` to INSTALLED_APPS (after Oscar's apps)
and set ``PERSONALIZATION["ADAPTER"] = "personalization_plugin.integrations.oscar.adapter.OscarAdapter"``.
The app's ``ready()`` connects Oscar's own signals to the plugin's tracking API.
"""
