"""Moved to ``tests.support.world``: import from there, or use the fixtures of ``tests/conftest.py``.

Kept so that tests written against the old bare-name module (``import job_world``) still run;
nothing in this tree imports it any more.
"""

from tests.support.world import *  # noqa: F403
