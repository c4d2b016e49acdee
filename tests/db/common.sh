# Helpers shared by the throwaway database servers in tests/db (sourced, not run).
#
# The caller sets PROG (used as the log prefix) before sourcing. Everything here writes to
# stderr only: the start scripts keep stdout for `export NAME=value` lines.

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "$*"; exit 1; }

require_tools() { # require_tools "apt-get install hint" TOOL...
    local hint=$1 tool; shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "'$tool' not found; install: $hint"
    done
}

require_number() { # require_number VAR... (by name)
    local var
    for var in "$@"; do
        [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a number, got '${!var}'"
    done
}

require_port() { # require_port VAR
    require_number "$1"
    (( ${!1} >= 1 && ${!1} <= 65535 )) || die "$1 must be a TCP port (1-65535), got '${!1}'"
}

# Listeners on PORT that would stop us binding 127.0.0.1:PORT, as "ADDR:PORT PROCESS" lines.
port_listeners() {
    ss -Hltnp "sport = :$1" 2>/dev/null | awk '{print $4, $6}' \
        | grep -E '^(127\.0\.0\.1|0\.0\.0\.0|\*|\[::\]|\[::ffff:127\.0\.0\.1\]):' || true
}

# Refuse rather than kill: the port may belong to another developer's server or test run.
check_port_free() { # check_port_free PORT VAR
    local port=$1 var=$2 listeners owner
    listeners=$(port_listeners "$port")
    [[ -z $listeners ]] && return 0
    owner=$(grep -oE '"[^"]+",pid=[0-9]+' <<<"$listeners" | head -n1 \
        | sed -E 's/^"([^"]+)",pid=([0-9]+)$/PID \2 \/ process \1/' || true)
    die "port $port on 127.0.0.1 is already in use${owner:+ (by $owner)}; set $var to a free port or stop that process"
}

# First port from START on that nothing listens on (on any address); bounded by the port range.
first_free_port() {
    local p=$1
    while [[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; do
        p=$((p + 1))
        (( p <= 65535 )) || die "no free TCP port from $1 to 65535"
    done
    echo "$p"
}

# True if the listener on 127.0.0.1:PORT is process PID (guards against a race for the port).
port_owned_by() { # port_owned_by PORT PID
    [[ $(ss -Hltnp "sport = :$1" 2>/dev/null) == *"pid=$2,"* ]]
}

# 32 hex digits from the kernel's CSPRNG: safe in SQL literals, shell words and URLs.
random_password() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

# A password given through the environment must fit on one line of SQL.
require_printable() { # require_printable VAR
    [[ -n ${!1} && ${!1} =~ ^[[:print:]]+$ ]] || die "$1 must be non-empty printable ASCII (no newlines)"
}

# DIR handling shared by the start scripts: sets DIR (physical path) and created=0/1.
# DIR must be missing or empty; without DIR a fresh one is made under /tmp (short: Unix socket
# paths must stay below 108 bytes). Only a directory made here gets the MARKER file, and only a
# directory with the marker is removed by the stop script.
prepare_dir() { # prepare_dir MARKER MKTEMP_TEMPLATE [DIR]
    local marker=$1 template=$2
    created=0
    if [[ $# -ge 3 ]]; then
        DIR=$3
        [[ -n $DIR ]] || die "DIR is empty"
        if [[ -e $DIR ]]; then
            [[ -d $DIR ]] || die "$DIR exists and is not a directory"
            [[ -z $(ls -A "$DIR") ]] || die "$DIR is not empty; give a missing or empty directory (nothing was changed)"
        else
            mkdir -p "$DIR"
            created=1
        fi
    else
        DIR=$(mktemp -d "$template")
        created=1
    fi
    # Physical path, as the stop script computes it: it finds our processes by this exact string.
    DIR=$(cd -P "$DIR" && pwd -P)
    if [[ ! $DIR =~ ^[A-Za-z0-9._/+-]+$ ]]; then
        (( created )) && rmdir "$DIR"
        die "DIR '$DIR' may only contain letters, digits and ._/+- because it is written into config files"
    fi
    (( created )) && : >"$DIR/$marker"
    return 0
}

# For a subshell that then execs a daemon: the daemon must not keep the caller's descriptors
# open (a pipe held by a server makes `env=$(start-...)`, or a CI runner, wait forever).
close_extra_fds() {
    local fd
    for fd in "/proc/$BASHPID/fd"/*; do
        fd=${fd##*/}
        (( fd > 2 )) || continue
        exec {fd}>&-
    done
}

# One deadline for the whole startup.
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
start_deadline() { # start_deadline SECONDS TIMEOUT_VAR_NAME
    t0_us=$(now_us)
    deadline_us=$(( t0_us + $1 * 1000000 ))
    deadline_var=$2
}
seconds_left() {
    local left=$(( (deadline_us - $(now_us) + 999999) / 1000000 ))
    (( left > 0 )) || die "startup took longer than $deadline_var=${!deadline_var}s"
    echo "$left"
}
before_deadline() { (( $(now_us) < deadline_us )); }
elapsed_ms() { echo $(( ($(now_us) - t0_us) / 1000 )); }

show_logs() { # show_logs FILE...
    local f
    for f in "$@"; do
        [[ -s $f ]] || continue
        log "---- last lines of $f ----"
        tail -n 30 "$f" >&2
    done
}

# ---- stopping processes (used by the stop scripts) ----

# True if PID's argv contains IDENT as one whole argument (not as a substring of a longer one).
argv_has() { # argv_has PID IDENT
    local arg
    while IFS= read -r -d '' arg; do
        [[ $arg == "$2" ]] && return 0
    done 2>/dev/null <"/proc/$1/cmdline"
    return 1
}

# Reads /proc/PID/stat into the array stat_f, fields from the third on (state, ppid, ...), without
# forking: the stop scripts scan every process, and a busy machine has many.
read_stat() {
    local line
    { IFS= read -r line; } 2>/dev/null <"/proc/$1/stat" || return 1
    line=${line##*) }            # drop "pid (comm) ", comm may contain spaces and ')'
    read -r -a stat_f <<<"$line"
    [[ ${#stat_f[@]} -gt 19 ]]
}

# Field 22 of /proc/PID/stat: start time in clock ticks. With the PID it identifies a process
# even while it exits (when its cmdline is already empty).
start_time() { read_stat "$1" || return 1; echo "${stat_f[19]}"; }

# "PID STARTTIME" of every direct child of PID.
children_of() {
    local procdir pid
    for procdir in /proc/[0-9]*; do
        pid=${procdir#/proc/}
        read_stat "$pid" || continue
        if [[ ${stat_f[1]} == "$1" ]]; then echo "$pid ${stat_f[19]}"; fi
    done
}

# An exited process may linger as a zombie until its parent (often init) reaps it: gone means
# /proc/PID is gone, or only a zombie with at most one thread is left.
still_running() {
    local key val state="" threads=1
    while read -r key val _; do
        case $key in
            State:) state=$val ;;
            Threads:) threads=$val; break ;;
        esac
    done 2>/dev/null <"/proc/$1/status"
    [[ -n $state ]] || return 1
    [[ $state == Z && $threads -le 1 ]] && return 1
    return 0
}

wait_gone() { # wait_gone PID SECONDS
    local pid=$1 deadline
    deadline=$(( $(now_us) + $2 * 1000000 ))
    while still_running "$pid"; do
        (( $(now_us) < deadline )) || return 1
        sleep 0.05
    done
}

# Stop one process whose argv names IDENT: send each signal in turn, waiting up to
# STOP_TIMEOUT seconds after the first and 10 s after each later one. Before SIGKILL its direct
# children are noted, and those still alive (same start time) are killed after it.
stop_pid() { # stop_pid NAME PID IDENT SIGNAL...
    local name=$1 pid=$2 ident=$3 st sig prev="" wait_s=$STOP_TIMEOUT child cst
    local -a kids=()
    shift 3
    still_running "$pid" || return 0
    if ! argv_has "$pid" "$ident"; then
        # Either it is already exiting (cmdline empty) or the PID now belongs to something else.
        if [[ -z $(tr -d '\0' <"/proc/$pid/cmdline" 2>/dev/null) ]]; then
            log "$name (PID $pid) is already exiting; waiting"
            wait_gone "$pid" "$STOP_TIMEOUT" && return 0
            log "$name (PID $pid) still exiting after ${STOP_TIMEOUT}s; its identity cannot be checked, not signalling it"
            return 1
        fi
        log "PID $pid ($name) is not a process of $ident; leaving it alone"
        return 0
    fi
    st=$(start_time "$pid") || return 0
    for sig in "$@"; do
        # Same start time means same process: a PID cannot be reused while /proc/PID exists.
        [[ $(start_time "$pid" || true) == "$st" ]] || return 0
        if [[ -z $prev ]]; then
            log "stopping $name (PID $pid) with SIG$sig"
        else
            log "$name (PID $pid) did not exit within ${wait_s}s of SIG$prev; sending SIG$sig"
            wait_s=10
        fi
        [[ $sig == KILL ]] && mapfile -t kids < <(children_of "$pid")
        kill -"$sig" "$pid" 2>/dev/null || true
        if wait_gone "$pid" "$wait_s"; then
            for child in "${kids[@]}"; do
                read -r child cst <<<"$child"
                if [[ $(start_time "$child" || true) == "$cst" ]]; then
                    kill -KILL "$child" 2>/dev/null || true
                    wait_gone "$child" 10 || true
                fi
            done
            return 0
        fi
        prev=$sig
    done
    log "$name (PID $pid) still runs after SIG$prev; giving up"
    return 1
}

# "PID COMM" of every process whose comm is one of COMMS and whose argv names IDENT, ordered as
# COMMS is (first listed, first stopped).
processes_naming() { # processes_naming IDENT COMM...
    local ident=$1 procdir pid comm i; shift
    local -a comms=("$@")
    for procdir in /proc/[0-9]*; do
        pid=${procdir#/proc/}
        { IFS= read -r comm; } 2>/dev/null <"$procdir/comm" || continue
        for i in "${!comms[@]}"; do
            [[ $comm == "${comms[$i]}" ]] || continue
            argv_has "$pid" "$ident" && echo "$i $pid $comm"
            break
        done
    done | sort -n | cut -d' ' -f2-
}
