"""Moved to ``tests.support.wikibase``: import from there, or use the fixtures of ``tests/conftest.py``.

Kept so that tests written against the old bare-name module (``import wikibase_backends``) still run;
nothing in this tree imports it any more.
"""

from tests.support.wikibase import *  # noqa: F403
