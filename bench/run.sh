#!/usr/bin/env bash
# Backup throughput and memory benchmark: DBackup against zstd alone, restic and rclone crypt,
# all on this machine, against one local S3 server (Ceph radosgw, memstore OSD) started here.
#
# Usage: bench/run.sh [SIZE_MIB] [--memory-check] [--tools LIST] [--repeat N] [--stat min|median]
#
#   SIZE_MIB        size of the generated SQL dump in MiB (default 1024)
#   --memory-check  also back up and restore a BENCH_MEMCHECK_MIB (default 8192) MiB dump with
#                   DBackup alone and record its peak RSS
#   --tools LIST    comma-separated subset of zstd,dbackup,restic,rclone (default: all four)
#   --repeat N      run every measurement N times, each against a fresh bucket (default 1)
#   --stat min|median  which of the N runs the table and ratios use (default min: on a shared
#                   machine other programs only ever add time; every run is in the JSON)
#
# Results: bench/results/<UTC date>-<SIZE_MIB>MiB.json and a table on stdout. Exit status 0 only
# if every command succeeded and every restore returned exactly the input bytes.
#
# Environment (all optional):
#   DBACKUP_BIN          use this dbackup binary instead of building target/release/dbackup
#   BENCH_SEED           generator seed (default 1)
#   BENCH_CACHE_DIR      where generated inputs are kept (default /tmp/dbackup-bench-cache)
#   BENCH_RESULTS_DIR    where the JSON goes (default bench/results)
#   BENCH_MEMCHECK_MIB   size of the --memory-check input (default 8192)
#   BENCH_KEEP_LARGE=1   keep the --memory-check input in the cache (default: delete it after)
#   BENCH_MEMCHECK_STREAM=1  feed the --memory-check backup straight from gen-dump.py (no input
#                        file; done anyway when the disk lacks room for it)
#   BENCH_STEP_TIMEOUT   seconds any one measured command may take (default 300 + 2 s per MiB)
#   BENCH_BUILD_TIMEOUT  seconds `cargo build` may take, lock waits included (default 3600)
#   BENCH_WAIT_QUIET     before each measurement wait up to this many seconds for other programs
#                        to use < 25% of a CPU (default 0: do not wait); for shared machines
#   RGW_PORT, MON_PORT   ports of the radosgw started here (default: first free from 18480/18790)
#   RGW_MEMSTORE_BYTES   capacity of its in-RAM OSD (default 8 GiB; only stored bytes use RAM)
#
# What is measured and how: bench/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

SIZE_MIB=1024
MEMCHECK=0
TOOLS=zstd,dbackup,restic,rclone
REPEAT=1
STAT=min
while [[ $# -gt 0 ]]; do
    case $1 in
        --memory-check) MEMCHECK=1 ;;
        --tools) TOOLS=${2:?--tools needs a list}; shift ;;
        --tools=*) TOOLS=${1#--tools=} ;;
        --repeat) REPEAT=${2:?--repeat needs a number}; shift ;;
        --repeat=*) REPEAT=${1#--repeat=} ;;
        --stat) STAT=${2:?--stat needs min or median}; shift ;;
        --stat=*) STAT=${1#--stat=} ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        [0-9]*) SIZE_MIB=$1 ;;
        *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $SIZE_MIB =~ ^[0-9]+$ && $SIZE_MIB -gt 0 ]] || { echo "run.sh: SIZE_MIB must be a positive number" >&2; exit 2; }
[[ $REPEAT =~ ^[0-9]+$ && $REPEAT -gt 0 ]] || { echo "run.sh: --repeat must be a positive number" >&2; exit 2; }
[[ $STAT == min || $STAT == median ]] || { echo "run.sh: --stat must be min or median" >&2; exit 2; }
for t in ${TOOLS//,/ }; do
    case $t in zstd|dbackup|restic|rclone) ;; *) echo "run.sh: unknown tool '$t'" >&2; exit 2 ;; esac
done
has_tool() { [[ ,$TOOLS, == *,$1,* ]]; }

SEED=${BENCH_SEED:-1}
CACHE=${BENCH_CACHE_DIR:-/tmp/dbackup-bench-cache}
RESULTS_DIR=${BENCH_RESULTS_DIR:-$here/results}
MEMCHECK_MIB=${BENCH_MEMCHECK_MIB:-8192}
STEP_TIMEOUT=${BENCH_STEP_TIMEOUT:-$((300 + 2 * SIZE_MIB))}
BUILD_TIMEOUT=${BENCH_BUILD_TIMEOUT:-3600}
export RGW_MEMSTORE_BYTES=${RGW_MEMSTORE_BYTES:-$((8 << 30))}
REGION=us-east-1
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- dependencies
install_missing() {
    local pkgs=(restic rclone zstd time curl iproute2 python3 coreutils
                radosgw ceph-mon ceph-osd ceph-common) missing=() p sudo=()
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    log "installing ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "need root or sudo to install ${missing[*]}"
        sudo=(sudo -n)
    fi
    timeout 600 "${sudo[@]}" apt-get update -qq >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive timeout 1200 "${sudo[@]}" apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}
install_missing

# ---------------------------------------------------------------- dbackup binary
if [[ -n ${DBACKUP_BIN:-} ]]; then
    DBACKUP=$DBACKUP_BIN
else
    log "building dbackup (release); may wait for the cargo lock"
    (cd "$repo" && timeout "$BUILD_TIMEOUT" cargo build --release -p dbackup-cli >&2) \
        || die "cargo build --release -p dbackup-cli failed or took over ${BUILD_TIMEOUT}s"
    DBACKUP=$repo/target/release/dbackup
fi
[[ -x $DBACKUP ]] || die "no dbackup binary at $DBACKUP"

# ---------------------------------------------------------------- work dir, cleanup
# Short path: Ceph admin sockets live under it and must stay < 108 bytes.
work=$(mktemp -d /tmp/dbackup-bench.XXXXXX)
RGW_DIR=$work/rgw
rgw_started=0
memcheck_input=
cleanup() {
    local rc=$?
    trap - EXIT
    if (( rgw_started )); then
        RGW_STOP_TIMEOUT=20 timeout 120 "$repo/tests/s3/stop-radosgw.sh" "$RGW_DIR" >/dev/null 2>&1 \
            || log "warning: stop-radosgw.sh $RGW_DIR failed; stop it by hand"
    fi
    if [[ -n $memcheck_input && ${BENCH_KEEP_LARGE:-0} != 1 ]]; then rm -f -- "$memcheck_input" "$memcheck_input.sha256"; fi
    if [[ -d $RGW_DIR ]]; then
        rm -rf -- "$work/restore" "$work/local" 2>/dev/null || true
        log "kept $work (radosgw dir still present)"
    else
        rm -rf -- "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$work/restore" "$work/local" "$CACHE" "$RESULTS_DIR"

# ---------------------------------------------------------------- versions (before anything is measured:
# the checkout may change while the benchmark runs)
versions=$work/versions
{
    echo "dbackup=$("$DBACKUP" --version 2>&1 | head -n1)"
    echo "zstd=$(zstd --version 2>&1 | head -n1)"
    echo "restic=$(restic version 2>&1 | head -n1)"
    echo "rclone=$(rclone version 2>&1 | head -n1)"
    echo "radosgw=$(dpkg-query -W -f='${Version}' radosgw 2>/dev/null)"
    echo "python=$(python3 --version 2>&1)"
    echo "git=$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null)$(cd "$repo" && [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]] && echo '+dirty')"
} >"$versions"

# ---------------------------------------------------------------- inputs
# make_input MIB PATH: a cached, deterministic dump of MIB MiB (written atomically).
make_input() {
    local mib=$1 path=$2
    if [[ -f $path && -f $path.sha256 && $(stat -c %s "$path") -eq $((mib << 20)) ]]; then
        log "input $path (cached)"
        return 0
    fi
    log "generating $mib MiB input -> $path"
    local t0=$EPOCHREALTIME
    timeout $((600 + mib)) python3 "$here/gen-dump.py" "${mib}M" --seed "$SEED" -o "$path.tmp.$$" \
        --sha256-to "$path.sha256.tmp.$$" || { rm -f "$path".*tmp.$$; die "gen-dump.py failed"; }
    mv -f "$path.sha256.tmp.$$" "$path.sha256"
    mv -f "$path.tmp.$$" "$path"
    log "generated in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}') s"
}
INPUT=$CACHE/dump-${SIZE_MIB}MiB-seed$SEED.sql
make_input "$SIZE_MIB" "$INPUT"
INPUT_BYTES=$(stat -c %s "$INPUT")

# ---------------------------------------------------------------- S3 server
port_in_use() { [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]; }
first_free_port() { local p=$1; while port_in_use "$p"; do p=$((p + 1)); done; echo "$p"; }
start_rgw() {
    local attempt rgw_port mon_port out
    for attempt in 1 2 3; do
        rgw_port=${RGW_PORT:-$(first_free_port $((18480 + 10 * (attempt - 1))))}
        mon_port=${MON_PORT:-$(first_free_port $((18790 + 10 * (attempt - 1))))}
        log "starting radosgw on 127.0.0.1:$rgw_port (monitor $mon_port, memstore $((RGW_MEMSTORE_BYTES >> 20)) MiB)"
        rgw_started=1
        if out=$(RGW_PORT=$rgw_port MON_PORT=$mon_port RGW_START_TIMEOUT=90 \
                 timeout 150 "$repo/tests/s3/start-radosgw.sh" "$RGW_DIR" 2>"$work/rgw-start.log"); then
            eval "$out"
            return 0
        fi
        tail -n 5 "$work/rgw-start.log" >&2
        timeout 120 "$repo/tests/s3/stop-radosgw.sh" "$RGW_DIR" >/dev/null 2>&1 || true
        rm -rf -- "$RGW_DIR"
        [[ -n ${RGW_PORT:-} ]] && break   # fixed ports: retrying would not help
    done
    die "could not start radosgw (see above)"
}
start_rgw
ENDPOINT=$DBACKUP_TEST_S3_ENDPOINT
export AWS_ACCESS_KEY_ID=$DBACKUP_TEST_S3_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$DBACKUP_TEST_S3_SECRET_KEY
export AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION
unset AWS_CA_BUNDLE AWS_PROFILE AWS_SESSION_TOKEN || true

s3() { curl -sS --max-time 60 --aws-sigv4 "aws:amz:$REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@"; }
make_bucket() {
    local code
    code=$(s3 -X PUT -o "$work/mb.out" -w '%{http_code}' -H "x-amz-content-sha256: $EMPTY_SHA256" "$ENDPOINT/$1")
    [[ $code == 200 ]] || { cat "$work/mb.out" >&2; die "CreateBucket $1 -> HTTP $code"; }
}
# Total bytes of all objects in a bucket (ListObjectsV2, paginated).
bucket_bytes() {
    local bucket=$1 token= total=0 page
    while :; do
        page=$(s3 -H "x-amz-content-sha256: $EMPTY_SHA256" -G "$ENDPOINT/$bucket" \
            --data-urlencode list-type=2 --data-urlencode max-keys=1000 \
            ${token:+--data-urlencode "continuation-token=$token"}) || die "ListObjectsV2 $bucket failed"
        read -r sum token < <(python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
total = sum(int(e.text) for e in root.iter(ns + "Size"))
trunc = (root.findtext(ns + "IsTruncated") or "false") == "true"
print(total, root.findtext(ns + "NextContinuationToken") if trunc else "")' <<<"$page")
        total=$((total + sum))
        [[ -n $token ]] || break
    done
    echo "$total"
}
# Free the OSD's RAM for the next tool.
purge_bucket() {
    timeout 300 radosgw-admin -c "$RGW_DIR/ceph.conf" bucket rm --bucket="$1" --purge-objects \
        >"$work/purge.log" 2>&1 || log "warning: could not purge bucket $1 (memstore keeps its bytes)"
}

# ---------------------------------------------------------------- measuring
RESULTS_TSV=$work/results.tsv
: >"$RESULTS_TSV"
FAILURES_FILE=$work/failures
: >"$FAILURES_FILE"
failed() { printf '%s\n' "$*" >>"$FAILURES_FILE"; }
# CPU time in clock ticks: of the whole machine (busy, all CPUs) and of the Ceph daemons. Used to
# tell how much CPU other programs took during a measurement (this machine may be shared).
machine_busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
ceph_ticks() {
    local f pid stat sum=0
    for f in "$RGW_DIR"/rgw.pid "$RGW_DIR"/osd.0.pid "$RGW_DIR"/mon.a.pid; do
        pid=$(cat "$f" 2>/dev/null) || continue
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        stat=${stat##*) }
        read -r -a fields <<<"$stat"
        sum=$((sum + fields[11] + fields[12]))   # utime + stime (fields 14, 15)
    done
    echo "$sum"
}
TICKS=$(getconf CLK_TCK)
# On a shared machine: wait (at most BENCH_WAIT_QUIET seconds) until other programs use less than
# a quarter of one CPU, measured over 2 s, so they disturb the next measurement less.
WAIT_QUIET=${BENCH_WAIT_QUIET:-0}
wait_quiet() {
    (( WAIT_QUIET > 0 )) || return 0
    local deadline=$((SECONDS + WAIT_QUIET)) b0 c0 other waited=0
    while :; do
        b0=$(machine_busy_ticks) c0=$(ceph_ticks)
        sleep 2
        other=$(( $(machine_busy_ticks) - b0 - ($(ceph_ticks) - c0) ))
        (( other * 4 < 2 * TICKS )) && break
        if (( SECONDS >= deadline )); then
            log "machine still busy after ${WAIT_QUIET}s (other programs: $((other * 50 / TICKS))% of a CPU); measuring anyway"
            break
        fi
        (( waited )) || log "waiting for other programs to quieten (using $((other * 50 / TICKS))% of a CPU)"
        waited=1
    done
}

# measure TOOL OP REP INPUT_BYTES -- COMMAND...: run COMMAND under GNU time (wall seconds, CPU
# seconds and the peak RSS of the process tree), stdout to $work/out, stderr to $work/err. Records
# the sample (stored bytes and verification are added by `record`). Returns COMMAND's status.
measure() {
    local tool=$1 op=$2 rep=$3 bytes=$4 rc=0
    shift 5
    sync   # earlier steps' dirty pages must not be written back on this step's time
    local load busy0 ceph0 busy1 ceph1
    wait_quiet
    load=$(cut -d' ' -f1 /proc/loadavg)
    log "$tool $op (run $rep/${RUNS_OF:-$REPEAT})"
    busy0=$(machine_busy_ticks) ceph0=$(ceph_ticks)
    timeout "$STEP_TIMEOUT" /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || rc=$?
    busy1=$(machine_busy_ticks) ceph1=$(ceph_ticks)
    if (( rc != 0 )); then
        log "$tool $op FAILED (exit $rc$( ((rc == 124)) && echo ", over BENCH_STEP_TIMEOUT=${STEP_TIMEOUT}s"))"
        tail -n 20 "$work/err" >&2
        failed "$tool $op run $rep: exit $rc"
        return "$rc"
    fi
    read -r M_SECONDS M_RSS_KB M_USER M_SYS < <(grep -E '^[0-9.]+ [0-9]+ [0-9.]+ [0-9.]+$' "$work/time" | tail -n 1)
    M_TOOL=$tool M_OP=$op M_REP=$rep M_BYTES=$bytes M_LOAD=$load M_FLUSH=
    M_CPU=$(awk -v u="$M_USER" -v s="$M_SYS" 'BEGIN {printf "%.2f", u + s}')
    M_CEPH_CPU=$(awk -v t="$(( ceph1 - ceph0 ))" -v hz="$TICKS" 'BEGIN {printf "%.2f", t / hz}')
    M_OTHER_CPU=$(awk -v b="$(( busy1 - busy0 ))" -v hz="$TICKS" -v c="$M_CPU" -v g="$M_CEPH_CPU" \
        'BEGIN {o = b / hz - c - g; printf "%.2f", (o > 0 ? o : 0)}')
}
# record STORED_BYTES VERIFIED(yes|no|-): append the last measurement.
record() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$M_TOOL" "$M_OP" "$M_REP" "$M_SECONDS" "$M_RSS_KB" \
        "$1" "$2" "$M_BYTES" "$M_LOAD" "$M_CPU" "$M_CEPH_CPU" "$M_OTHER_CPU" "$M_FLUSH" >>"$RESULTS_TSV"
    log "  $M_SECONDS s, $(awk -v b="$M_BYTES" -v s="$M_SECONDS" 'BEGIN {printf "%.1f", (s > 0 ? b / s / 1e6 : 0)}') MB/s, peak RSS $((M_RSS_KB / 1024)) MiB, CPU s: tool $M_CPU, ceph $M_CEPH_CPU, other programs $M_OTHER_CPU${M_FLUSH:+, then fsync $M_FLUSH s}${2:+, verified: $2}"
}
# verify TOOL OP FILE [EXPECTED]: compare a restored file with the input (or with a SHA-256 given
# as sha256:HEX); removes FILE. First times `sync FILE` (fsync): how long the restored data still
# needed to reach the disk after the tool exited (DBackup fsyncs before it exits; the others do
# not), recorded as flush seconds.
verify() {
    local tool=$1 op=$2 file=$3 expected=${4:-$INPUT} t0 same=0
    t0=$EPOCHREALTIME
    [[ -f $file ]] && timeout 600 sync "$file"
    M_FLUSH=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}')
    if [[ -f $file ]]; then
        if [[ $expected == sha256:* ]]; then
            [[ $(sha256sum "$file" | cut -d' ' -f1) == "${expected#sha256:}" ]] && same=1
        else
            cmp -s "$expected" "$file" && same=1
        fi
    fi
    if (( same )); then
        record "$STORED" yes
    else
        record "$STORED" no
        log "$tool $op: restored data DIFFERS from the input ($file)"
        failed "$tool $op run $M_REP: restored data differs from the input"
    fi
    rm -f -- "$file"
}

# ---------------------------------------------------------------- tools
bench_zstd() {
    local rep=$1 zst=$CACHE/dump-${SIZE_MIB}MiB-seed$SEED.sql.zst
    if [[ ! -f $zst ]]; then
        timeout "$STEP_TIMEOUT" zstd -q -3 -T0 -f "$INPUT" -o "$zst.tmp" && mv -f "$zst.tmp" "$zst"
    fi
    STORED=$(stat -c %s "$zst")
    measure zstd "compress" "$rep" "$INPUT_BYTES" -- zstd -q -3 -T0 -c "$INPUT" || return 0
    record "$STORED" -
    # Decompression reference: to /dev/null, so it is the CPU limit without any disk write.
    measure zstd "decompress" "$rep" "$INPUT_BYTES" -- zstd -q -d -c "$zst" || return 0
    record "$STORED" -
    if ! zstd -q -d -c "$zst" | cmp -s - "$INPUT"; then
        failed "zstd: decompressed data differs from the input"
    fi
}

DBACKUP_KIT=$work/bench.kit
DB_ENV=(env DBACKUP_DATA_DIR="$work/dbackup-data" DBACKUP_LOG_DIR="$work/dbackup-logs")
dbackup_object() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["object"])' "$1"; }
bench_dbackup() {
    local rep=$1 bucket=bench-dbackup-$1 object
    [[ -f $DBACKUP_KIT ]] || "${DB_ENV[@]}" "$DBACKUP" key generate --name bench --output "$DBACKUP_KIT" >/dev/null
    make_bucket "$bucket"
    measure dbackup backup "$rep" "$INPUT_BYTES" -- "${DB_ENV[@]}" "$DBACKUP" --json backup \
        --file "$INPUT" --name bench --to "s3://$bucket/dbackup" --endpoint "$ENDPOINT" \
        --key-file "$DBACKUP_KIT" || return 0
    object=$(dbackup_object "$work/out")
    STORED=$(bucket_bytes "$bucket")
    record "$STORED" -
    measure dbackup restore "$rep" "$INPUT_BYTES" -- "${DB_ENV[@]}" "$DBACKUP" restore "$object" \
        --from "s3://$bucket/dbackup" --endpoint "$ENDPOINT" --key-file "$DBACKUP_KIT" \
        --output "$work/restore/dbackup.sql" || return 0
    verify dbackup restore "$work/restore/dbackup.sql"
    purge_bucket "$bucket"

    # The same to a local folder: separates compression + encryption from the upload.
    local dir=$work/local/dbackup-$rep
    mkdir -p "$dir"
    measure dbackup "backup (local folder)" "$rep" "$INPUT_BYTES" -- "${DB_ENV[@]}" "$DBACKUP" --json \
        backup --file "$INPUT" --name bench --to "$dir" --key-file "$DBACKUP_KIT" || return 0
    object=$(dbackup_object "$work/out")
    STORED=$(du -sb "$dir" | cut -f1)
    record "$STORED" -
    measure dbackup "restore (local folder)" "$rep" "$INPUT_BYTES" -- "${DB_ENV[@]}" "$DBACKUP" restore \
        "$object" --from "$dir" --key-file "$DBACKUP_KIT" --output "$work/restore/dbackup-local.sql" || return 0
    verify dbackup "restore (local folder)" "$work/restore/dbackup-local.sql"
    rm -rf -- "$dir"
}

bench_restic() {
    local rep=$1 bucket=bench-restic-$1
    local repo_url=s3:$ENDPOINT/$bucket/restic
    local R=(env RESTIC_PASSWORD=bench-restic-password RESTIC_CACHE_DIR="$work/restic-cache-$rep"
             restic -r "$repo_url" --quiet)
    make_bucket "$bucket"
    timeout 120 "${R[@]}" init >"$work/restic-init.log" 2>&1 \
        || { cat "$work/restic-init.log" >&2; failed "restic init failed"; return 0; }
    measure restic backup "$rep" "$INPUT_BYTES" -- "${R[@]}" backup "$INPUT" || return 0
    STORED=$(bucket_bytes "$bucket")
    record "$STORED" -
    local target=$work/restore/restic
    measure restic restore "$rep" "$INPUT_BYTES" -- "${R[@]}" restore latest --target "$target" || return 0
    verify restic restore "$target$INPUT"
    rm -rf -- "$target" "$work/restic-cache-$rep"
    purge_bucket "$bucket"
}

bench_rclone() {
    local rep=$1 bucket=bench-rclone-$1 conf=$work/rclone.conf
    make_bucket "$bucket"
    cat >"$conf" <<EOF
[bs3]
type = s3
provider = Ceph
access_key_id = $AWS_ACCESS_KEY_ID
secret_access_key = $AWS_SECRET_ACCESS_KEY
endpoint = $ENDPOINT
region = $REGION

[bcrypt]
type = crypt
remote = bs3:$bucket/rclone
password = $(rclone obscure bench-rclone-password)
password2 = $(rclone obscure bench-rclone-salt)
EOF
    # rclone 1.60 breaks when AWS_CA_BUNDLE is set (unset above); its defaults otherwise.
    local RC=(env -u AWS_CA_BUNDLE rclone --config "$conf" --quiet)
    measure rclone backup "$rep" "$INPUT_BYTES" -- "${RC[@]}" copy "$INPUT" bcrypt: || return 0
    STORED=$(bucket_bytes "$bucket")
    record "$STORED" -
    local target=$work/restore/rclone
    measure rclone restore "$rep" "$INPUT_BYTES" -- "${RC[@]}" copy "bcrypt:$(basename "$INPUT")" "$target" || return 0
    verify rclone restore "$target/$(basename "$INPUT")"
    rm -rf -- "$target"
    purge_bucket "$bucket"
}

# ---------------------------------------------------------------- memory check
bench_memcheck() {
    local RUNS_OF=1   # measured once, whatever --repeat says
    local mib=$MEMCHECK_MIB bytes=$((MEMCHECK_MIB << 20)) bucket=bench-memcheck object free want
    free=$(df -B1 --output=avail "$CACHE" | tail -n 1)
    make_bucket "$bucket"
    [[ -f $DBACKUP_KIT ]] || "${DB_ENV[@]}" "$DBACKUP" key generate --name bench --output "$DBACKUP_KIT" >/dev/null
    if [[ ${BENCH_MEMCHECK_STREAM:-0} != 1 ]] && (( free >= bytes + (3 << 30) )); then
        # A file on stdin: as fast a producer as possible (the upload is the slowest stage, so
        # buffers fill up if anything does) and no size hint, as with `pg_dump | dbackup --stdin`.
        memcheck_input=$CACHE/dump-${mib}MiB-seed$SEED.sql
        make_input "$mib" "$memcheck_input"
        want=$(cut -d' ' -f1 "$memcheck_input.sha256")
        cat "$memcheck_input" >/dev/null
        measure dbackup "backup --stdin (memory check)" 1 "$bytes" -- bash -c \
            'exec "$@" <"$0"' "$memcheck_input" "${DB_ENV[@]}" "$DBACKUP" --json backup --stdin --name memcheck \
            --to "s3://$bucket/dbackup" --endpoint "$ENDPOINT" --key-file "$DBACKUP_KIT" || return 0
        # Room for the restored copy; the SHA-256 recorded at generation is what it must match.
        free=$(df -B1 --output=avail "$CACHE" | tail -n 1)
        if [[ ${BENCH_KEEP_LARGE:-0} != 1 ]] || (( free < bytes + (2 << 30) )); then
            rm -f -- "$memcheck_input" "$memcheck_input.sha256"
        fi
    else
        # Not even room for the input: stream it from the generator, which hashes what it writes.
        [[ ${BENCH_MEMCHECK_STREAM:-0} == 1 ]] \
            || log "only $((free >> 30)) GiB free in $CACHE; streaming the ${mib} MiB input from gen-dump.py"
        # The outer GNU time counts the generator too: dbackup's own RSS and CPU come from an
        # inner GNU time; the outer one still separates other programs' CPU.
        rm -f "$work/time.inner"
        measure dbackup "backup --stdin (memory check, from the generator)" 1 "$bytes" -- bash -c \
            'set -o pipefail; python3 "$0" "$1" --seed "$2" --sha256-to "$3" | /usr/bin/time -f "%e %M %U %S" -o "$4" "${@:5}"' \
            "$here/gen-dump.py" "${mib}M" "$SEED" "$work/memcheck.sha256" "$work/time.inner" \
            "${DB_ENV[@]}" "$DBACKUP" --json backup --stdin --name memcheck \
            --to "s3://$bucket/dbackup" --endpoint "$ENDPOINT" --key-file "$DBACKUP_KIT" || return 0
        local user sys
        read -r _ M_RSS_KB user sys < <(grep -E '^[0-9.]+ [0-9]+ [0-9.]+ [0-9.]+$' "$work/time.inner" | tail -n 1)
        M_CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
        want=$(cut -d' ' -f1 "$work/memcheck.sha256")
    fi
    object=$(dbackup_object "$work/out")
    STORED=$(bucket_bytes "$bucket")
    record "$STORED" -
    measure dbackup "restore (memory check)" 1 "$bytes" -- "${DB_ENV[@]}" "$DBACKUP" restore "$object" \
        --from "s3://$bucket/dbackup" --endpoint "$ENDPOINT" --key-file "$DBACKUP_KIT" \
        --output "$work/restore/memcheck.sql" || return 0
    verify dbackup "restore (memory check)" "$work/restore/memcheck.sql" "sha256:$want"
    purge_bucket "$bucket"
}

# ---------------------------------------------------------------- run
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
for ((rep = 1; rep <= REPEAT; rep++)); do
    for tool in zstd dbackup restic rclone; do
        has_tool "$tool" || continue
        cat "$INPUT" >/dev/null   # every tool reads the input from the page cache
        "bench_$tool" "$rep"
    done
done
(( MEMCHECK )) && bench_memcheck

# ---------------------------------------------------------------- machine
disk_dev=$(df --output=source "$CACHE" | tail -n 1)
hypervisor=$(lscpu 2>/dev/null | awk -F: '/Hypervisor vendor/ {gsub(/^ +/, "", $2); print $2}')
disk_name=$(basename "$(readlink -f "$disk_dev")")
rota=$(cat "/sys/block/$disk_name/queue/rotational" 2>/dev/null || echo '?')

date_tag=$(date -u +%Y-%m-%d)
out_json=$RESULTS_DIR/$date_tag-${SIZE_MIB}MiB.json
python3 - "$RESULTS_TSV" "$out_json" "$versions" <<PYEOF
import json, os, platform, statistics, sys
from collections import OrderedDict

tsv, out_json, versions = sys.argv[1:4]
samples = []
for line in open(tsv):
    tool, op, rep, secs, rss, stored, verified, nbytes, load, cpu, ceph, other, flush = line.rstrip("\n").split("\t")
    samples.append(dict(tool=tool, op=op, run=int(rep), seconds=float(secs), peak_rss_kib=int(rss),
                        stored_bytes=int(stored), verified={"yes": True, "no": False}.get(verified),
                        input_bytes=int(nbytes), load_avg_1m=float(load), tool_cpu_s=float(cpu),
                        ceph_cpu_s=float(ceph), other_programs_cpu_s=float(other),
                        flush_seconds=float(flush) if flush else None))

groups = OrderedDict()
for s in samples:
    groups.setdefault((s["tool"], s["op"]), []).append(s)
rows = []
for (tool, op), ss in groups.items():
    if "$STAT" == "min":
        # The least disturbed run, with its own CPU figures.
        best = min(ss, key=lambda s: s["seconds"])
        secs, pick = best["seconds"], lambda key: best[key]
    else:
        secs = statistics.median(s["seconds"] for s in ss)
        pick = lambda key: statistics.median(s[key] for s in ss)
    nbytes = ss[0]["input_bytes"]
    rows.append(OrderedDict(
        tool=tool, op=op, runs=len(ss), seconds=round(secs, 2),
        mb_per_s=round(nbytes / secs / 1e6, 1) if secs > 0 else None,
        peak_rss_mib=round(max(s["peak_rss_kib"] for s in ss) / 1024, 1),
        stored_bytes=ss[-1]["stored_bytes"], input_bytes=nbytes,
        verified=(None if all(s["verified"] is None for s in ss)
                  else all(s["verified"] is True for s in ss)),
        tool_cpu_s=pick("tool_cpu_s"), ceph_cpu_s=pick("ceph_cpu_s"),
        other_programs_cpu_s=pick("other_programs_cpu_s"),
        flush_seconds=pick("flush_seconds") if ss[0]["flush_seconds"] is not None else None,
        mb_per_s_to_disk=None,
        seconds_all=[s["seconds"] for s in ss]))

for r in rows:
    if r["flush_seconds"] is not None:
        r["mb_per_s_to_disk"] = round(r["input_bytes"] / (r["seconds"] + r["flush_seconds"]) / 1e6, 1)

def rate(tool, op):
    for r in rows:
        if r["tool"] == tool and r["op"] == op:
            return r["mb_per_s"]
    return None

ref = {"backup": {"zstd": ("zstd", "compress"), "restic": ("restic", "backup"), "rclone": ("rclone", "backup")},
       "restore": {"zstd": ("zstd", "decompress"), "restic": ("restic", "restore"), "rclone": ("rclone", "restore")}}
for r in rows:
    kind = "backup" if r["op"].startswith(("backup", "compress")) else "restore"
    r["ratios"] = OrderedDict()
    for name, (t, o) in ref[kind].items():
        other = rate(t, o)
        same_input = next((x["input_bytes"] for x in rows if (x["tool"], x["op"]) == (t, o)), None) == r["input_bytes"]
        if other and r["mb_per_s"] and same_input and (r["tool"], r["op"]) != (t, o):
            r["ratios"]["vs_" + name] = round(r["mb_per_s"] / other, 2)

def target(name, value, goal, cmp):
    return OrderedDict(name=name, value=value, target=goal,
                       met=None if value is None else (value >= goal if cmp == ">=" else value <= goal),
                       rule=cmp)

def ratio(a, b):
    ra, rb = rate(*a), rate(*b)
    return round(ra / rb, 2) if ra and rb else None

def rss(tool, op):
    for r in rows:
        if r["tool"] == tool and r["op"] == op:
            return r["peak_rss_mib"]
    return None

size_mib = int("$SIZE_MIB")
memcheck_rss = max([r["peak_rss_mib"] for r in rows if "memory check" in r["op"]] or [None], key=lambda v: v or 0)
targets = [
    target("dbackup backup / zstd -3 -T0 rate", ratio(("dbackup", "backup"), ("zstd", "compress")), 0.85, ">="),
    target("dbackup backup / restic backup rate", ratio(("dbackup", "backup"), ("restic", "backup")), 2.5, ">="),
    target("dbackup backup / rclone crypt rate", ratio(("dbackup", "backup"), ("rclone", "backup")), 2.0, ">="),
    target("dbackup restore / restic restore rate", ratio(("dbackup", "restore"), ("restic", "restore")), 2.0, ">="),
    target(f"dbackup peak RSS at {size_mib} MiB (backup and restore, MiB)",
           max([v for v in (rss("dbackup", "backup"), rss("dbackup", "restore")) if v is not None] or [None],
               key=lambda v: v or 0), 150, "<="),
]
if any("memory check" in r["op"] for r in rows):
    targets.append(target(f"dbackup peak RSS at {int('$MEMCHECK_MIB')} MiB (backup and restore, MiB)",
                          memcheck_rss, 150, "<="))

def disk_rate(tool, op):
    return next((r["mb_per_s_to_disk"] for r in rows if (r["tool"], r["op"]) == (tool, op)), None)
durable = OrderedDict(
    note=("DBackup fsyncs the restored file before it exits; restic and rclone do not. "
          "mb_per_s_to_disk also counts the time 'sync FILE' needed right after each tool exited, "
          "i.e. restore rates at equal durability. Informational, not one of the targets."),
    dbackup_restore_mb_per_s_to_disk=disk_rate("dbackup", "restore"),
    restic_restore_mb_per_s_to_disk=disk_rate("restic", "restore"),
    rclone_restore_mb_per_s_to_disk=disk_rate("rclone", "restore"))
a, b = durable["dbackup_restore_mb_per_s_to_disk"], durable["restic_restore_mb_per_s_to_disk"]
durable["dbackup_vs_restic"] = round(a / b, 2) if a and b else None
a, b = durable["dbackup_restore_mb_per_s_to_disk"], durable["rclone_restore_mb_per_s_to_disk"]
durable["dbackup_vs_rclone"] = round(a / b, 2) if a and b else None

failures = [f.strip() for f in open("$FAILURES_FILE") if f.strip()]
restores = [r for r in rows if r["verified"] is not None]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
result = OrderedDict(
    benchmark="dbackup bench/run.sh",
    started="$started",
    finished="$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    input=OrderedDict(kind="SQL-dump-like (bench/gen-dump.py)", seed=int("$SEED"), size_mib=size_mib,
                      bytes=int("$INPUT_BYTES"), sha256=open("$INPUT.sha256").read().strip(),
                      zstd3_ratio=round(int("$INPUT_BYTES") / next((r["stored_bytes"] for r in rows if r["tool"] == "zstd"), 0), 2)
                      if any(r["tool"] == "zstd" for r in rows) else None),
    units=("MB/s = input bytes / wall seconds / 1e6; RSS = peak resident set (GNU time %M) of the tool's "
           "process tree; tool_cpu_s = its user+sys CPU seconds; ceph_cpu_s = CPU seconds of the S3 server "
           "(radosgw, OSD, monitor) during the step; other_programs_cpu_s = the rest of the machine's busy "
           "CPU time during the step (other users; ~0 on a quiet machine)"),
    machine=OrderedDict(
        nproc=os.cpu_count(), cpu_model=cpu, ram_gib=round(mem / 1024 / 1024, 1),
        virtualization="${hypervisor:+$hypervisor guest}" or "none detected",
        kernel=platform.release(), disk="$disk_dev ($( [[ $rota == 1 ]] && echo 'reported rotational (virtual disk)' || echo 'non-rotational'))",
        s3_server="Ceph radosgw $(dpkg-query -W -f='${Version}' radosgw 2>/dev/null) on 127.0.0.1, single memstore OSD (objects in RAM), same machine",
        load_avg_at_start="$load_at_start"),
    versions=OrderedDict(l.rstrip("\n").split("=", 1) for l in open(versions) if "=" in l),
    settings=OrderedDict(
        zstd="zstd -3 -T0 -c FILE >/dev/null; zstd -d -c FILE.zst >/dev/null",
        dbackup="dbackup backup --file FILE --to s3://BUCKET/dbackup --endpoint URL --key-file KIT (zstd 3 + AES-256-GCM, defaults); restore --output FILE",
        restic="restic backup FILE (repo on s3:URL/BUCKET, defaults: repository v2, compression auto); restore latest --target DIR",
        rclone="rclone copy FILE crypt: (crypt over an s3 remote, provider Ceph, defaults); rclone copy crypt:FILE DIR",
        repeat=int("$REPEAT"),
        statistic="$STAT of the runs (seconds, CPU seconds); peak RSS is the max over all runs"),
    ok=not failures and all(r["verified"] for r in restores),
    failures=failures,
    results=rows,
    targets=targets,
    restore_at_equal_durability=durable,
    samples=samples,
)
os.makedirs(os.path.dirname(out_json), exist_ok=True)
with open(out_json, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")

# Table
hdr = ("tool", "operation", "seconds", "MB/s", "peak RSS MiB", "stored MiB", "CPU s", "S3 CPU s", "other CPU s", "fsync after s", "verified", "ratios")
lines = [hdr]
for r in rows:
    lines.append((r["tool"], r["op"], "%.2f" % r["seconds"], "%.1f" % (r["mb_per_s"] or 0),
                  "%.1f" % r["peak_rss_mib"], "%.1f" % (r["stored_bytes"] / 1048576),
                  "%.2f" % r["tool_cpu_s"], "%.2f" % r["ceph_cpu_s"], "%.2f" % r["other_programs_cpu_s"],
                  "-" if r["flush_seconds"] is None else "%.2f" % r["flush_seconds"],
                  {True: "yes", False: "NO", None: "-"}[r["verified"]],
                  " ".join(f"{k}={v}" for k, v in r["ratios"].items())))
w = [max(len(str(l[i])) for l in lines) for i in range(len(hdr))]
for i, l in enumerate(lines):
    print("  ".join(str(c).ljust(w[j]) for j, c in enumerate(l)).rstrip())
    if i == 0:
        print("  ".join("-" * w[j] for j in range(len(hdr))))
print()
for t in targets:
    mark = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
    print(f"target: {t['name']} {t['rule']} {t['target']}: {t['value']} -> {mark}")
print(f"restore at equal durability (incl. fsync): dbackup {durable['dbackup_restore_mb_per_s_to_disk']} MB/s, "
      f"restic {durable['restic_restore_mb_per_s_to_disk']}, rclone {durable['rclone_restore_mb_per_s_to_disk']}; "
      f"dbackup/restic = {durable['dbackup_vs_restic']} (informational)")
print()
print("results:", out_json)
if not result["ok"]:
    print("FAILED:", "; ".join(failures) or "a restore was not verified", file=sys.stderr)
    sys.exit(1)
PYEOF
