#!/bin/bash
# The scheduled run. Secrets come from `toolforge envvars` (FLICKR_API_KEY and the
# COMMONS_OAUTH_* or COMMONS_BOTPASSWORD* values); nothing secret is in this file or the
# repo. Paths are derived from where this script lives (the checkout in the tool's home,
# /data/project/<tool>/flickr-sdc-backfill), not from $HOME, which a job container need
# not set; TOOL_HOME overrides.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOL_HOME="${TOOL_HOME:-$(dirname "$REPO")}"
cd "$REPO"
export PYWIKIBOT_DIR="${PYWIKIBOT_DIR:-$TOOL_HOME/pywikibot}"
export BACKFILL_DB_PATH="${BACKFILL_DB_PATH:-$TOOL_HOME/backfill/backfill.db}"
export BACKFILL_REPORT_DIR="${BACKFILL_REPORT_DIR:-$TOOL_HOME/backfill/reports}"
mkdir -p "$PYWIKIBOT_DIR" "$(dirname "$BACKFILL_DB_PATH")" "$BACKFILL_REPORT_DIR"
# No --recheck: files with open conflicts are revision-checked on their own every
# recheck_conflicts_days (config/defaults.toml), and re-planned only if they changed.
exec "$TOOL_HOME/backfill-venv/bin/backfill" -v run --max-minutes 1140 --json
