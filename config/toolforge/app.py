"""``$HOME/www/python/src/app.py``: the file Toolforge's ``webservice python3.11`` serves.

uWSGI imports this module and serves its ``app`` object. The code lives in the tool's
checkout (``$HOME/flickr-sdc-backfill``, or ``TOOL_REPO_DIR``); this shim only puts it
on the path and imports the real WSGI app. Set-up, once, as the tool account::

    mkdir -p $HOME/www/python/src
    cp $HOME/flickr-sdc-backfill/config/toolforge/app.py $HOME/www/python/src/app.py
    cp $HOME/flickr-sdc-backfill/config/toolforge/service.template $HOME/service.template
    webservice python3.11 shell -- bash -c \
        'python3 -m venv $HOME/www/python/venv && \
         $HOME/www/python/venv/bin/pip install -e $HOME/flickr-sdc-backfill'
    toolforge envvars create TOOL_DB_PATH        # e.g. /data/project/<tool>/backfill/backfill.db
    toolforge envvars create TOOL_SECRET_KEY     # python3 -c 'import secrets; print(secrets.token_hex(32))'
    toolforge envvars create TOOL_OAUTH_CLIENT_ID
    toolforge envvars create TOOL_OAUTH_CLIENT_SECRET
    webservice start
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(os.environ.get("TOOL_REPO_DIR", Path.home() / "flickr-sdc-backfill"))
if REPO.is_dir() and str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from review_ui.wsgi import app  # noqa: E402

__all__ = ["app"]
