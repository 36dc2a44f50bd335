"""The WSGI ``app`` object for Toolforge's ``webservice python3.11`` (uWSGI).

Configured entirely from ``TOOL_*`` environment variables (``toolforge envvars``); see
``review_ui.app`` for the list. Importing this module without ``TOOL_DB_PATH`` and
``TOOL_SECRET_KEY`` fails on purpose: a review page without them must not start.
"""

from __future__ import annotations

from review_ui.app import create_app

app = create_app()
