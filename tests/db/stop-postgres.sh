#!/usr/bin/env bash
# Stop a PostgreSQL server started by start-postgres.sh and remove its directory if start made it.
#
# Usage: tests/db/stop-postgres.sh DIR
#
# Safe to call twice, and on a half-started DIR. Only processes whose command line names
# DIR/data as a whole argument are ever signalled, so other servers (other ports, other DIRs,
# a system PostgreSQL) are untouched. Exit status 0 once nothing of DIR runs any more; 1 if
# something would not stop (DIR is kept).
#
# The postmaster gets SIGINT (fast shutdown: ends client sessions, then exits), then SIGQUIT
# (immediate shutdown) after PG_STOP_TIMEOUT seconds, then SIGKILL (with its children).
#
# Environment (optional): PG_STOP_TIMEOUT  seconds to wait for the fast shutdown (default 20)
set -euo pipefail

PROG=stop-postgres
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

MARKER=.created-by-start-postgres
STOP_TIMEOUT=${PG_STOP_TIMEOUT:-20}
require_number STOP_TIMEOUT

[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
if [[ ! -d $1 ]]; then
    log "$1 does not exist; nothing to stop"
    exit 0
fi
# Physical path, exactly as start-postgres.sh wrote it into the server's command line.
DIR=$(cd -P "$1" && pwd -P)
DATA=$DIR/data

failed=0
# The postmaster first: its own children (backends, checkpointer...) end with it.
if [[ -f $DATA/postmaster.pid ]]; then
    pid=$(head -n1 "$DATA/postmaster.pid" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]]; then
        stop_pid postgres "$pid" "$DATA" INT QUIT KILL || failed=1
    fi
fi

# Anything else naming DIR/data: a postmaster whose PID file is missing, or an initdb or pg_ctl
# left by an interrupted start (with the timeout and runuser wrapping them). Wrappers first,
# they pass the signal on; the server last. An editor showing a file in DIR is left alone.
while read -r pid comm; do
    [[ -n $pid ]] || continue
    case $comm in
        postgres) stop_pid "$comm" "$pid" "$DATA" INT QUIT KILL || failed=1 ;;
        *)        stop_pid "$comm" "$pid" "$DATA" TERM KILL || failed=1 ;;
    esac
done < <(processes_naming "$DATA" timeout runuser pg_ctl initdb postgres)

if (( failed )); then
    log "some processes did not stop; leaving $DIR in place"
    exit 1
fi

if [[ -f $DIR/$MARKER ]]; then
    rm -rf -- "$DIR"
    log "stopped; removed $DIR"
else
    log "stopped; kept $DIR (it has no $MARKER file)"
fi
