#!/usr/bin/env bash
# Stop a MariaDB server started by start-mariadb.sh and remove its directory if start made it.
#
# Usage: tests/db/stop-mariadb.sh DIR
#
# Safe to call twice, and on a half-started DIR. Only processes whose command line has
# --defaults-file=DIR/my.cnf as a whole argument are ever signalled, so other servers (other
# ports, other DIRs, a system MariaDB) are untouched. Exit status 0 once nothing of DIR runs any
# more; 1 if something would not stop (DIR is kept).
#
# mariadbd gets SIGTERM (normal shutdown: ends client sessions, then exits), then SIGKILL after
# MARIADB_STOP_TIMEOUT seconds (3 s at most for a server that never became ready).
#
# Environment (optional): MARIADB_STOP_TIMEOUT  seconds to wait for the shutdown (default 30)
set -euo pipefail

PROG=stop-mariadb
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

MARKER=.created-by-start-mariadb
STOP_TIMEOUT=${MARIADB_STOP_TIMEOUT:-30}
require_number STOP_TIMEOUT

[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
if [[ ! -d $1 ]]; then
    log "$1 does not exist; nothing to stop"
    exit 0
fi
# Physical path, exactly as start-mariadb.sh wrote it into the server's command line.
DIR=$(cd -P "$1" && pwd -P)
IDENT=--defaults-file=$DIR/my.cnf

# mariadbd hangs, and never exits by itself, when SIGTERM reaches it early in its startup
# (MariaDB 10.11, seen within ~0.1 s of launch). A server that never reported ready holds nothing
# worth a clean shutdown, so it gets a short grace before SIGKILL instead of the full timeout.
if ! grep -q 'ready for connections' "$DIR/log/error.log" 2>/dev/null && (( STOP_TIMEOUT > 3 )); then
    STOP_TIMEOUT=3
fi

failed=0
# The server as start-mariadb.sh recorded it, then as the server recorded itself.
for pidfile in "$DIR/mariadbd.pid" "$DIR/mariadbd.server.pid"; do
    [[ -f $pidfile ]] || continue
    pid=$(head -n1 "$pidfile" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] || continue
    stop_pid mariadbd "$pid" "$IDENT" TERM KILL || failed=1
done

# Anything else naming our my.cnf: a mariadb-install-db (a shell script, comm cut to 15
# characters) or its bootstrap mariadbd left by an interrupted start, with the timeout wrapping
# them. Wrappers first, the server last.
while read -r pid comm; do
    [[ -n $pid ]] || continue
    stop_pid "$comm" "$pid" "$IDENT" TERM KILL || failed=1
done < <(processes_naming "$IDENT" timeout mariadb-install mysql_install_d mariadbd mysqld)

if (( failed )); then
    log "some processes did not stop; leaving $DIR in place"
    exit 1
fi

rm -f "$DIR/mariadbd.pid"
if [[ -f $DIR/$MARKER ]]; then
    rm -rf -- "$DIR"
    log "stopped; removed $DIR"
else
    log "stopped; kept $DIR (it has no $MARKER file)"
fi
