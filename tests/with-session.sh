#!/usr/bin/env bash
# Runs a command the way a desktop session would have it: a private D-Bus session
# bus and an unlocked GNOME Keyring with a throwaway store, so tests use the real
# Secret Service without touching the user's own keyring.
#
#   tests/with-session.sh [--locked] COMMAND...
#
# --locked leaves the keyring locked (no unlock password given), for tests of the
# "keyring locked" error path.
set -euo pipefail

if [ -z "${DBACKUP_IN_SESSION:-}" ]; then
  export DBACKUP_IN_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi

locked=0
if [ "${1:-}" = "--locked" ]; then locked=1; shift; fi

home=$(mktemp -d -t dbackup-session.XXXXXX)
trap 'rm -rf "$home"' EXIT
export XDG_DATA_HOME="$home/data" XDG_RUNTIME_DIR="$home/run" XDG_CONFIG_HOME="$home/config"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME"
chmod 700 "$XDG_RUNTIME_DIR"

if [ "$locked" = 1 ]; then
  # A daemon with a login keyring that exists but is locked: create it unlocked,
  # then lock it over D-Bus, as a screen lock or a fresh boot without auto-unlock would.
  echo -n dbackup-test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  # Ask the daemon to lock every collection.
  gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
    --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null
else
  echo -n dbackup-test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
fi
export DBACKUP_TEST_KEYRING=1
"$@"
