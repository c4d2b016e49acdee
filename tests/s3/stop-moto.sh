#!/usr/bin/env bash
# Stops a moto server started by start-moto.sh and removes its directory.
# Usage: tests/s3/stop-moto.sh DIR   (safe to call twice, and on a half-started DIR)
set -euo pipefail
[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
DIR=$1
[[ -d $DIR ]] || exit 0
if [[ -f $DIR/moto.pid ]]; then
    pid=$(cat "$DIR/moto.pid")
    # Only a moto_server process: the pid may have been reused since.
    if grep -q moto_server "/proc/$pid/cmdline" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
fi
rm -rf "$DIR"
