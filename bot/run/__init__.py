"""The orchestrator: the job that walks the worklist, reads Commons and Flickr, plans with the
core, writes through the journaled edit protocol and applies maintainers' decisions.

It may import ``bot.core``, ``bot.adapters`` and ``bot.store``; never the CLI.
"""
