#!/bin/bash
# Build the bot's virtualenv inside the python3.11 job image (run as a one-off job).
set -euo pipefail
cd "$HOME/flickr-sdc-backfill"
python3 -m venv "$HOME/backfill-venv"
"$HOME/backfill-venv/bin/python" -m pip install --quiet --upgrade pip
"$HOME/backfill-venv/bin/python" -m pip install --quiet -e .
echo "virtualenv ready: $("$HOME/backfill-venv/bin/backfill" --version)"
