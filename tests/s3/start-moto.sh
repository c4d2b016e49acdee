#!/usr/bin/env bash
# Starts a moto S3 server on 127.0.0.1 for the one flow Ceph radosgw cannot serve: restoring
# objects from S3 Glacier (radosgw answers RestoreObject with 501 NotImplemented).
#
# Usage: tests/s3/start-moto.sh DIR
#   DIR is created and holds the server's log and pid. On success prints, on stdout,
#   `export DBACKUP_TEST_MOTO_ENDPOINT=...` and `export DBACKUP_TEST_MOTO_DIR=...` lines.
#
# moto comes from PyPI, pinned, in a virtualenv kept under ~/.cache/dbackup-tests (so a second
# run is offline and fast). Environment (optional): MOTO_PORT (default: the first free port from
# 27550), MOTO_START_TIMEOUT seconds (default 60).
set -euo pipefail
PROG=start-moto
. "$(dirname "$0")/../db/common.sh"

MOTO_VERSION=5.2.5
MOTO_START_TIMEOUT=${MOTO_START_TIMEOUT:-60}
[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
DIR=$1
[[ ! -e $DIR ]] || die "$DIR already exists; give a new directory"
require_tools "python3 and python3-venv" python3 curl

venv=${XDG_CACHE_HOME:-$HOME/.cache}/dbackup-tests/moto-$MOTO_VERSION
if [[ ! -x $venv/bin/moto_server ]]; then
    log "installing moto[server]==$MOTO_VERSION into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 || die "python3 -m venv failed; install python3-venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2 \
        || { rm -rf "$venv"; die "pip could not install moto[server]==$MOTO_VERSION"; }
fi

if [[ -z ${MOTO_PORT:-} ]]; then
    MOTO_PORT=27550
    while [[ -n $(port_listeners "$MOTO_PORT") ]]; do MOTO_PORT=$((MOTO_PORT + 1)); done
fi
require_port MOTO_PORT
check_port_free "$MOTO_PORT" MOTO_PORT

mkdir -p "$DIR"
DIR=$(cd -P "$DIR" && pwd -P)
"$venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" </dev/null >"$DIR/moto.log" 2>&1 &
echo $! >"$DIR/moto.pid"

deadline=$((SECONDS + MOTO_START_TIMEOUT))
until curl -fsS -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/"; do
    if ! kill -0 "$(cat "$DIR/moto.pid")" 2>/dev/null; then
        cat "$DIR/moto.log" >&2
        die "moto_server exited during start"
    fi
    if (( SECONDS >= deadline )); then
        cat "$DIR/moto.log" >&2
        die "moto_server did not answer within ${MOTO_START_TIMEOUT}s"
    fi
    sleep 0.2
done
log "moto $MOTO_VERSION listening on 127.0.0.1:$MOTO_PORT"
echo "export DBACKUP_TEST_MOTO_ENDPOINT=http://127.0.0.1:$MOTO_PORT"
echo "export DBACKUP_TEST_MOTO_DIR=$DIR"
