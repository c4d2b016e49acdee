#!/usr/bin/env bash
# Stop a test cluster started by start-radosgw.sh and remove its directory if start made it.
#
# Usage: tests/s3/stop-radosgw.sh DIR
#
# Safe to call twice, and on a half-started DIR. Only processes whose command line names
# DIR/ceph.conf are ever signalled, so other clusters (other ports, other DIRs) are untouched.
# Exit status 0 once nothing of DIR runs any more; 1 if something would not stop (DIR is kept).
#
# Environment (optional): RGW_STOP_TIMEOUT  seconds to wait per daemon before SIGKILL (default 20)
set -euo pipefail

RGW_STOP_TIMEOUT=${RGW_STOP_TIMEOUT:-20}
MARKER=.created-by-start-radosgw

log() { printf 'stop-radosgw: %s\n' "$*" >&2; }

[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
if [[ ! -d $1 ]]; then
    log "$1 does not exist; nothing to stop"
    exit 0
fi
# Physical path, exactly as start-radosgw.sh wrote it into the daemons' command lines.
DIR=$(cd -P "$1" && pwd -P)
CONF=$DIR/ceph.conf

# True if PID's argv contains CONF as one whole argument (not as a substring of a longer path).
names_our_conf() {
    local arg
    while IFS= read -r -d '' arg; do
        [[ $arg == "$CONF" ]] && return 0
    done 2>/dev/null <"/proc/$1/cmdline"
    return 1
}

# Field 22 of /proc/PID/stat: start time in clock ticks. Stays readable while a process exits,
# when cmdline is already empty, so it identifies the process we checked for the KILL step.
start_time() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }            # drop "pid (comm) ", comm may contain spaces
    local -a f
    read -r -a f <<<"$stat"
    echo "${f[19]}"              # field 22 overall = index 19 after pid and comm
}

# A Ceph daemon that is exiting shows state Z and an empty cmdline while its other threads still
# tear down; it is only gone once /proc/PID is gone or just the zombie leader is left.
still_running() {
    local pid=$1 state threads
    [[ -r /proc/$pid/status ]] || return 1
    state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
    [[ -n $state ]] || return 1
    [[ $state == Z && ${threads:-1} -le 1 ]] && return 1
    return 0
}

wait_gone() {
    local pid=$1 secs=$2 deadline
    deadline=$(( $(date +%s%N) + secs * 1000000000 ))
    while still_running "$pid"; do
        (( $(date +%s%N) < deadline )) || return 1
        sleep 0.05
    done
}

# Stop one process: TERM, bounded wait, then KILL, bounded wait.
stop_pid() {
    local name=$1 pid=$2 st
    if ! still_running "$pid"; then
        return 0
    fi
    if ! names_our_conf "$pid"; then
        # Either it is already exiting (cmdline empty) or the PID now belongs to something else.
        if [[ -z $(tr -d '\0' <"/proc/$pid/cmdline" 2>/dev/null) ]]; then
            log "$name (PID $pid) is already exiting; waiting"
            wait_gone "$pid" "$RGW_STOP_TIMEOUT" && return 0
            log "$name (PID $pid) still exiting after ${RGW_STOP_TIMEOUT}s; its identity cannot be checked, not signalling it"
            return 1
        fi
        log "PID $pid from $name.pid is not a process of $CONF; leaving it alone"
        return 0
    fi
    st=$(start_time "$pid") || return 0
    log "stopping $name (PID $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" "$RGW_STOP_TIMEOUT" && return 0
    # Same start time means same process: a PID cannot be reused while /proc/PID still exists.
    if [[ $(start_time "$pid" || true) == "$st" ]]; then
        log "$name (PID $pid) did not exit within ${RGW_STOP_TIMEOUT}s of SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 && return 0
        log "$name (PID $pid) survived SIGKILL"
        return 1
    fi
}

failed=0
# One daemon at a time, clients before servers: radosgw -> OSD -> monitor. Stopping them
# together leaves radosgw hanging ~2 min waiting for the OSD.
for name in rgw osd.0 mon.a; do
    pidfile=$DIR/$name.pid
    [[ -f $pidfile ]] || continue
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || continue
    stop_pid "$name" "$pid" || failed=1
done

# Any other Ceph process naming our ceph.conf: a radosgw-admin or ceph CLI left by an
# interrupted start, or a daemon whose PID file was never written. Only Ceph programs (and the
# `timeout` wrapping them): an editor or `tail -f` showing DIR/ceph.conf is left alone.
# Same order as above: radosgw first, monitor last.
rank() {
    case $1 in
        radosgw) echo 0 ;;
        radosgw-admin|ceph|monmaptool|timeout) echo 1 ;;
        ceph-osd) echo 2 ;;
        ceph-mon) echo 3 ;;
        *) return 1 ;;
    esac
}
leftovers=$(
    for procdir in /proc/[0-9]*; do
        pid=${procdir#/proc/}
        comm=$(cat "$procdir/comm" 2>/dev/null) || continue
        r=$(rank "$comm") || continue
        names_our_conf "$pid" || continue
        echo "$r $pid $comm"
    done | sort -n
)
while read -r _ pid comm; do
    [[ -n $pid ]] || continue
    stop_pid "$comm" "$pid" || failed=1
done <<<"$leftovers"

if (( failed )); then
    log "some processes did not stop; leaving $DIR in place"
    exit 1
fi

rm -f "$DIR"/*.pid
if [[ -f $DIR/$MARKER ]]; then
    rm -rf -- "$DIR"
    log "stopped; removed $DIR"
else
    log "stopped; kept $DIR (it has no $MARKER file)"
fi
