#!/usr/bin/env bash
# Start a throwaway single-node Ceph cluster (1 monitor, 1 memstore OSD, radosgw) on 127.0.0.1
# for S3 integration tests.
#
# Usage: eval "$(tests/s3/start-radosgw.sh [DIR])"
#        ...tests...
#        tests/s3/stop-radosgw.sh "$DBACKUP_TEST_RGW_DIR"
#
# DIR must be missing or empty. Without DIR a fresh directory is made with mktemp; only a
# directory this script created is removed again by stop-radosgw.sh.
#
# Environment (all optional):
#   RGW_PORT            S3 port on 127.0.0.1                (default 7480)
#   MON_PORT            monitor (msgr2) port on 127.0.0.1   (default 16789)
#   RGW_MEMSTORE_BYTES  OSD capacity; objects live in RAM   (default 2147483648)
#   RGW_ACCESS_KEY / RGW_SECRET_KEY   keys of user "test"
#   RGW_START_TIMEOUT   bound on the whole startup, seconds (default 60)
#
# stdout carries only `export NAME=value` lines (also written to DIR/env); everything else goes
# to stderr, so `eval "$(...)"` is safe.
#
# Background on every Ceph setting used here: /work/shared/notes/s3-test-servers.md
set -euo pipefail

RGW_PORT=${RGW_PORT:-7480}
# Not Ceph's own 3300/6789, so a real cluster on this host does not collide with the test one.
MON_PORT=${MON_PORT:-16789}
RGW_MEMSTORE_BYTES=${RGW_MEMSTORE_BYTES:-2147483648}
RGW_ACCESS_KEY=${RGW_ACCESS_KEY:-DBACKUPTESTACCESSKEY}
RGW_SECRET_KEY=${RGW_SECRET_KEY:-dbackup-test-secret-key-0123456789abcdef}
RGW_START_TIMEOUT=${RGW_START_TIMEOUT:-60}
USER2_ACCESS_KEY=DBACKUPTESTUSER2KEY0
USER2_SECRET_KEY=dbackup-test-user2-secret-0123456789abcd
REGION=us-east-1
EXTRA_STORAGE_CLASSES=(STANDARD_IA GLACIER DEEP_ARCHIVE GLACIER_IR INTELLIGENT_TIERING ONEZONE_IA)
# Ports the OSD picks its listening sockets from. Pinned here so the S3 and monitor ports can be
# checked against it: an OSD started first could otherwise take the S3 port.
OSD_PORT_MIN=6800
OSD_PORT_MAX=7300
MARKER=.created-by-start-radosgw

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf 'start-radosgw: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool curl ss timeout setsid; do
    command -v "$tool" >/dev/null || die "'$tool' not found; install: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd ceph-common curl iproute2"
done

for var in RGW_PORT MON_PORT RGW_MEMSTORE_BYTES RGW_START_TIMEOUT; do
    [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a number, got '${!var}'"
done
[[ $RGW_PORT != "$MON_PORT" ]] || die "RGW_PORT and MON_PORT are both $RGW_PORT; they must differ"
for var in RGW_PORT MON_PORT; do
    if (( ${!var} >= OSD_PORT_MIN && ${!var} <= OSD_PORT_MAX )); then
        die "$var=${!var} lies in $OSD_PORT_MIN-$OSD_PORT_MAX, which the OSD binds from; pick a port outside it"
    fi
done

# Refuse rather than kill: the port may belong to another developer's server or test run.
check_port_free() {
    local port=$1 var=$2 listeners owner
    listeners=$(ss -Hltnp "sport = :$port" 2>/dev/null | awk '{print $4, $6}' \
        | grep -E '^(127\.0\.0\.1|0\.0\.0\.0|\*|\[::\]|\[::ffff:127\.0\.0\.1\]):' || true)
    [[ -z $listeners ]] && return 0
    owner=$(grep -oE '"[^"]+",pid=[0-9]+' <<<"$listeners" | head -n1 \
        | sed -E 's/^"([^"]+)",pid=([0-9]+)$/PID \2 \/ process \1/' || true)
    die "port $port on 127.0.0.1 is already in use${owner:+ (by $owner)}; set $var to a free port or stop that process"
}
check_port_free "$RGW_PORT" RGW_PORT
check_port_free "$MON_PORT" MON_PORT

created=0
if [[ $# -ge 1 ]]; then
    DIR=$1
    if [[ -e $DIR ]]; then
        [[ -d $DIR ]] || die "$DIR exists and is not a directory"
        [[ -z $(ls -A "$DIR") ]] || die "$DIR is not empty; give a missing or empty directory (nothing was changed)"
    else
        mkdir -p "$DIR"
        created=1
    fi
else
    # Short path under /tmp: admin sockets live in DIR and a Unix socket path must stay < 108 bytes.
    DIR=$(mktemp -d /tmp/dbackup-rgw.XXXXXX)
    created=1
fi
# Physical path, as stop-radosgw.sh computes it: it finds our processes by this exact string.
DIR=$(cd -P "$DIR" && pwd -P)
if [[ ! $DIR =~ ^[A-Za-z0-9._/+-]+$ ]]; then
    (( created )) && rmdir "$DIR"
    die "DIR '$DIR' may only contain letters, digits and ._/+- because it is written into ceph.conf"
fi
(( created )) && : >"$DIR/$MARKER"
(( ${#DIR} <= 60 )) || log "warning: DIR path is long (${#DIR} chars); Ceph admin sockets may fail to bind"

CONF=$DIR/ceph.conf
mkdir -p "$DIR/mon.a" "$DIR/osd.0" "$DIR/run" "$DIR/log"

# From here on, any failure stops whatever was started (stop-radosgw.sh reads DIR/*.pid) and
# shows the log of the step that failed. The daemons are stopped before their logs are shown
# because Ceph writes its log asynchronously and flushes it on exit.
step_logs=()
on_exit() {
    local rc=$? created=0 stopped=0 f
    trap - EXIT
    (( rc == 0 )) && return 0
    log "failed; stopping what was started"
    # Hide the marker so stop-radosgw.sh keeps DIR (and the logs) until they are shown.
    if [[ -f $DIR/$MARKER ]]; then created=1; rm -f "$DIR/$MARKER"; fi
    "$here/stop-radosgw.sh" "$DIR" >&2 && stopped=1
    for f in "${step_logs[@]}"; do
        [[ -s $f ]] || continue
        log "---- last lines of $f ----"
        tail -n 30 "$f" >&2
    done
    if (( created && stopped )); then
        rm -rf -- "$DIR"
    elif (( created )); then
        : >"$DIR/$MARKER"   # so a later stop-radosgw.sh run can still clean up
        log "kept $DIR because not every process stopped"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FSID=$(cat /proc/sys/kernel/random/uuid)

cat >"$CONF" <<EOF
# Throwaway test cluster written by tests/s3/start-radosgw.sh; stop with stop-radosgw.sh $DIR
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
# Without this radosgw never gets past the monitor handshake (get_initial_auth_request -13).
ms mon client mode = crc
ms bind msgr1 = false
ms bind port min = $OSD_PORT_MIN
ms bind port max = $OSD_PORT_MAX
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
run dir = $DIR/run
admin socket = $DIR/run/\$name.\$pid.asok
log file = $DIR/log/\$name.log
pid file = $DIR/run/\$name.pid
# Never read the host's /etc/ceph keyring.
keyring = $DIR/keyring

[mon]
mon data = $DIR/mon.\$id
# The 1 s default makes every pool creation take ~2 s; startup drops from ~15 s to ~3 s.
paxos propose interval = 0.1
# Below 5% free space on its filesystem the monitor exits with status 28 and logs nothing. CI
# disks are often that full after a build, and this monitor keeps only a few MB.
mon data avail crit = 0

[osd]
osd data = $DIR/osd.\$id
osd objectstore = memstore
memstore device bytes = $RGW_MEMSTORE_BYTES

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
EOF
: >"$DIR/keyring"

# Run a daemon in the foreground of a background job. setsid: a Ctrl-C in the caller's terminal
# must not hit all three daemons at once (radosgw then hangs ~2 min); stop-radosgw.sh stops them
# in order. The PID is recorded before anything else can fail.
start_daemon() { # start_daemon NAME CEPH_LOG_NAME COMMAND...
    local name=$1 ceph_log=$2; shift 2
    setsid "$@" -f </dev/null >"$DIR/log/$name.out" 2>&1 &
    echo $! >"$DIR/$name.pid"
    step_logs=("$DIR/log/$name.out" "$DIR/log/$ceph_log.log")
}

# A started daemon that has died is a failure right away, not after the full timeout.
require_alive() {
    local name=$1 pid
    pid=$(<"$DIR/$name.pid")
    kill -0 "$pid" 2>/dev/null && return 0
    local status=0
    wait "$pid" 2>/dev/null || status=$?
    if (( status == 28 )); then
        die "$name (PID $pid) exited during startup with status 28 (no space left on device); free space on $(df -h --output=target,avail "$DIR" | tail -n1)"
    fi
    die "$name (PID $pid) exited during startup with status $status"
}

# One deadline for the whole startup. Ceph CLI calls need it too: against a broken cluster
# they retry forever instead of failing.
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
t0_us=$(now_us)
deadline_us=$(( t0_us + RGW_START_TIMEOUT * 1000000 ))
seconds_left() {
    local left=$(( (deadline_us - $(now_us) + 999999) / 1000000 ))
    (( left > 0 )) || die "startup took longer than RGW_START_TIMEOUT=${RGW_START_TIMEOUT}s"
    echo "$left"
}

# Run a Ceph CLI command within the deadline, output to a step log.
run_logged() {
    local logname=$1 left; shift
    left=$(seconds_left)
    # A hanging CLI call usually means a daemon is unhappy, so show their error output too.
    step_logs=("$DIR/log/$logname.cmd.log" "$DIR/log/client.admin.log" "$DIR/log/mon.a.out" "$DIR/log/osd.0.out")
    if ! timeout "$left" "$@" </dev/null >>"$DIR/log/$logname.cmd.log" 2>&1; then
        die "'$*' failed or ran into the ${RGW_START_TIMEOUT}s startup deadline"
    fi
}

log "dir $DIR; monitor 127.0.0.1:$MON_PORT; S3 http://127.0.0.1:$RGW_PORT"

# --- monitor ---
run_logged mkfs monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap"
run_logged mkfs ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap"
start_daemon mon.a mon.a ceph-mon -c "$CONF" -i a

# --- OSD --- (`ceph osd new` also waits for the monitor to form its quorum of one)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
step_logs=("$DIR/log/osd-new.cmd.log" "$DIR/log/mon.a.log" "$DIR/log/mon.a.out")
left=$(seconds_left)
OSD_ID=$(timeout "$left" ceph -c "$CONF" --connect-timeout "$left" osd new "$OSD_UUID" \
    </dev/null 2>>"$DIR/log/osd-new.cmd.log") || { require_alive mon.a; die "'ceph osd new' failed"; }
[[ $OSD_ID == 0 ]] || die "expected OSD id 0, got '$OSD_ID'"
run_logged mkfs ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID"
start_daemon osd.0 osd.0 ceph-osd -c "$CONF" -i 0

# --- users and storage classes; radosgw-admin blocks until the OSD serves the pools it creates ---
run_logged radosgw-admin radosgw-admin -c "$CONF" user create --uid=test --display-name="DBackup test" \
    --access-key="$RGW_ACCESS_KEY" --secret-key="$RGW_SECRET_KEY"
run_logged radosgw-admin radosgw-admin -c "$CONF" user create --uid=user2 --display-name="DBackup test user2" \
    --access-key="$USER2_ACCESS_KEY" --secret-key="$USER2_SECRET_KEY"
# Must follow the first user create (which creates the default zonegroup/zone) and precede
# radosgw start (without a realm, radosgw reads the zonegroup only when it starts).
for class in "${EXTRA_STORAGE_CLASSES[@]}"; do
    run_logged radosgw-admin radosgw-admin -c "$CONF" zonegroup placement add --rgw-zonegroup default \
        --placement-id default-placement --storage-class "$class"
    run_logged radosgw-admin radosgw-admin -c "$CONF" zone placement add --rgw-zone default \
        --placement-id default-placement --storage-class "$class" \
        --data-pool "default.rgw.${class,,}.data"
done

# --- radosgw ---
start_daemon rgw client.rgw radosgw -c "$CONF" -n client.rgw
RGW_PID=$(<"$DIR/rgw.pid")

EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
while :; do
    for name in mon.a osd.0 rgw; do require_alive "$name"; done
    # radosgw does not exit at once when it cannot bind its port; catch that early and name
    # whoever holds the port.
    if grep -q 'failed to bind address' "$DIR/log/rgw.out"; then
        check_port_free "$RGW_PORT" RGW_PORT
        die "radosgw could not bind 127.0.0.1:$RGW_PORT"
    fi
    # radosgw rejects the signature unless x-amz-content-sha256 is sent, and curl does not add it.
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
        --aws-sigv4 "aws:amz:$REGION:s3" --user "$RGW_ACCESS_KEY:$RGW_SECRET_KEY" \
        -H "x-amz-content-sha256: $EMPTY_SHA256" "http://127.0.0.1:$RGW_PORT/" || true)
    if [[ $code == 200 ]]; then
        # Someone could have taken the port between the check above and radosgw's bind; make
        # sure the 200 came from our radosgw.
        listener=$(ss -Hltnp "sport = :$RGW_PORT")
        [[ $listener == *"pid=$RGW_PID,"* ]] \
            || die "port $RGW_PORT answered, but not from our radosgw (PID $RGW_PID); another process took it"
        break
    fi
    (( $(now_us) < deadline_us )) \
        || die "radosgw not ready within the ${RGW_START_TIMEOUT}s startup deadline (last HTTP status '$code')"
    sleep 0.1
done
log "ready in $(( ($(now_us) - t0_us) / 1000 )) ms"

{
    printf 'export DBACKUP_TEST_S3_ENDPOINT=%q\n' "http://127.0.0.1:$RGW_PORT"
    printf 'export DBACKUP_TEST_S3_REGION=%q\n' "$REGION"
    printf 'export DBACKUP_TEST_S3_ACCESS_KEY=%q\n' "$RGW_ACCESS_KEY"
    printf 'export DBACKUP_TEST_S3_SECRET_KEY=%q\n' "$RGW_SECRET_KEY"
    printf 'export DBACKUP_TEST_S3_USER2_ACCESS_KEY=%q\n' "$USER2_ACCESS_KEY"
    printf 'export DBACKUP_TEST_S3_USER2_SECRET_KEY=%q\n' "$USER2_SECRET_KEY"
    printf 'export DBACKUP_TEST_RGW_DIR=%q\n' "$DIR"
} >"$DIR/env"
cat "$DIR/env"
