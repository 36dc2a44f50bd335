#!/bin/bash
# The scheduled run. Secrets come from `toolforge envvars` (FLICKR_API_KEY and the
# OAuth tokens read by user-config.py); nothing secret is in this file or the repo.
set -euo pipefail
cd "$HOME/flickr-sdc-backfill"
export PYWIKIBOT_DIR="$HOME/.pywikibot"
export BACKFILL_DB_PATH="${BACKFILL_DB_PATH:-$HOME/backfill/backfill.db}"
export BACKFILL_REPORT_DIR="${BACKFILL_REPORT_DIR:-$HOME/backfill/reports}"
exec "$HOME/backfill-venv/bin/backfill" -v run --max-minutes 1140 --json
