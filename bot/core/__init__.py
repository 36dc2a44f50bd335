"""The pure core: ids, Wikibase JSON helpers, claims, the reconciler, decisions, Flickr URL
parsing, wikitext and snapshot evidence, the typed records they share.

It imports only the standard library, small pure libraries and itself: never ``bot.adapters``,
``bot.store``, ``bot.run``, ``bot.extract``, ``bot.cli``, ``bot.standins``, pywikibot, httpx or
anything that reaches the network (``tests/test_architecture.py`` enforces it).
"""
