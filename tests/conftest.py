"""Fixtures shared across test modules that must exist once per session.

The real Wikibase (``real_wiki``) is started at most once per session however many
modules run scenarios against it; see ``wikibase_backends``.
"""

from wikibase_backends import real_wiki_fixture  # noqa: F401 - fixture
