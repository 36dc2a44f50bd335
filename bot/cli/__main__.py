"""``python -m bot.cli``: the same as the ``backfill`` script."""

import sys

from bot.cli import main

sys.exit(main())
