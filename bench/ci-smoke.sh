#!/usr/bin/env bash
# CI smoke test of the benchmark: run bench/run.sh on a 64 MiB input and check that it ran, not
# how fast. Fails if run.sh fails, or if its results JSON lacks a tool or an operation, or if any
# restore was not verified byte for byte against the input.
#
# Usage: bench/ci-smoke.sh      (about 20 s once the dependencies are installed and dbackup built)
#
# Environment: BENCH_SMOKE_MIB (default 64); everything run.sh reads (DBACKUP_BIN, ...).
# The results JSON goes to a temporary directory, not bench/results.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
size=${BENCH_SMOKE_MIB:-64}
out=$(mktemp -d /tmp/dbackup-bench-smoke.XXXXXX)
trap 'rm -rf -- "$out"' EXIT

rc=0
BENCH_RESULTS_DIR=$out timeout "${BENCH_SMOKE_TIMEOUT:-1800}" "$here/run.sh" "$size" || rc=$?
shopt -s nullglob
results=("$out"/*-"${size}"MiB.json)
if [[ ${#results[@]} -ne 1 ]]; then
    echo "ci-smoke: FAIL: run.sh (exit $rc) wrote no results JSON" >&2
    exit 1
fi

python3 - "${results[0]}" "$rc" <<'EOF'
import json, sys

path, rc = sys.argv[1], int(sys.argv[2])
d = json.load(open(path))
problems = []
if rc != 0:
    problems.append(f"run.sh exited {rc}")
if not d.get("ok"):
    problems.append("results say ok=false: " + "; ".join(d.get("failures") or ["(no detail)"]))
want = {
    ("zstd", "compress"), ("zstd", "decompress"),
    ("dbackup", "backup"), ("dbackup", "restore"),
    ("dbackup", "backup (local folder)"), ("dbackup", "restore (local folder)"),
    ("restic", "backup"), ("restic", "restore"),
    ("rclone", "backup"), ("rclone", "restore"),
}
rows = {(r["tool"], r["op"]): r for r in d.get("results", [])}
for key in sorted(want - rows.keys()):
    problems.append("missing result: %s %s" % key)
for key, r in rows.items():
    if not (r.get("seconds", 0) > 0 and r.get("peak_rss_mib", 0) > 0):
        problems.append("%s %s: no time or RSS recorded" % key)
    if key[1].startswith("restore") and r.get("verified") is not True:
        problems.append("%s %s: restore not verified" % key)
    if key[1].startswith("backup") and not r.get("stored_bytes", 0) > 0:
        problems.append("%s %s: nothing stored" % key)
if d.get("input", {}).get("bytes") != d.get("input", {}).get("size_mib", -1) * 1048576:
    problems.append("input size is not what was asked for")
if problems:
    print("ci-smoke: FAIL:\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"ci-smoke: ok ({len(rows)} measurements, every restore verified; {path})")
EOF
