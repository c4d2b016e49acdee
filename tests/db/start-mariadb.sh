#!/usr/bin/env bash
# Start a throwaway MariaDB server on 127.0.0.1 for database backup tests.
#
# Usage: eval "$(tests/db/start-mariadb.sh [DIR])"
#        ...tests...
#        tests/db/stop-mariadb.sh "$DBACKUP_TEST_MYSQL_DIR"
#
# DIR must be missing or empty. Without DIR a fresh directory is made with mktemp; only a
# directory this script created is removed again by stop-mariadb.sh. The server reads only
# DIR/my.cnf (never /etc/mysql), keeps its data in DIR/data, its socket at DIR/sock and its
# logs in DIR/log.
#
# What is set up:
#   - TCP on 127.0.0.1 only, no host name resolution (so accounts match by IP).
#   - dbackup_admin@'%', @'localhost', @'127.0.0.1': ALL PRIVILEGES ON *.* WITH GRANT OPTION.
#   - dbackup_reader (same three hosts): USAGE only, so it can log in but cannot read database
#     restricted (table secret_table): `mariadb-dump restricted` as it fails with error 1044.
#   - root@localhost without a password, reachable only through DIR/sock (DIR is mode 0700);
#     root has no TCP account.
# The accounts are made by an --init-file, which the server runs before it serves any
# connection, so there is no moment in which TCP accepts a password-less root.
#
# Environment (all optional):
#   MARIADB_PORT            TCP port on 127.0.0.1 (default: the first free port from 23306)
#   MARIADB_ADMIN_PASSWORD / MARIADB_READER_PASSWORD   (default: random)
#   MARIADB_START_TIMEOUT   bound on the whole startup, seconds (default 60)
#
# stdout carries only `export NAME=value` lines (also written to DIR/env, mode 0600); everything
# else goes to stderr, so `eval "$(...)"` is safe.
#
# Background: /work/shared/notes/databases.md
set -euo pipefail

PROG=start-mariadb
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

MARKER=.created-by-start-mariadb
ADMIN_USER=dbackup_admin
READER_USER=dbackup_reader
HOSTS=("%" localhost 127.0.0.1)

# The client reads these; a developer's own settings must not leak into the setup.
unset MYSQL_PWD MYSQL_HOST MYSQL_TCP_PORT MYSQL_UNIX_PORT MARIADB_HOST 2>/dev/null || true

MARIADB_START_TIMEOUT=${MARIADB_START_TIMEOUT:-60}
MARIADB_ADMIN_PASSWORD=${MARIADB_ADMIN_PASSWORD:-$(random_password)}
MARIADB_READER_PASSWORD=${MARIADB_READER_PASSWORD:-$(random_password)}
require_number MARIADB_START_TIMEOUT
require_printable MARIADB_ADMIN_PASSWORD
require_printable MARIADB_READER_PASSWORD

require_tools "apt-get install -y --no-install-recommends mariadb-server mariadb-client iproute2 coreutils util-linux" \
    mariadbd mariadb-install-db mariadb ss timeout setsid

if [[ -n ${MARIADB_PORT:-} ]]; then
    require_port MARIADB_PORT
else
    MARIADB_PORT=$(first_free_port 23306)
fi
check_port_free "$MARIADB_PORT" MARIADB_PORT

prepare_dir "$MARKER" /tmp/dbackup-mariadb.XXXXXX "$@"
SOCKET=$DIR/sock
if (( ${#SOCKET} > 107 )); then
    (( created )) && rm -rf -- "$DIR"
    die "DIR is too long: the socket path $SOCKET must stay below 108 bytes"
fi
CNF=$DIR/my.cnf
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
    # Hide the marker so stop-mariadb.sh keeps DIR (and the logs) until they are shown.
    if [[ -f $DIR/$MARKER ]]; then had_marker=1; rm -f "$DIR/$MARKER"; fi
    "$here/stop-mariadb.sh" "$DIR" >&2 && stopped=1
    rm -f "$DIR/init.sql"   # it holds the passwords
    show_logs "${step_logs[@]}"
    if (( had_marker && stopped )); then
        rm -rf -- "$DIR"
        log "removed $DIR"
    elif (( had_marker )); then
        : >"$DIR/$MARKER"   # so a later stop-mariadb.sh run can still clean up
        log "kept $DIR because not every process stopped"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

chmod 0700 "$DIR"
mkdir -p "$DIR/log" "$DIR/tmp"
# mariadbd refuses to run as root unless told to; as any other user it runs as that user.
as_user=()
(( EUID == 0 )) && as_user=(--user=root)

start_deadline "$MARIADB_START_TIMEOUT" MARIADB_START_TIMEOUT
log "dir $DIR; server on 127.0.0.1:$MARIADB_PORT"

# Every server option lives here; --defaults-file keeps /etc/mysql and ~/.my.cnf out.
cat >"$CNF" <<EOF
# Throwaway test server written by tests/db/start-mariadb.sh; stop with stop-mariadb.sh $DIR
[mariadbd]
datadir = $DIR/data
socket = $SOCKET
port = $MARIADB_PORT
bind-address = 127.0.0.1
skip-name-resolve
pid-file = $DIR/mariadbd.server.pid
log-error = $DIR/log/error.log
tmpdir = $DIR/tmp
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
max-allowed-packet = 64M
# Durability is not wanted here, speed and a small footprint are.
innodb-buffer-pool-size = 64M
innodb-log-file-size = 16M
innodb-flush-log-at-trx-commit = 2
innodb-doublewrite = 0
EOF

sql_string() { # MariaDB string literal (backslash escapes are on by default)
    local s=${1//\\/\\\\}
    printf "'%s'" "${s//\'/\\\'}"
}
# One statement per line: that is what --init-file expects. Mode 0600 (it holds the passwords),
# removed once the server is up.
(
    umask 077
    {
        # mariadb-install-db also makes root@127.0.0.1, root@::1 and root@`uname -n`.
        node=$(uname -n)
        [[ $node =~ ^[A-Za-z0-9._-]+$ ]] && node=", 'root'@'$node'" || node=""
        echo "DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1'$node;"
        for host in "${HOSTS[@]}"; do
            echo "CREATE USER '$ADMIN_USER'@'$host' IDENTIFIED BY $(sql_string "$MARIADB_ADMIN_PASSWORD");"
            echo "GRANT ALL PRIVILEGES ON *.* TO '$ADMIN_USER'@'$host' WITH GRANT OPTION;"
            echo "CREATE USER '$READER_USER'@'$host' IDENTIFIED BY $(sql_string "$MARIADB_READER_PASSWORD");"
        done
        echo "CREATE DATABASE restricted;"
        echo "CREATE TABLE restricted.secret_table (id INT PRIMARY KEY, secret VARCHAR(100) NOT NULL);"
        echo "INSERT INTO restricted.secret_table VALUES (1, 'only $ADMIN_USER may read this');"
    } >"$DIR/init.sql"
)

# Run a step within the deadline, its output to a step log.
run_logged() { # run_logged LOGNAME COMMAND...
    local logname=$1 left; shift
    left=$(seconds_left)
    step_logs=("$DIR/log/$logname.log" "$DIR/log/error.log")
    timeout "$left" "$@" </dev/null >>"$DIR/log/$logname.log" 2>&1 \
        || die "'$*' failed or ran into the ${MARIADB_START_TIMEOUT}s startup deadline"
}

# --- system tables --- (--defaults-file must come first)
run_logged install mariadb-install-db --defaults-file="$CNF" "${as_user[@]}" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve

# --- server --- setsid: a Ctrl-C in the caller's terminal must not reach it; stop-mariadb.sh
# stops it. The PID is recorded before anything else can fail.
(
    close_extra_fds
    exec setsid mariadbd --defaults-file="$CNF" "${as_user[@]}" --init-file="$DIR/init.sql"
) </dev/null >"$DIR/log/mariadbd.out" 2>&1 &
MARIADB_PID=$!
echo "$MARIADB_PID" >"$DIR/mariadbd.pid"
step_logs=("$DIR/log/mariadbd.out" "$DIR/log/error.log")

# Ready when root answers on the socket; the init file has run by then.
root_socket() { # root_socket SQL
    local left
    left=$(seconds_left)
    timeout "$left" mariadb --no-defaults --socket="$SOCKET" -u root --connect-timeout="$left" \
        -N -B -e "$1" </dev/null
}
while :; do
    kill -0 "$MARIADB_PID" 2>/dev/null || {
        grep -q 'Bind on TCP/IP port' "$DIR/log/error.log" 2>/dev/null && check_port_free "$MARIADB_PORT" MARIADB_PORT
        die "mariadbd (PID $MARIADB_PID) exited during startup"
    }
    root_socket 'SELECT 1' >/dev/null 2>"$DIR/log/ready.log" && break
    before_deadline || die "mariadbd not ready within the ${MARIADB_START_TIMEOUT}s startup deadline ($(tail -n1 "$DIR/log/ready.log"))"
    sleep 0.1
done
port_owned_by "$MARIADB_PORT" "$MARIADB_PID" \
    || die "port $MARIADB_PORT is not served by our mariadbd (PID $MARIADB_PID); another process took it"

# The server only logs errors in the init file and carries on; they are fatal here.
if grep -E '^ERROR: ?[0-9]+' "$DIR/log/error.log" >&2; then
    die "the account setup (--init-file) failed; see the errors above"
fi
rm -f "$DIR/init.sql"

# --- the way tests connect: TCP with a password ---
step_logs=("$DIR/log/check.log" "$DIR/log/error.log")
left=$(seconds_left)
MYSQL_PWD=$MARIADB_ADMIN_PASSWORD timeout "$left" mariadb --no-defaults -h 127.0.0.1 -P "$MARIADB_PORT" \
    -u "$ADMIN_USER" --connect-timeout="$left" -N -B -e 'SELECT COUNT(*) FROM restricted.secret_table' \
    </dev/null >>"$DIR/log/check.log" 2>&1 \
    || die "$ADMIN_USER cannot log in over TCP with its password"
log "ready in $(elapsed_ms) ms (PID $MARIADB_PID)"

(
    umask 077
    {
        printf 'export DBACKUP_TEST_MYSQL_HOST=%q\n' 127.0.0.1
        printf 'export DBACKUP_TEST_MYSQL_PORT=%q\n' "$MARIADB_PORT"
        printf 'export DBACKUP_TEST_MYSQL_USER=%q\n' "$ADMIN_USER"
        printf 'export DBACKUP_TEST_MYSQL_PASSWORD=%q\n' "$MARIADB_ADMIN_PASSWORD"
        printf 'export DBACKUP_TEST_MYSQL_READER_USER=%q\n' "$READER_USER"
        printf 'export DBACKUP_TEST_MYSQL_READER_PASSWORD=%q\n' "$MARIADB_READER_PASSWORD"
        printf 'export DBACKUP_TEST_MYSQL_DIR=%q\n' "$DIR"
    } >"$DIR/env"
)
cat "$DIR/env"
