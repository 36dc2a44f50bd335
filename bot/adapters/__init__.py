"""Adapters at the edges: Commons through pywikibot, Flickr and Wikidata through httpx, the
pywikibot set-up, rate limiting and the settings file.

They may import ``bot.core``; never the store, the job or the CLI.
"""
