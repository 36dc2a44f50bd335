"""``python -m bot.standins.flickr DIR``: serve a data directory until interrupted."""

from bot.standins.flickr.server import main

raise SystemExit(main())
