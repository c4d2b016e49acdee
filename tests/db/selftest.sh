#!/usr/bin/env bash
# Self-test for start-postgres.sh / stop-postgres.sh and start-mariadb.sh / stop-mariadb.sh:
# start both servers on non-default ports, check the accounts with the real clients (admin can
# create and dump a database, reader is refused on database restricted), check the refusals
# (busy port, non-empty DIR), stop them with client sessions still open, interrupt a start, and
# check that nothing is left running and the directories are gone.
#
# Usage: tests/db/selftest.sh      (prints "N passed, N failed"; exit status 1 on any failure)
#
# Passwords reach the clients through PGPASSWORD / MYSQL_PWD only, never a command line.
#
# Environment (optional): SELFTEST_PG_PORT      (default: first free from 35432)
#                         SELFTEST_MARIADB_PORT (default: first free from 33306)

# Checks written as eval '...' expand their variables when they run, inside check:
# shellcheck disable=SC2016,SC2034
set -uo pipefail   # no -e: a failed check is counted, not fatal

PROG=db-selftest
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

# The developer's own client settings must not change what the clients below do.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^PG[A-Z]' || true)
unset MYSQL_PWD MYSQL_HOST MYSQL_TCP_PORT MYSQL_UNIX_PORT PG_PORT PG_BIN MARIADB_PORT 2>/dev/null

passed=0
failed=0
ok()   { passed=$((passed + 1)); printf 'ok   - %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL - %s\n' "$*"; }
check() { local desc=$1; shift; if "$@"; then ok "$desc"; else fail "$desc"; fi; }
note() { printf '#   %s\n' "$*"; }

port_in_use() { [[ -n $(ss -Hltn "sport = :$1") ]]; }
port_free() { ! port_in_use "$1"; }
# Every listener on PORT is on 127.0.0.1 (and there is one).
listens_on_loopback_only() {
    local addrs
    addrs=$(ss -Hltn "sport = :$1" | awk '{print $4}')
    [[ -n $addrs ]] && ! grep -qv "^127\.0\.0\.1:$1\$" <<<"$addrs"
}
only_export_lines() { ! grep -qv '^export DBACKUP_TEST_[A-Z0-9_]*=' "$1"; }
failed_saying() { [[ $1 -ne 0 ]] && grep -q -- "$2" "$3"; }   # RC REGEX STDERR_FILE
contains() { grep -q -- "$2" <<<"$1"; }                        # TEXT REGEX
pid_gone() { ! still_running "$1"; }
mode_is() { [[ $(stat -c %a "$1") == "$2" ]]; }
owner_is() { [[ $(stat -c %U "$1") == "$2" ]]; }
# No live process has DIR (or a path inside it) in its argv.
nothing_runs_in() {
    local procdir arg
    for procdir in /proc/[0-9]*; do
        while IFS= read -r -d '' arg; do
            if [[ $arg == *"$1"* ]]; then
                still_running "${procdir#/proc/}" && return 1
                break
            fi
        done 2>/dev/null <"$procdir/cmdline"
    done
    return 0
}
# PID shares no pipe or file with this selftest and holds nothing open under WORK: a daemon
# holding its caller's stdout makes `env=$(start-...)` hang.
fds_detached() { # fds_detached PID
    local fd target mine
    mine=$(for fd in "/proc/$$/fd"/*; do readlink "$fd"; done 2>/dev/null | grep '^pipe:' || true)
    for fd in /proc/"$1"/fd/*; do
        target=$(readlink "$fd" 2>/dev/null) || continue
        [[ $target == "$work"/* ]] && return 1
        [[ $target == pipe:* && -n $mine ]] && grep -qxF "$target" <<<"$mine" && return 1
    done
    return 0
}
# No process's argv contains SECRET.
not_on_any_command_line() {
    local procdir arg
    for procdir in /proc/[0-9]*; do
        while IFS= read -r -d '' arg; do
            [[ $arg == *"$1"* ]] && return 1
        done 2>/dev/null <"$procdir/cmdline"
    done
    return 0
}
list_dirs() { compgen -G "$1" | sort || true; }   # list_dirs GLOB
now_s() { echo "$EPOCHREALTIME"; }
secs_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}'; }
# Poll until COMMAND succeeds, at most SECONDS.
wait_for() { # wait_for SECONDS COMMAND...
    local deadline=$(( $(now_us) + $1 * 1000000 )); shift
    until "$@"; do
        (( $(now_us) < deadline )) || return 1
        sleep 0.1
    done
}

PG_PORT=${SELFTEST_PG_PORT:-$(first_free_port 35432)}
MY_PORT=${SELFTEST_MARIADB_PORT:-$(first_free_port 33306)}
(( MY_PORT != PG_PORT )) || MY_PORT=$(first_free_port $((PG_PORT + 1)))
OTHER_PORT=$(first_free_port 36432)
while (( OTHER_PORT == PG_PORT || OTHER_PORT == MY_PORT )); do OTHER_PORT=$(first_free_port $((OTHER_PORT + 1))); done

# Passwords with every character that quoting could get wrong (shell, SQL, printf %q).
PG_ADMIN_PW="pg adm'in \"q\" \\b \$HOME \`id\` ;--"
MY_ADMIN_PW="my adm'in \"q\" \\b \$HOME \`id\` ;--"

work=$(mktemp -d /tmp/dbackup-db-selftest.XXXXXX)
# Chosen here, not by the start scripts, so that cleanup knows them even when this run is
# interrupted during a start. Missing, so that start creates them and stop removes them.
PG_DIR=$(mktemp -d /tmp/dbackup-pg.XXXXXX) && rmdir "$PG_DIR"
MY_DIR=$(mktemp -d /tmp/dbackup-mariadb.XXXXXX) && rmdir "$MY_DIR"
sleepers=()
int_dirs=()   # "STOP_SCRIPT DIR" of the interrupted starts
cleanup() {
    local pid entry script dir
    # A failed or interrupted run must not leave a server behind.
    [[ -n $PG_DIR && -d $PG_DIR ]] && "$here/stop-postgres.sh" "$PG_DIR" >/dev/null 2>&1
    [[ -n $MY_DIR && -d $MY_DIR ]] && "$here/stop-mariadb.sh" "$MY_DIR" >/dev/null 2>&1
    for entry in "${int_dirs[@]}"; do
        read -r script dir <<<"$entry"
        [[ -d $dir ]] && "$here/$script" "$dir" >/dev/null 2>&1
    done
    for pid in "${sleepers[@]}"; do kill "$pid" 2>/dev/null; done
    rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- clients; the password travels in the environment ----
pg() { # pg USER PASSWORD DB SQL   (stdout: rows; stderr: $work/pg.err)
    PGPASSWORD=$2 PGCONNECT_TIMEOUT=10 PGCLIENTENCODING=UTF8 timeout 30 psql -X -q -At -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$PG_PORT" -U "$1" -d "$3" -c "$4" </dev/null 2>"$work/pg.err"
}
pg_admin()  { pg "$DBACKUP_TEST_PG_USER" "$DBACKUP_TEST_PG_PASSWORD" "$@"; }
pg_reader() { pg "$DBACKUP_TEST_PG_READER_USER" "$DBACKUP_TEST_PG_READER_PASSWORD" "$@"; }
pg_dump_as() { # pg_dump_as USER PASSWORD DB   (stdout: dump; stderr: $work/pg.err)
    PGPASSWORD=$2 PGCONNECT_TIMEOUT=10 timeout 60 pg_dump -h 127.0.0.1 -p "$PG_PORT" -U "$1" "$3" \
        </dev/null 2>"$work/pg.err"
}
my() { # my USER PASSWORD SQL   (stdout: rows; stderr: $work/my.err)
    MYSQL_PWD=$2 timeout 30 mariadb --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u "$1" \
        --connect-timeout=10 -N -B -e "$3" </dev/null 2>"$work/my.err"
}
my_admin()  { my "$DBACKUP_TEST_MYSQL_USER" "$DBACKUP_TEST_MYSQL_PASSWORD" "$@"; }
my_reader() { my "$DBACKUP_TEST_MYSQL_READER_USER" "$DBACKUP_TEST_MYSQL_READER_PASSWORD" "$@"; }
my_dump_as() { # my_dump_as USER PASSWORD DB
    MYSQL_PWD=$2 timeout 60 mariadb-dump --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u "$1" "$3" \
        </dev/null 2>"$work/my.err"
}

echo "# ports: PostgreSQL $PG_PORT, MariaDB $MY_PORT, spare $OTHER_PORT"

# ---- start both ----
# Settings come as assignments before the call (never through `env`, whose command line would
# show the passwords).
start_server() { # VAR=value... start_server NAME SCRIPT DIR   -> sets start_rc
    local name=$1 script=$2 dir=$3 t0
    t0=$(now_s)
    "$here/$script" "$dir" >"$work/$name.out" 2>"$work/$name.err"
    start_rc=$?
    if (( start_rc == 0 )); then
        ok "$script exits 0 (cold start $(secs_since "$t0") s)"
    else
        fail "$script exits 0 (got $start_rc)"
        sed 's/^/#   /' "$work/$name.err"
    fi
}
PG_PORT=$PG_PORT PG_ADMIN_PASSWORD=$PG_ADMIN_PW start_server pg start-postgres.sh "$PG_DIR"
pg_started=$(( start_rc == 0 ))
MARIADB_PORT=$MY_PORT MARIADB_ADMIN_PASSWORD=$MY_ADMIN_PW start_server my start-mariadb.sh "$MY_DIR"
my_started=$(( start_rc == 0 ))

# ---- PostgreSQL ----
pg_tests() {
    local var pid bin out rc
    eval "$(cat "$work/pg.out")"
    check "pg: stdout is only export lines" only_export_lines "$work/pg.out"
    for var in HOST PORT USER PASSWORD READER_USER READER_PASSWORD DIR BIN; do
        var=DBACKUP_TEST_PG_$var
        check "pg: $var is set" test -n "${!var:-}"
    done
    check "pg: DIR/env equals stdout and is mode 600" \
        eval 'cmp -s "$PG_DIR/env" "$work/pg.out" && mode_is "$PG_DIR/env" 600'
    check "pg: host 127.0.0.1, port $PG_PORT, users dbackup_admin / dbackup_reader, the DIR given" \
        test "$DBACKUP_TEST_PG_HOST:$DBACKUP_TEST_PG_PORT:$DBACKUP_TEST_PG_USER:$DBACKUP_TEST_PG_READER_USER:$DBACKUP_TEST_PG_DIR" \
            = "127.0.0.1:$PG_PORT:dbackup_admin:dbackup_reader:$PG_DIR"
    check "pg: the admin password with quotes, backslash and \$ survives eval" \
        test "$DBACKUP_TEST_PG_PASSWORD" = "$PG_ADMIN_PW"
    bin=$DBACKUP_TEST_PG_BIN
    check "pg: DBACKUP_TEST_PG_BIN ($bin) holds the server binaries" \
        eval '[[ $bin =~ ^/usr/lib/postgresql/[0-9]+/bin$ && -x $bin/postgres && -x $bin/pg_ctl ]]'
    check "pg: listens on 127.0.0.1:$PG_PORT only" listens_on_loopback_only "$PG_PORT"
    check "pg: Unix socket is inside DIR" test -S "$PG_DIR/.s.PGSQL.$PG_PORT"
    pid=$(head -n1 "$PG_DIR/data/postmaster.pid")
    if (( EUID == 0 )); then
        check "pg: server runs as OS user postgres" test "$(ps -o user= -p "$pid")" = postgres
        check "pg: DIR is owned by postgres, mode 700" eval 'owner_is "$PG_DIR" postgres && mode_is "$PG_DIR" 700'
    fi
    check "pg: server holds none of the caller's pipes or files" fds_detached "$pid"
    check "pg: no password on any command line" \
        eval 'not_on_any_command_line "$DBACKUP_TEST_PG_PASSWORD" && not_on_any_command_line "$DBACKUP_TEST_PG_READER_PASSWORD"'

    # admin
    check "pg: admin logs in over TCP as a superuser" \
        test "$(pg_admin postgres 'SELECT current_user || rolsuper::text FROM pg_roles WHERE rolname = current_user')" = dbackup_admintrue
    check "pg: every host rule of pg_hba.conf is scram-sha-256" \
        test "$(pg_admin postgres "SELECT string_agg(DISTINCT auth_method, ',') FROM pg_hba_file_rules WHERE type = 'host'")" = scram-sha-256
    check "pg: both passwords are stored as SCRAM" \
        test "$(pg_admin postgres "SELECT count(*) FROM pg_authid WHERE rolname LIKE 'dbackup_%' AND rolpassword LIKE 'SCRAM-SHA-256\$%'")" = 2
    check "pg: admin creates a database" pg_admin postgres 'CREATE DATABASE selftest_db'
    check "pg: admin creates and fills a table" \
        pg_admin selftest_db "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'héllo wörld')"
    check "pg: admin reads it back (UTF-8)" test "$(pg_admin selftest_db 'SELECT v FROM t')" = "héllo wörld"
    out=$(pg_dump_as "$DBACKUP_TEST_PG_USER" "$DBACKUP_TEST_PG_PASSWORD" selftest_db)
    rc=$?
    check "pg: pg_dump as admin works and holds the table" eval '(( rc == 0 )) && contains "$out" "CREATE TABLE public.t"'
    check "pg: admin reads restricted.secret_table" test "$(pg_admin restricted 'SELECT count(*) FROM secret_table')" = 1
    check "pg: admin drops the database" pg_admin postgres 'DROP DATABASE selftest_db'
    pg "$DBACKUP_TEST_PG_USER" wrong-password postgres 'SELECT 1' >/dev/null
    check "pg: a wrong password is refused" failed_saying $? 'password authentication failed' "$work/pg.err"

    # reader
    check "pg: reader logs in to restricted" test "$(pg_reader restricted 'SELECT current_user')" = dbackup_reader
    check "pg: reader is no superuser" test "$(pg_reader restricted 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')" = f
    pg_reader restricted 'SELECT * FROM secret_table' >/dev/null
    check "pg: reader is denied secret_table" failed_saying $? 'permission denied for table secret_table' "$work/pg.err"
    pg_dump_as "$DBACKUP_TEST_PG_READER_USER" "$DBACKUP_TEST_PG_READER_PASSWORD" restricted >/dev/null
    check "pg: pg_dump restricted as reader fails with permission denied" \
        failed_saying $? 'permission denied for table secret_table' "$work/pg.err"
    pg_reader postgres 'CREATE DATABASE reader_db' >/dev/null
    check "pg: reader cannot create a database" failed_saying $? 'permission denied to create database' "$work/pg.err"
}

# ---- MariaDB ----
my_tests() {
    local var pid out rc
    eval "$(cat "$work/my.out")"
    check "mariadb: stdout is only export lines" only_export_lines "$work/my.out"
    for var in HOST PORT USER PASSWORD READER_USER READER_PASSWORD DIR; do
        var=DBACKUP_TEST_MYSQL_$var
        check "mariadb: $var is set" test -n "${!var:-}"
    done
    check "mariadb: DIR/env equals stdout and is mode 600" \
        eval 'cmp -s "$MY_DIR/env" "$work/my.out" && mode_is "$MY_DIR/env" 600'
    check "mariadb: host 127.0.0.1, port $MY_PORT, users dbackup_admin / dbackup_reader, the DIR given" \
        test "$DBACKUP_TEST_MYSQL_HOST:$DBACKUP_TEST_MYSQL_PORT:$DBACKUP_TEST_MYSQL_USER:$DBACKUP_TEST_MYSQL_READER_USER:$DBACKUP_TEST_MYSQL_DIR" \
            = "127.0.0.1:$MY_PORT:dbackup_admin:dbackup_reader:$MY_DIR"
    check "mariadb: the admin password with quotes, backslash and \$ survives eval" \
        test "$DBACKUP_TEST_MYSQL_PASSWORD" = "$MY_ADMIN_PW"
    check "mariadb: listens on 127.0.0.1:$MY_PORT only" listens_on_loopback_only "$MY_PORT"
    check "mariadb: DIR is mode 700 and the init file with the passwords is gone" \
        eval 'mode_is "$MY_DIR" 700 && test ! -e "$MY_DIR/init.sql"'
    pid=$(<"$MY_DIR/mariadbd.pid")
    check "mariadb: server holds none of the caller's pipes or files" fds_detached "$pid"
    check "mariadb: no password on any command line" \
        eval 'not_on_any_command_line "$DBACKUP_TEST_MYSQL_PASSWORD" && not_on_any_command_line "$DBACKUP_TEST_MYSQL_READER_PASSWORD"'

    # admin
    check "mariadb: admin logs in over TCP" test "$(my_admin 'SELECT CURRENT_USER()')" = dbackup_admin@127.0.0.1
    check "mariadb: server uses DIR/data and no name resolution" \
        test "$(my_admin 'SELECT CONCAT(@@datadir, " ", @@skip_name_resolve)')" = "$MY_DIR/data/ ON"
    out=$(my_admin 'SHOW GRANTS')
    check "mariadb: admin has ALL PRIVILEGES ON *.* WITH GRANT OPTION" \
        eval 'contains "$out" "GRANT ALL PRIVILEGES ON \*\.\* TO .*WITH GRANT OPTION"'
    check "mariadb: admin and reader exist for %, localhost and 127.0.0.1" \
        test "$(my_admin "SELECT COUNT(*) FROM mysql.user WHERE User IN ('dbackup_admin', 'dbackup_reader') AND Host IN ('%', 'localhost', '127.0.0.1')")" = 6
    check "mariadb: admin logs in through the socket as @localhost" \
        test "$(MYSQL_PWD=$DBACKUP_TEST_MYSQL_PASSWORD timeout 30 mariadb --no-defaults --socket="$MY_DIR/sock" \
            -u dbackup_admin -N -B -e 'SELECT CURRENT_USER()' </dev/null 2>"$work/my.err")" = dbackup_admin@localhost
    check "mariadb: admin creates a database" my_admin 'CREATE DATABASE selftest_db'
    check "mariadb: admin creates and fills a table" \
        my_admin "CREATE TABLE selftest_db.t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO selftest_db.t VALUES (1, 'hello')"
    check "mariadb: admin reads it back" test "$(my_admin 'SELECT v FROM selftest_db.t')" = hello
    out=$(my_dump_as "$DBACKUP_TEST_MYSQL_USER" "$DBACKUP_TEST_MYSQL_PASSWORD" selftest_db)
    rc=$?
    check "mariadb: mariadb-dump as admin works and holds the row" \
        eval '(( rc == 0 )) && contains "$out" "INSERT INTO \`t\` VALUES"'
    check "mariadb: admin reads restricted.secret_table" test "$(my_admin 'SELECT COUNT(*) FROM restricted.secret_table')" = 1
    check "mariadb: admin drops the database" my_admin 'DROP DATABASE selftest_db'
    my "$DBACKUP_TEST_MYSQL_USER" wrong-password 'SELECT 1' >/dev/null
    check "mariadb: a wrong password is refused (1045)" failed_saying $? 'ERROR 1045' "$work/my.err"
    my root '' 'SELECT 1' >/dev/null
    check "mariadb: root cannot log in over TCP" failed_saying $? "ERROR 1045\|ERROR 1130\|not allowed" "$work/my.err"

    # reader
    check "mariadb: reader logs in" test "$(my_reader 'SELECT CURRENT_USER()')" = dbackup_reader@127.0.0.1
    check "mariadb: reader has USAGE only" \
        eval '[[ $(my_reader "SHOW GRANTS") == "GRANT USAGE ON *.* TO \`dbackup_reader\`@\`127.0.0.1\`"* ]] && [[ $(my_reader "SHOW GRANTS" | wc -l) == 1 ]]'
    check "mariadb: reader does not see database restricted" \
        eval '! my_reader "SHOW DATABASES" | grep -qx restricted'
    my_reader 'SELECT * FROM restricted.secret_table' >/dev/null
    check "mariadb: reader is denied secret_table (1142)" failed_saying $? 'ERROR 1142.*secret_table' "$work/my.err"
    my_dump_as "$DBACKUP_TEST_MYSQL_READER_USER" "$DBACKUP_TEST_MYSQL_READER_PASSWORD" restricted >/dev/null
    check "mariadb: mariadb-dump restricted as reader fails (1044)" \
        failed_saying $? "1044.*Access denied for user 'dbackup_reader'.*restricted" "$work/my.err"
}

(( pg_started )) && pg_tests
(( my_started )) && my_tests

# ---- refusals leave the running servers alone ----
if (( pg_started )); then
    list_dirs "/tmp/dbackup-pg.*" >"$work/pg-dirs.before"
    pg_pid=$(head -n1 "$PG_DIR/data/postmaster.pid")
    PG_PORT=$PG_PORT "$here/start-postgres.sh" >"$work/pg2.out" 2>"$work/pg2.err"
    rc=$?
    check "pg: start on the busy port exits non-zero" test "$rc" -ne 0
    check "pg: ... says the port is in use by postgres and names PG_PORT" \
        grep -q "port $PG_PORT on 127.0.0.1 is already in use (by PID $pg_pid / process postgres); set PG_PORT to a free port" "$work/pg2.err"
    check "pg: ... prints nothing on stdout" test ! -s "$work/pg2.out"
    list_dirs "/tmp/dbackup-pg.*" >"$work/pg-dirs.after"
    check "pg: ... leaves no directory behind" cmp -s "$work/pg-dirs.before" "$work/pg-dirs.after"
    PG_PORT=$OTHER_PORT "$here/start-postgres.sh" "$PG_DIR" >/dev/null 2>"$work/pg3.err"
    check "pg: start into the running server's DIR is refused" failed_saying $? "is not empty" "$work/pg3.err"
    if (( my_started )); then
        PG_PORT=$MY_PORT "$here/start-postgres.sh" >/dev/null 2>"$work/pg4.err"
        check "pg: start on MariaDB's port is refused, naming mariadbd" \
            failed_saying $? "port $MY_PORT on 127.0.0.1 is already in use (by PID [0-9]* / process mariadbd)" "$work/pg4.err"
    fi
    check "pg: the running server still answers" test "$(pg_admin postgres 'SELECT 1')" = 1
fi
if (( my_started )); then
    list_dirs "/tmp/dbackup-mariadb.*" >"$work/my-dirs.before"
    my_pid=$(<"$MY_DIR/mariadbd.pid")
    MARIADB_PORT=$MY_PORT "$here/start-mariadb.sh" >"$work/my2.out" 2>"$work/my2.err"
    rc=$?
    check "mariadb: start on the busy port exits non-zero" test "$rc" -ne 0
    check "mariadb: ... says the port is in use by mariadbd and names MARIADB_PORT" \
        grep -q "port $MY_PORT on 127.0.0.1 is already in use (by PID $my_pid / process mariadbd); set MARIADB_PORT to a free port" "$work/my2.err"
    check "mariadb: ... prints nothing on stdout" test ! -s "$work/my2.out"
    list_dirs "/tmp/dbackup-mariadb.*" >"$work/my-dirs.after"
    check "mariadb: ... leaves no directory behind" cmp -s "$work/my-dirs.before" "$work/my-dirs.after"
    MARIADB_PORT=$OTHER_PORT "$here/start-mariadb.sh" "$MY_DIR" >/dev/null 2>"$work/my3.err"
    check "mariadb: start into the running server's DIR is refused" failed_saying $? "is not empty" "$work/my3.err"
    MARIADB_PORT=not-a-port "$here/start-mariadb.sh" >/dev/null 2>"$work/my4.err"
    check "mariadb: a bad MARIADB_PORT is refused" failed_saying $? "MARIADB_PORT must be a number" "$work/my4.err"
    check "mariadb: the running server still answers" test "$(my_admin 'SELECT 1')" = 1
fi

# ---- stop, with a client session still open ----
pg_session_open() { [[ $(pg_admin postgres "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(120)%'") -ge 1 ]]; }
my_session_open() { [[ $(my_admin "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(120)%'") -ge 1 ]]; }
pg_session() {
    PGPASSWORD=$DBACKUP_TEST_PG_PASSWORD PGCONNECT_TIMEOUT=10 timeout 60 psql -X -q -h 127.0.0.1 -p "$PG_PORT" \
        -U "$DBACKUP_TEST_PG_USER" -d postgres -c 'SELECT pg_sleep(120)' </dev/null
}
my_session() {
    MYSQL_PWD=$DBACKUP_TEST_MYSQL_PASSWORD timeout 60 mariadb --no-defaults -h 127.0.0.1 -P "$MY_PORT" \
        -u "$DBACKUP_TEST_MYSQL_USER" -e 'SELECT SLEEP(120)' </dev/null
}
stop_tests() { # stop_tests NAME STOP_SCRIPT DIR PORT PID SESSION_CHECK SESSION_CMD...
    local name=$1 script=$2 dir=$3 port=$4 pid=$5 session_open=$6 kids t0 sleeper kid rc; shift 6
    kids=$(children_of "$pid" | cut -d' ' -f1)
    "$@" >/dev/null 2>&1 &
    sleeper=$!
    sleepers+=("$sleeper")
    check "$name: a client session is open before stop" wait_for 15 "$session_open"
    t0=$(now_s)
    "$here/$script" "$dir" 2>"$work/$name-stop.err"
    rc=$?
    check "$name: $script exits 0 ($(secs_since "$t0") s, with the session open)" test "$rc" -eq 0
    check "$name: server PID $pid is gone" pid_gone "$pid"
    for kid in $kids; do check "$name: server child PID $kid is gone" pid_gone "$kid"; done
    check "$name: no process names $dir" nothing_runs_in "$dir"
    check "$name: DIR created by start is removed" test ! -e "$dir"
    check "$name: port $port is free again" port_free "$port"
    check "$name: the open session ended" wait_for 15 pid_gone "$sleeper"
    "$here/$script" "$dir" 2>/dev/null
    check "$name: a second $script exits 0" test $? -eq 0
}
if (( pg_started )); then
    stop_tests pg stop-postgres.sh "$PG_DIR" "$PG_PORT" "$(head -n1 "$PG_DIR/data/postmaster.pid")" pg_session_open \
        pg_session
fi
if (( my_started )); then
    stop_tests mariadb stop-mariadb.sh "$MY_DIR" "$MY_PORT" "$(<"$MY_DIR/mariadbd.pid")" my_session_open \
        my_session
fi

# ---- a start interrupted half-way stops what it started and removes its DIR ----
interrupt_test() { # interrupt_test NAME START_SCRIPT PORT_VAR PORT STARTED_FILE
    local name=$1 script=$2 port_var=$3 port=$4 started_file=$5 dir spid rc t0
    dir=$(mktemp -d /tmp/dbackup-db-int.XXXXXX) && rmdir "$dir"
    int_dirs+=("${script/start-/stop-} $dir")
    env "$port_var=$port" "$here/$script" "$dir" >"$work/$name-int.out" 2>"$work/$name-int.err" &
    spid=$!
    if wait_for 30 test -e "$dir/$started_file"; then
        kill -TERM "$spid" 2>/dev/null
    fi
    t0=$(now_s)
    wait_for 60 pid_gone "$spid"
    wait "$spid"
    rc=$?
    if (( rc == 0 )); then
        note "$name: the start finished before it could be interrupted; stopping it"
        "$here/${script/start-/stop-}" "$dir" 2>/dev/null
    else
        check "$name: start interrupted after its server was launched exits 143 ($(secs_since "$t0") s)" test "$rc" -eq 143
        check "$name: ... within 15 s" awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {exit !(b - a < 15)}'
        check "$name: ... and says it stops what was started" grep -q "failed; stopping what was started" "$work/$name-int.err" \
            || sed 's/^/#   /' "$work/$name-int.err"
    fi
    check "$name: ... leaves no process naming its DIR" nothing_runs_in "$dir"
    check "$name: ... removes the DIR it created" test ! -e "$dir"
    check "$name: ... frees port $port" wait_for 10 port_free "$port"
}
interrupt_test pg start-postgres.sh PG_PORT "$PG_PORT" data/postmaster.pid
interrupt_test mariadb start-mariadb.sh MARIADB_PORT "$MY_PORT" mariadbd.pid

echo "$passed passed, $failed failed"
(( failed == 0 ))
