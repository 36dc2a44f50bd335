"""Moved to ``tests.support.commons``: import from there, or use the fixtures of ``tests/conftest.py``.

Kept so that tests written against the old bare-name module (``import commons_fixtures``) still run;
nothing in this tree imports it any more.
"""

from tests.support.commons import *  # noqa: F403
