#!/usr/bin/env bash
# A private MariaDB server for the store's conformance suite (tests/store on MariaDB).
#
#   bash tests/mariadb/start.sh DIR PORT   initialise DIR (once), start mariadbd on
#                                          127.0.0.1:PORT with its socket in DIR; the last
#                                          line printed is the server URL for MARIADB_URL
#   bash tests/mariadb/start.sh --stop DIR stop it
#
# Needs Debian's mariadb-server (mariadb-install-db, mariadbd); nothing is installed here,
# nothing outside DIR is touched. The tests' user `backfill` may create and drop the
# `bf_*` databases each test makes (a fresh one per test).
set -euo pipefail

if [ "${1:-}" = "--stop" ]; then
    dir=$(realpath -m "${2:?usage: start.sh --stop DIR}")
    if [ -f "$dir/mariadbd.pid" ]; then
        pid=$(cat "$dir/mariadbd.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$dir/mariadbd.pid"
    fi
    exit 0
fi

dir=$(realpath -m "${1:?usage: start.sh DIR PORT}")
port=${2:?usage: start.sh DIR PORT}
for tool in mariadb-install-db mariadbd mariadb; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
        echo "start.sh: $tool missing: apt-get install mariadb-server" >&2; exit 1; }
done
PATH="$PATH:/usr/sbin"
me=$(id -un)
mkdir -p "$dir"
if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --no-defaults --user="$me" --datadir="$dir/data" \
        --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 \
        || { cat "$dir/install.log" >&2; exit 1; }
fi
# --no-defaults: none of the machine's my.cnf; small buffers: a test server, not a service
mariadbd --no-defaults --user="$me" --datadir="$dir/data" --socket="$dir/mysqld.sock" \
    --pid-file="$dir/mariadbd.pid" --bind-address=127.0.0.1 --port="$port" \
    --skip-name-resolve --innodb-buffer-pool-size=128M --innodb-log-file-size=48M \
    --innodb-flush-log-at-trx-commit=2 --skip-log-bin --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_bin --log-error="$dir/error.log" >/dev/null 2>&1 &
for _ in $(seq 1 300); do
    [ -S "$dir/mysqld.sock" ] && mariadb --no-defaults --socket="$dir/mysqld.sock" -u "$me" \
        -e "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.1
done
mariadb --no-defaults --socket="$dir/mysqld.sock" -u "$me" -e "SELECT 1" >/dev/null \
    || { echo "start.sh: mariadbd did not start; see $dir/error.log" >&2; tail -20 "$dir/error.log" >&2; exit 1; }
mariadb --no-defaults --socket="$dir/mysqld.sock" -u "$me" <<'SQL'
CREATE USER IF NOT EXISTS 'backfill'@'127.0.0.1' IDENTIFIED BY 'backfill';
CREATE USER IF NOT EXISTS 'backfill'@'localhost' IDENTIFIED BY 'backfill';
GRANT ALL PRIVILEGES ON `bf\_%`.* TO 'backfill'@'127.0.0.1';
GRANT ALL PRIVILEGES ON `bf\_%`.* TO 'backfill'@'localhost';
CREATE DATABASE IF NOT EXISTS bf_default CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
SQL
echo "mysql://backfill:backfill@127.0.0.1:$port/bf_default"
