"""``python -m bot.standins.commons [--seed DIR] [--port N]``: serve until interrupted."""

from bot.standins.commons.server import main

raise SystemExit(main())
