#!/usr/bin/env bash
# Self-test for start-radosgw.sh / stop-radosgw.sh: start a server on non-default ports, use
# storage classes over signed S3 requests, check the "port already in use" refusal, stop it and
# check nothing is left. Needs only bash, curl, iproute2 (ss) and the Ceph packages.
#
# Usage: tests/s3/selftest.sh       (prints "N passed, N failed"; exit status 1 on any failure)
#
# Environment (optional): SELFTEST_RGW_PORT (default: first free from 17480),
#                         SELFTEST_MON_PORT (default: first free from 17789)
set -uo pipefail   # no -e: a failed check is counted, not fatal

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
passed=0
failed=0
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

ok()   { passed=$((passed + 1)); printf 'ok   - %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL - %s\n' "$*"; }
check() { local desc=$1; shift; if "$@"; then ok "$desc"; else fail "$desc"; fi; }

port_in_use() { [[ -n $(ss -Hltn "sport = :$1") ]]; }
port_free() { ! port_in_use "$1"; }
only_export_lines() { ! grep -qv '^export DBACKUP_TEST_[A-Z0-9_]*=' "$1"; }
status_and_code() { [[ $1 == "$2" ]] && grep -q "<Code>$3</Code>" "$4"; }  # GOT WANT CODE FILE
failed_saying() { [[ $1 -ne 0 ]] && grep -q -- "$2" "$3"; }                # RC REGEX STDERR_FILE
# Exited daemons may linger as zombies until init reaps them: gone means one thread left at most.
pid_gone() {
    [[ -e /proc/$1 ]] || return 0
    [[ $(awk '/^Threads:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0) -le 1 ]]
}
first_free_port() {
    local p=$1
    while port_in_use "$p"; do p=$((p + 1)); done
    echo "$p"
}

# Not start-radosgw.sh's defaults: a developer's own test server may be running there.
RGW_PORT=${SELFTEST_RGW_PORT:-$(first_free_port 17480)}
MON_PORT=${SELFTEST_MON_PORT:-$(first_free_port 17789)}
OTHER_RGW_PORT=$(first_free_port $((RGW_PORT + 1)))
OTHER_MON_PORT=$(first_free_port $((MON_PORT + 1)))

work=$(mktemp -d /tmp/dbackup-rgw-selftest.XXXXXX)
DIR=
cleanup() {
    # A failed or interrupted run must not leave a cluster behind.
    if [[ -n $DIR && -d $DIR ]]; then "$here/stop-radosgw.sh" "$DIR" >/dev/null 2>&1; fi
    rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

s3() { # s3 KEY SECRET [curl args...]
    local key=$1 secret=$2; shift 2
    curl -sS --max-time 10 --aws-sigv4 "aws:amz:$DBACKUP_TEST_S3_REGION:s3" --user "$key:$secret" "$@"
}
s3_test() { s3 "$DBACKUP_TEST_S3_ACCESS_KEY" "$DBACKUP_TEST_S3_SECRET_KEY" "$@"; }

list_buckets_status() {
    s3_test -o /dev/null -w '%{http_code}' -H "x-amz-content-sha256: $EMPTY_SHA256" "$DBACKUP_TEST_S3_ENDPOINT/"
}

# PIDs of live processes whose argv names this DIR's ceph.conf (exiting zombies have no argv).
our_processes() {
    local procdir arg
    for procdir in /proc/[0-9]*; do
        while IFS= read -r -d '' arg; do
            if [[ $arg == "$1/ceph.conf" ]]; then echo "${procdir#/proc/}"; break; fi
        done 2>/dev/null <"$procdir/cmdline"
    done
}

echo "# ports: S3 $RGW_PORT, monitor $MON_PORT"

# --- start ---
t0=$EPOCHREALTIME
RGW_PORT=$RGW_PORT MON_PORT=$MON_PORT "$here/start-radosgw.sh" >"$work/start.out" 2>"$work/start.err"
rc=$?
t1=$EPOCHREALTIME
if (( rc != 0 )); then
    fail "start-radosgw.sh exits 0 (got $rc)"
    sed 's/^/#   /' "$work/start.err"
    echo "$passed passed, $failed failed"
    exit 1
fi
ok "start-radosgw.sh exits 0 (cold start $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s)"
eval "$(cat "$work/start.out")"
DIR=$DBACKUP_TEST_RGW_DIR

check "stdout is only export lines" only_export_lines "$work/start.out"
for var in DBACKUP_TEST_S3_ENDPOINT DBACKUP_TEST_S3_REGION DBACKUP_TEST_S3_ACCESS_KEY \
           DBACKUP_TEST_S3_SECRET_KEY DBACKUP_TEST_S3_USER2_ACCESS_KEY \
           DBACKUP_TEST_S3_USER2_SECRET_KEY DBACKUP_TEST_RGW_DIR; do
    check "$var is set" test -n "${!var:-}"
done
check "endpoint is http://127.0.0.1:$RGW_PORT" test "$DBACKUP_TEST_S3_ENDPOINT" = "http://127.0.0.1:$RGW_PORT"
check "DIR/env equals stdout" cmp -s "$DIR/env" "$work/start.out"
check "ListBuckets as test -> 200" test "$(list_buckets_status)" = 200
check "ListBuckets as user2 -> 200" test "$(s3 "$DBACKUP_TEST_S3_USER2_ACCESS_KEY" "$DBACKUP_TEST_S3_USER2_SECRET_KEY" \
    -o /dev/null -w '%{http_code}' -H "x-amz-content-sha256: $EMPTY_SHA256" "$DBACKUP_TEST_S3_ENDPOINT/")" = 200
code=$(s3 "$DBACKUP_TEST_S3_ACCESS_KEY" wrong-secret -o "$work/err.xml" -w '%{http_code}' \
    -H "x-amz-content-sha256: $EMPTY_SHA256" "$DBACKUP_TEST_S3_ENDPOINT/")
check "wrong secret -> 403 SignatureDoesNotMatch" \
    status_and_code "$code" 403 SignatureDoesNotMatch "$work/err.xml"

# --- bucket and objects with storage classes ---
bucket=$DBACKUP_TEST_S3_ENDPOINT/dbackup-selftest
check "CreateBucket -> 200" test "$(s3_test -X PUT -o /dev/null -w '%{http_code}' \
    -H "x-amz-content-sha256: $EMPTY_SHA256" "$bucket")" = 200

head -c 100000 /dev/urandom >"$work/body"
body_sha=$(sha256sum "$work/body" | cut -d' ' -f1)
put_object() { # put_object KEY STORAGE_CLASS -> prints HTTP status
    s3_test -X PUT -o "$work/put.out" -w '%{http_code}' --data-binary "@$work/body" \
        -H "x-amz-content-sha256: $body_sha" -H "x-amz-storage-class: $2" "$bucket/$1"
}
check "PutObject STANDARD_IA -> 200" test "$(put_object ia-object STANDARD_IA)" = 200
code=$(s3_test -o "$work/got" -D "$work/got.headers" -w '%{http_code}' \
    -H "x-amz-content-sha256: $EMPTY_SHA256" "$bucket/ia-object")
check "GetObject -> 200" test "$code" = 200
check "GetObject returns the same bytes" cmp -s "$work/body" "$work/got"
check "GetObject reports x-amz-storage-class: STANDARD_IA" \
    grep -qi '^x-amz-storage-class: STANDARD_IA' "$work/got.headers"
for class in GLACIER DEEP_ARCHIVE GLACIER_IR INTELLIGENT_TIERING ONEZONE_IA; do
    check "PutObject $class -> 200" test "$(put_object "obj-$class" "$class")" = 200
done
code=$(put_object bad-class NO_SUCH_CLASS)
check "PutObject with an unknown storage class -> 400 (classes are really checked)" test "$code" = 400

# --- refusals leave the running server alone ---
pids_before=$(cat "$DIR"/*.pid)
conf_before=$(cksum <"$DIR/ceph.conf")
RGW_PORT=$RGW_PORT MON_PORT=$OTHER_MON_PORT "$here/start-radosgw.sh" >"$work/second.out" 2>"$work/second.err"
rc=$?
check "second start on the same S3 port exits non-zero" test "$rc" -ne 0
check "second start says the S3 port is already in use" \
    grep -q "port $RGW_PORT on 127.0.0.1 is already in use (by PID [0-9]* / process radosgw); set RGW_PORT" "$work/second.err"
check "second start prints nothing on stdout" test ! -s "$work/second.out"
RGW_PORT=$OTHER_RGW_PORT MON_PORT=$MON_PORT "$here/start-radosgw.sh" >/dev/null 2>"$work/third.err"
rc=$?
check "start on the same monitor port exits non-zero with 'already in use'" \
    failed_saying "$rc" "port $MON_PORT on 127.0.0.1 is already in use.*set MON_PORT" "$work/third.err"
RGW_PORT=$OTHER_RGW_PORT MON_PORT=$OTHER_MON_PORT "$here/start-radosgw.sh" "$DIR" >/dev/null 2>"$work/fourth.err"
rc=$?
check "start into the running server's DIR is refused" failed_saying "$rc" "is not empty" "$work/fourth.err"
check "first server's PID files unchanged" test "$(cat "$DIR"/*.pid)" = "$pids_before"
check "first server's ceph.conf unchanged" test "$(cksum <"$DIR/ceph.conf")" = "$conf_before"
check "first server still answers ListBuckets 200" test "$(list_buckets_status)" = 200
for pid in $pids_before; do
    check "first server daemon PID $pid still running" test -n "$(tr -d '\0' <"/proc/$pid/cmdline" 2>/dev/null)"
done

# --- stop ---
"$here/stop-radosgw.sh" "$DIR" 2>"$work/stop.err"
check "stop-radosgw.sh exits 0" test $? -eq 0
check "no process names $DIR/ceph.conf" test -z "$(our_processes "$DIR")"
for pid in $pids_before; do
    check "daemon PID $pid is gone" pid_gone "$pid"
done
check "DIR created by start is removed" test ! -e "$DIR"
check "S3 port $RGW_PORT is free again" port_free "$RGW_PORT"
check "monitor port $MON_PORT is free again" port_free "$MON_PORT"
"$here/stop-radosgw.sh" "$DIR" 2>/dev/null
check "second stop-radosgw.sh exits 0" test $? -eq 0

echo "$passed passed, $failed failed"
(( failed == 0 ))
