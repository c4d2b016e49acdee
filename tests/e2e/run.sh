#!/usr/bin/env bash
# End-to-end tests of the real DBackup desktop app: Xvfb + tauri-driver + WebKitWebDriver,
# driven by selenium-webdriver from node's built-in test runner.
#
#   tests/e2e/run.sh [extra node --test arguments, e.g. --test-name-pattern=empty]
#
# Environment:
#   APP_BIN          the desktop binary (default: target/debug/dbackup-desktop); build it with
#                      npm --prefix ui ci && npm --prefix ui run build
#                      cargo build --features custom-protocol --bin dbackup-desktop
#   CLI_BIN          the `dbackup` CLI used to check what the app stored
#                    (default: target/debug/dbackup, built with `cargo build -p dbackup-cli` if missing)
#   E2E_TIMEOUT      seconds the whole node test run may take (default 600)
#   E2E_KEEP_TMP=1   keep the temporary data/log dirs (their path is printed)
#   E2E_ARTIFACTS    where screenshots and logs go (default: tests/artifacts/e2e)
#   E2E_FILES        the test files (default: tests/e2e/*.test.mjs)
#
# Screenshots (FAILED-*.png for failed tests), junit.xml, the app's logs and the driver and
# X server logs land in tests/artifacts/e2e/ (git-ignored).
# Exit code: the test runner's (124 if E2E_TIMEOUT ran out).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

say() { printf 'e2e: %s\n' "$*" >&2; }
die() { printf 'e2e: error: %s\n' "$*" >&2; exit 1; }

# --- Prerequisites (before entering the session, so failures are quick and plain) ---------

APP_BIN=${APP_BIN:-"$repo/target/debug/dbackup-desktop"}
if [ ! -x "$APP_BIN" ]; then
  die "the app binary $APP_BIN does not exist or is not executable. Build it from $repo with:
    npm --prefix ui ci && npm --prefix ui run build
    cargo build --features custom-protocol --bin dbackup-desktop
(the UI must be built first and custom-protocol enabled, or the app loads the dev server URL), or set APP_BIN"
fi
APP_BIN=$(cd "$(dirname "$APP_BIN")" && pwd)/$(basename "$APP_BIN")

default_cli="$repo/target/debug/dbackup"
CLI_BIN=${CLI_BIN:-$default_cli}
if [ ! -x "$CLI_BIN" ]; then
  if [ "$CLI_BIN" = "$default_cli" ]; then
    say "building the CLI ($CLI_BIN is missing): cargo build -p dbackup-cli"
    (cd "$repo" && cargo build -p dbackup-cli) || die "cargo build -p dbackup-cli failed"
  fi
  [ -x "$CLI_BIN" ] || die "the CLI binary $CLI_BIN does not exist; build it with: cargo build -p dbackup-cli"
fi

for tool in Xvfb WebKitWebDriver node npm curl import ps setsid timeout dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || die "$tool is not installed (Debian packages: xvfb webkit2gtk-driver nodejs npm curl imagemagick procps util-linux coreutils dbus gnome-keyring)"
done

if ! command -v tauri-driver >/dev/null; then
  command -v cargo >/dev/null || die "tauri-driver is missing and cargo is not on PATH to install it"
  say "installing tauri-driver: cargo install tauri-driver --locked"
  cargo install tauri-driver --locked || die "cargo install tauri-driver --locked failed"
  export PATH="$HOME/.cargo/bin:$PATH"
  command -v tauri-driver >/dev/null || die "tauri-driver was installed but is not on PATH (add ~/.cargo/bin)"
fi

if [ ! -f "$here/node_modules/selenium-webdriver/package.json" ]; then
  say "installing the test dependencies: npm ci in tests/e2e"
  npm --prefix "$here" ci --no-audit --no-fund >&2 || die "npm ci in $here failed"
fi

# --- Enter a private D-Bus session with an unlocked throwaway keyring ----------------------
# The app needs a session bus (single-instance, keyring). tests/with-session.sh sets
# DBACKUP_TEST_KEYRING once the keyring is unlocked.
if [ -z "${DBACKUP_TEST_KEYRING:-}" ] || [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  export APP_BIN CLI_BIN
  exec env -u DBACKUP_IN_SESSION "$repo/tests/with-session.sh" "$here/run.sh" "$@"
fi

# --- From here on everything started is cleaned up by the EXIT trap -------------------------

started=$(date +%s)
ARTIFACTS=${E2E_ARTIFACTS:-"$repo/tests/artifacts/e2e"}
mkdir -p "$ARTIFACTS"
ARTIFACTS=$(cd "$ARTIFACTS" && pwd)
# Old screenshots would look like results of this run.
find "$ARTIFACTS" -mindepth 1 -maxdepth 1 \( -name '*.png' -o -name '*.log' -o -name '*.xml' -o -name 'app-logs' \) \
  -exec rm -rf {} +

tmp=$(mktemp -d -t dbackup-e2e.XXXXXX)
xvfb_pid=""
driver_pid=""
dunst_pid=""

# Whether process $1 is still running: `kill -0` alone also succeeds for an exited child that
# has not been waited for yet (a zombie).
running() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

# Sends SIGTERM to $2 (a pid, or -pgid), waits up to 5 s for process $1 to end, then SIGKILL.
stop() {
  local pid=$1 target=$2
  kill -TERM -- "$target" 2>/dev/null
  for _ in $(seq 50); do running "$pid" || break; sleep 0.1; done
  kill -KILL -- "$target" 2>/dev/null
  wait "$pid" 2>/dev/null
}

cleanup() {
  local rc=$?
  set +e
  if [ -n "$driver_pid" ]; then
    # tauri-driver runs in its own process group (setsid) together with WebKitWebDriver and any
    # app it launched: end that group, and only it.
    stop "$driver_pid" "-$driver_pid"
  fi
  if [ -n "$dunst_pid" ]; then
    stop "$dunst_pid" "$dunst_pid"
  fi
  if [ -n "$xvfb_pid" ]; then
    stop "$xvfb_pid" "$xvfb_pid"
  fi
  [ -f "$tmp/tauri-driver.log" ] && cp "$tmp/tauri-driver.log" "$ARTIFACTS/"
  [ -f "$tmp/xvfb.log" ] && cp "$tmp/xvfb.log" "$ARTIFACTS/"
  [ -f "$tmp/dunst.log" ] && cp "$tmp/dunst.log" "$ARTIFACTS/"
  [ -d "$tmp/logs" ] && cp -r "$tmp/logs" "$ARTIFACTS/app-logs"
  if [ "${E2E_KEEP_TMP:-}" = 1 ]; then
    say "kept temporary files in $tmp"
  else
    rm -rf "$tmp"
  fi
  say "finished in $(( $(date +%s) - started )) s with exit code $rc; artifacts in $ARTIFACTS"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits up to $1 seconds for the command "${@:3}" to succeed; $2 describes what is awaited.
# The command returns 2 to give up early (what it waits for has died).
wait_for() {
  local limit=$1 what=$2
  shift 2
  local deadline=$(( $(date +%s) + limit )) rc
  while :; do
    rc=0
    "$@" || rc=$?
    [ "$rc" = 0 ] && return 0
    [ "$rc" = 2 ] && return 2
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "timed out after ${limit} s waiting for $what"
      return 1
    fi
    sleep 0.1
  done
}

# --- X server --------------------------------------------------------------------------------

xvfb_ready() {
  running "$xvfb_pid" || return 2
  [ -S "/tmp/.X11-unix/X$1" ]
}

# The first display number from :90 with neither a socket nor a lock file. Should another X
# server take it at the same moment, ours exits ("server already active"): try the next one.
display=""
for n in $(seq 90 130); do
  { [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; } && continue
  Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
  xvfb_pid=$!
  rc=0
  wait_for 20 "Xvfb :$n to create /tmp/.X11-unix/X$n" xvfb_ready "$n" || rc=$?
  if [ "$rc" = 0 ]; then display=":$n"; break; fi
  if [ "$rc" = 1 ]; then cat "$tmp/xvfb.log" >&2; die "Xvfb :$n started but did not become ready"; fi
  wait "$xvfb_pid" 2>/dev/null || true
  xvfb_pid=""
done
[ -n "$display" ] || { cat "$tmp/xvfb.log" >&2; die "could not start Xvfb on any display from :90 to :130"; }
export DISPLAY=$display
unset WAYLAND_DISPLAY
say "Xvfb running on $DISPLAY (pid $xvfb_pid)"

# --- Notification server: dunst shows the app's notifications, and `dunstctl action` clicks them.
dunst_ready() {
  running "$dunst_pid" || return 2
  dunstctl count displayed >/dev/null 2>&1
}
dunst -config /dev/null >"$tmp/dunst.log" 2>&1 &
dunst_pid=$!
wait_for 20 "dunst to own org.freedesktop.Notifications" dunst_ready \
  || { cat "$tmp/dunst.log" >&2; die "the notification server (dunst) did not start"; }
say "dunst running (pid $dunst_pid)"

# --- App state: fresh per run --------------------------------------------------------------

export DBACKUP_DATA_DIR="$tmp/data" DBACKUP_LOG_DIR="$tmp/logs"
mkdir -p "$DBACKUP_DATA_DIR" "$DBACKUP_LOG_DIR" "$tmp/scratch"
# Folders the tests create (destination targets) go here too, so they are removed with it.
export E2E_TMP="$tmp/scratch"

# --- tauri-driver ------------------------------------------------------------------------------

# Two distinct ports that are free now, below the kernel's ephemeral range (32768+ on Linux) so an
# outgoing connection cannot take them before tauri-driver and WebKitWebDriver bind them.
free_ports() {
  node -e '
    const net = require("node:net");
    const tryPort = (p) => new Promise((ok) => {
      const s = net.createServer();
      s.once("error", () => ok(null));
      s.listen(p, "127.0.0.1", () => s.close(() => ok(p)));
    });
    (async () => {
      const found = [];
      for (let i = 0; i < 200 && found.length < 2; i++) {
        const p = 20000 + Math.floor(Math.random() * 12000);
        if (!found.includes(p) && (await tryPort(p))) found.push(p);
      }
      console.log(found.join(" "));
    })();
  '
}

driver_alive() { running "$driver_pid"; }
driver_ready() {
  driver_alive || return 2
  curl -fs -o /dev/null --max-time 2 "${WEBDRIVER_URL}status"
}

for attempt in 1 2 3; do
  read -r port native_port < <(free_ports) || true
  [ -n "${native_port:-}" ] || die "could not find two free TCP ports"
  setsid tauri-driver --port "$port" --native-port "$native_port" >"$tmp/tauri-driver.log" 2>&1 &
  driver_pid=$!
  export WEBDRIVER_URL="http://127.0.0.1:$port/"
  if wait_for 30 "tauri-driver to answer ${WEBDRIVER_URL}status" driver_ready; then break; fi
  cat "$tmp/tauri-driver.log" >&2
  if driver_alive; then
    die "tauri-driver is running but did not answer ${WEBDRIVER_URL}status within 30 s"
  fi
  wait "$driver_pid" 2>/dev/null || true
  driver_pid=""
  # Most likely the port was taken in the meantime ("can not listen to address"): try others.
  [ "$attempt" = 3 ] && die "tauri-driver exited during startup three times; see the output above"
  say "tauri-driver exited during startup (attempt $attempt); retrying on other ports"
done
say "tauri-driver on port $port (native $native_port, pid $driver_pid)"

# --- Tests ---------------------------------------------------------------------------------------

export APP_BIN CLI_BIN ARTIFACTS
cd "$repo"
say "running the tests against $APP_BIN"
set +e
timeout --kill-after=10 "${E2E_TIMEOUT:-600}" \
  node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=junit --test-reporter-destination="$ARTIFACTS/junit.xml" \
    "$@" ${E2E_FILES:-tests/e2e/*.test.mjs}
rc=$?
set -e
[ "$rc" = 124 ] && say "the test run took longer than E2E_TIMEOUT=${E2E_TIMEOUT:-600} s and was stopped"
exit "$rc"
