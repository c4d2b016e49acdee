#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for database backup tests.
#
# Usage: eval "$(tests/db/start-postgres.sh [DIR])"
#        ...tests...
#        tests/db/stop-postgres.sh "$DBACKUP_TEST_PG_DIR"
#
# DIR must be missing or empty. Without DIR a fresh directory is made with mktemp; only a
# directory this script created is removed again by stop-postgres.sh. The cluster lives in
# DIR/data, the Unix socket in DIR, logs in DIR/log.
#
# Run as root, the server runs as the OS user PG_OS_USER (default postgres; initdb and postgres
# refuse root): DIR is chowned to it and every parent of DIR must be searchable by it. Run as
# any other user, the server runs as that user.
#
# What is set up:
#   - TCP on 127.0.0.1 only; host connections need a password (scram-sha-256). The Unix socket
#     (in DIR, mode 0700) trusts its users, who can only be the server's OS user and root.
#   - dbackup_admin: superuser with a password.
#   - dbackup_reader: may log in (and connect to every database) but is no superuser and has no
#     privilege on table secret_table in database restricted (owned by dbackup_admin, ALL revoked
#     from PUBLIC), so `pg_dump restricted` as dbackup_reader fails with "permission denied".
#
# Environment (all optional):
#   PG_PORT              TCP port on 127.0.0.1 (default: the first free port from 25432)
#   PG_BIN               server binaries (default: newest /usr/lib/postgresql/NN/bin with initdb)
#   PG_OS_USER           OS user for the server when run as root (default postgres)
#   PG_ADMIN_PASSWORD / PG_READER_PASSWORD   (default: random)
#   PG_START_TIMEOUT     bound on the whole startup, seconds (default 60)
#
# stdout carries only `export NAME=value` lines (also written to DIR/env, mode 0600); everything
# else goes to stderr, so `eval "$(...)"` is safe.
#
# Background: /work/shared/notes/databases.md
set -euo pipefail

PROG=start-postgres
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

MARKER=.created-by-start-postgres
ADMIN_USER=dbackup_admin
READER_USER=dbackup_reader

# libpq reads these; a developer's own settings (PGHOST, PGOPTIONS, PGSERVICE...) must not leak
# into the server setup. Our own knobs are spelled PG_*, which this does not touch.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^PG[A-Z]' || true)

PG_START_TIMEOUT=${PG_START_TIMEOUT:-60}
PG_OS_USER=${PG_OS_USER:-postgres}
PG_ADMIN_PASSWORD=${PG_ADMIN_PASSWORD:-$(random_password)}
PG_READER_PASSWORD=${PG_READER_PASSWORD:-$(random_password)}
require_number PG_START_TIMEOUT
require_printable PG_ADMIN_PASSWORD
require_printable PG_READER_PASSWORD

require_tools "apt-get install -y --no-install-recommends postgresql iproute2 coreutils" psql ss timeout

if [[ -z ${PG_BIN:-} ]]; then
    # The newest installed major version; Debian installs them side by side.
    PG_BIN=$(for d in /usr/lib/postgresql/*/bin; do
        if [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then echo "$d"; fi
    done | sort -V | tail -n1)
    [[ -n $PG_BIN ]] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin; install: apt-get install -y --no-install-recommends postgresql (or set PG_BIN)"
fi
for tool in initdb pg_ctl postgres; do
    [[ -x $PG_BIN/$tool ]] || die "$PG_BIN/$tool not found or not executable (PG_BIN=$PG_BIN)"
done

# Run server tools as the server's OS user.
as_pg=()
if (( EUID == 0 )); then
    require_tools "apt-get install -y util-linux" runuser
    id -u "$PG_OS_USER" >/dev/null 2>&1 || die "OS user '$PG_OS_USER' does not exist (the postgresql package creates 'postgres'; or set PG_OS_USER)"
    [[ $(id -u "$PG_OS_USER") != 0 ]] || die "PG_OS_USER must not be root: initdb and postgres refuse to run as root"
    as_pg=(runuser -u "$PG_OS_USER" --)
else
    PG_OS_USER=$(id -un)
fi

if [[ -n ${PG_PORT:-} ]]; then
    require_port PG_PORT
else
    PG_PORT=$(first_free_port 25432)
fi
check_port_free "$PG_PORT" PG_PORT

prepare_dir "$MARKER" /tmp/dbackup-pg.XXXXXX "$@"
SOCKET=$DIR/.s.PGSQL.$PG_PORT
if (( ${#SOCKET} > 107 )); then
    (( created )) && rm -rf -- "$DIR"
    die "DIR is too long: the socket path $SOCKET must stay below 108 bytes"
fi
DATA=$DIR/data
# The server's OS user may lack access to the caller's working directory.
cd /

# From here on, any failure stops whatever was started and shows the log of the step that failed.
# The script's own stderr, kept for on_exit: a signal trap can fire while a function runs with
# its stderr sent to a step log, and the failure report must not vanish into that log.
exec {script_stderr}>&2
step_logs=()
on_exit() {
    local rc=$? had_marker=0 stopped=0
    trap - EXIT
    exec 2>&"$script_stderr"
    (( rc == 0 )) && return 0
    log "failed; stopping what was started"
    # Hide the marker so stop-postgres.sh keeps DIR (and the logs) until they are shown.
    if [[ -f $DIR/$MARKER ]]; then had_marker=1; rm -f "$DIR/$MARKER"; fi
    "$here/stop-postgres.sh" "$DIR" >&2 && stopped=1
    show_logs "${step_logs[@]}"
    if (( had_marker && stopped )); then
        rm -rf -- "$DIR"
        log "removed $DIR"
    elif (( had_marker )); then
        : >"$DIR/$MARKER"   # so a later stop-postgres.sh run can still clean up
        log "kept $DIR because not every process stopped"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$DIR/log"
chmod 0700 "$DIR"
if (( EUID == 0 )); then
    chown "$PG_OS_USER": "$DIR" "$DIR/log"
    "${as_pg[@]}" test -w "$DIR" -a -x "$DIR" \
        || die "the OS user $PG_OS_USER cannot write to $DIR: every parent directory must be searchable (o+x) by it"
fi

start_deadline "$PG_START_TIMEOUT" PG_START_TIMEOUT
log "dir $DIR; server $PG_BIN/postgres as $PG_OS_USER on 127.0.0.1:$PG_PORT"

# Run a step within the deadline, its output to a step log.
run_logged() { # run_logged LOGNAME COMMAND...
    local logname=$1 left; shift
    left=$(seconds_left)
    step_logs=("$DIR/log/$logname.log" "$DIR/log/postgres.log")
    timeout "$left" "$@" </dev/null >>"$DIR/log/$logname.log" 2>&1 \
        || die "'$*' failed or ran into the ${PG_START_TIMEOUT}s startup deadline"
}

# --- cluster --- (C locale with UTF-8: independent of the host's locales; -N: no fsync, throwaway)
run_logged initdb "${as_pg[@]}" "$PG_BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C -N \
    --auth-local=trust --auth-host=scram-sha-256 --no-instructions

# Written before the first start, so no TCP connection is ever accepted without a password.
cat >"$DATA/pg_hba.conf" <<EOF
# Written by tests/db/start-postgres.sh. The socket lives in $DIR (mode 0700).
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  trust
local   replication  all                  trust
host    all          all   127.0.0.1/32   scram-sha-256
host    replication  all   127.0.0.1/32   scram-sha-256
EOF
cat >>"$DATA/postgresql.conf" <<EOF

# ---- throwaway test server, written by tests/db/start-postgres.sh ----
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$DIR'
password_encryption = 'scram-sha-256'
# Durability is not wanted here, speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

# --- server --- pg_ctl -w waits until the server accepts connections; pg_ctl puts the
# postmaster in its own session, so a Ctrl-C in the caller's terminal does not reach it.
left=$(seconds_left)
step_logs=("$DIR/log/pg_ctl.log" "$DIR/log/postgres.log")
if ! (
    close_extra_fds
    exec timeout "$left" "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -l "$DIR/log/postgres.log" \
        -w -t "$left" start
) </dev/null >>"$DIR/log/pg_ctl.log" 2>&1; then
    # postgres exits when it cannot bind; name whoever took the port since the check above.
    check_port_free "$PG_PORT" PG_PORT
    die "pg_ctl start failed or ran into the ${PG_START_TIMEOUT}s startup deadline"
fi
PG_PID=$(head -n1 "$DATA/postmaster.pid")
[[ $PG_PID =~ ^[0-9]+$ ]] || die "no PID in $DATA/postmaster.pid"
port_owned_by "$PG_PORT" "$PG_PID" \
    || die "port $PG_PORT is not served by our postgres (PID $PG_PID); another process took it"

# --- roles and the restricted database, over the Unix socket as the bootstrap superuser ---
sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }
step_logs=("$DIR/log/setup.log" "$DIR/log/postgres.log")
left=$(seconds_left)
# The SQL (with the passwords) goes through stdin, never onto a command line.
timeout "$left" psql -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PG_PORT" -U postgres -d postgres \
    >>"$DIR/log/setup.log" 2>&1 <<EOF || die "creating the test roles failed or ran into the deadline"
CREATE ROLE $ADMIN_USER LOGIN SUPERUSER PASSWORD $(sql_literal "$PG_ADMIN_PASSWORD");
CREATE ROLE $READER_USER LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD $(sql_literal "$PG_READER_PASSWORD");
CREATE DATABASE restricted OWNER $ADMIN_USER;
\\connect restricted
SET ROLE $ADMIN_USER;
CREATE TABLE public.secret_table (id integer PRIMARY KEY, secret text NOT NULL);
INSERT INTO public.secret_table VALUES (1, 'only $ADMIN_USER may read this');
REVOKE ALL ON public.secret_table FROM PUBLIC;
EOF

# --- the way tests connect: TCP with a password ---
step_logs=("$DIR/log/check.log" "$DIR/log/postgres.log")
left=$(seconds_left)
PGPASSWORD=$PG_ADMIN_PASSWORD PGCONNECT_TIMEOUT=$left timeout "$left" \
    psql -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U "$ADMIN_USER" -d restricted \
    -c 'SELECT count(*) FROM public.secret_table' </dev/null >>"$DIR/log/check.log" 2>&1 \
    || die "$ADMIN_USER cannot log in over TCP with its password"
log "ready in $(elapsed_ms) ms (PID $PG_PID)"

(
    umask 077
    {
        printf 'export DBACKUP_TEST_PG_HOST=%q\n' 127.0.0.1
        printf 'export DBACKUP_TEST_PG_PORT=%q\n' "$PG_PORT"
        printf 'export DBACKUP_TEST_PG_USER=%q\n' "$ADMIN_USER"
        printf 'export DBACKUP_TEST_PG_PASSWORD=%q\n' "$PG_ADMIN_PASSWORD"
        printf 'export DBACKUP_TEST_PG_READER_USER=%q\n' "$READER_USER"
        printf 'export DBACKUP_TEST_PG_READER_PASSWORD=%q\n' "$PG_READER_PASSWORD"
        printf 'export DBACKUP_TEST_PG_DIR=%q\n' "$DIR"
        printf 'export DBACKUP_TEST_PG_BIN=%q\n' "$PG_BIN"
    } >"$DIR/env"
)
cat "$DIR/env"
