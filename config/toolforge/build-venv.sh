#!/bin/bash
# Build the bot's virtualenv inside the python3.11 job image (run as a one-off job).
# The venv goes next to the checkout, in the tool's home (/data/project/<tool>).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOL_HOME="${TOOL_HOME:-$(dirname "$REPO")}"
cd "$REPO"
python3 -m venv "$TOOL_HOME/backfill-venv"
"$TOOL_HOME/backfill-venv/bin/python" -m pip install --quiet --upgrade pip
"$TOOL_HOME/backfill-venv/bin/python" -m pip install --quiet -e .
echo "virtualenv ready: $("$TOOL_HOME/backfill-venv/bin/backfill" --version)"
