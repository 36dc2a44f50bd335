#!/usr/bin/env bash
# Start (or restart) the real test wiki: MediaWiki 1.39 LTS (Debian 12's package) +
# Wikibase + WikibaseMediaInfo, SQLite, the bot's properties and items with their
# Commons/Wikidata ids, a few tiny files, `php -S` on 127.0.0.1. As root.
#
#   tests/wikibase/start.sh [DIR [PORT]]    DIR defaults to var/wikibase, PORT to 8181
#   tests/wikibase/start.sh --stop [DIR]
#
# The last line printed is the API URL: export it as WIKIBASE_API_URL and run
# `pytest -m real_wikibase`. The recipe itself is ../shared/wikibase/start-wikibase.sh
# (beside the checkout, as CI places it; WIKIBASE_START_SCRIPT overrides), whose
# NOTES.md describes the wiki and the accounts. The shared entities.json covers every
# id in bot/core/ids.py (tests/adapters/test_commons_conformance.py checks that); WIKIBASE_ENTITIES
# passes another file through. One addition is made here (below): the wiki is
# registered as a site of its own, for reads by title.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
script=${WIKIBASE_START_SCRIPT:-$repo/../shared/wikibase/start-wikibase.sh}
if [ ! -f "$script" ]; then
    echo "tests/wikibase/start.sh: $script is missing (the shared dir beside the checkout)" >&2
    exit 1
fi
if [ "${1:-}" = "--stop" ]; then
    exec bash "$script" --stop "${2:-$repo/var/wikibase}"
fi
dir=${1:-$repo/var/wikibase}
mkdir -p "$(dirname "$dir")"
out=$(bash "$script" "$dir" ${2:+"$2"})
api=$(printf '%s\n' "$out" | tail -n 1)

# One addition to the shared recipe: the wiki knows itself as a site, as Commons knows
# commonswiki, so `wbgetentities&sites=<wikiid>&titles=File:…` (the bot's read by title)
# works. Wikibase accepts only sites of its siteLinkGroups there; the wiki's own
# settings file (read last) adds the group, addSite.php the site. Done once per DIR.
if [ ! -e "$dir/.site-registered" ]; then
    wikiid=$(php -r '$j = json_decode(file_get_contents($argv[1]), true);
        echo $j["query"]["general"]["wikiid"];' "$api?action=query&meta=siteinfo&format=json")
    base=${api%/api.php}
    if [ ! -e "$dir/LocalSettings.local.php" ]; then
        printf '%s\n' '<?php' "\$wgWBRepoSettings['siteLinkGroups'] = [ 'mediawiki' ];" \
            > "$dir/LocalSettings.local.php"
    fi
    MW_CONFIG_FILE=$dir/LocalSettings.php MW_INSTALL_PATH=/usr/share/mediawiki \
        php /usr/share/mediawiki/maintenance/addSite.php --language en \
        --pagepath "$base/wiki/\$1" --filepath "$base/\$1" --interwiki-id "$wikiid" \
        "$wikiid" mediawiki >>"$dir/logs/install.log" 2>&1
    touch "$dir/.site-registered"
fi
printf '%s\n' "$out"
