#!/usr/bin/env bash
# Runs a command against an emulated Linux identity broker, isolated from the host:
#   - a private /dev/shm (bwrap), so MSALRuntime's named semaphores never leak between runs;
#   - a private D-Bus session bus (our own config, nothing touches the system bus);
#   - a throwaway, unlocked gnome-keyring (Secret Service) on that bus;
#   - the broker emulator owning com.microsoft.identity.broker1.
#
# Usage: scripts/with-broker.sh [--users FILE] [--log FILE] [--no-keyring] [--no-emulator]
#                               [--keep-tmp] -- COMMAND [ARGS...]
# (installed from npm: npx entra-auth-with-broker [options] -- COMMAND [ARGS...])
#
# The command sees DBUS_SESSION_BUS_ADDRESS, ENTRA_AUTH_BROKER_EMULATOR_URL (control API,
# empty with --no-emulator) and ENTRA_AUTH_BROKER_EMULATOR_LOG (JSONL request log).
# Only the processes started here are stopped, by PID. Exit status: the command's, or
# 125 when the environment could not be set up.
set -uo pipefail

# Installed from npm, this script is the `entra-auth-with-broker` bin: node_modules/.bin holds a
# symlink to it, so resolve links to find the package.
readonly SELF="$(readlink -f "${BASH_SOURCE[0]}")"
readonly ROOT="$(cd "$(dirname "$SELF")/.." && pwd)"
readonly START_TIMEOUT="${ENTRA_AUTH_BROKER_START_TIMEOUT:-30}"

die() {
  echo "with-broker: $*" >&2
  exit 125
}

usage() {
  sed -n '2,16p' "$SELF" | sed 's/^# \{0,1\}//' >&2
  exit 125
}

users_file="" log_file="" use_keyring=1 use_emulator=1 keep_tmp=0
orig_args=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --users) [[ $# -ge 2 ]] || usage; users_file="$(realpath "$2")" || die "no users file $2"; shift 2 ;;
    --log) [[ $# -ge 2 ]] || usage; log_file="$(realpath -m "$2")"; shift 2 ;;
    --no-keyring) use_keyring=0; shift ;;
    --no-emulator) use_emulator=0; shift ;;
    --keep-tmp) keep_tmp=1; shift ;;
    -h | --help) usage ;;
    --) shift; break ;;
    *) echo "with-broker: unknown option $1" >&2; usage ;;
  esac
done
[[ $# -gt 0 ]] || usage
[[ -z "$users_file" || -r "$users_file" ]] || die "cannot read users file $users_file"

# Step 1: re-execute inside a mount namespace with a private /dev/shm.
if [[ "${ENTRA_AUTH_WITH_BROKER_INNER:-}" != "1" ]]; then
  if ! command -v bwrap >/dev/null 2>&1; then
    echo "with-broker: bubblewrap is missing; install it with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends bubblewrap" >&2
    exit 125
  fi
  # bwrap forks: keep this shell as the parent so a TERM/INT/HUP sent here reaches the inner
  # launcher (whose PID it writes to a file) and the inner launcher can tear down.
  pid_file="$(mktemp "${TMPDIR:-/tmp}/entra-broker-pid.XXXXXX")" || die "mktemp failed"
  ENTRA_AUTH_WITH_BROKER_INNER=1 ENTRA_AUTH_WITH_BROKER_PIDFILE="$pid_file" \
    bwrap --dev-bind / / --tmpfs /dev/shm -- "$SELF" "${orig_args[@]}" <&0 &
  bwrap_pid=$!
  forward() {
    local inner
    inner="$(cat "$pid_file" 2>/dev/null)"
    if [[ -n "$inner" ]]; then kill -TERM "$inner" 2>/dev/null; else kill -TERM "$bwrap_pid" 2>/dev/null; fi
  }
  trap forward TERM INT HUP
  while :; do
    wait "$bwrap_pid"
    status=$?
    kill -0 "$bwrap_pid" 2>/dev/null || break
  done
  rm -f "$pid_file"
  exit "$status"
fi
[[ -n "${ENTRA_AUTH_WITH_BROKER_PIDFILE:-}" ]] && echo "$$" >"$ENTRA_AUTH_WITH_BROKER_PIDFILE"
unset ENTRA_AUTH_WITH_BROKER_PIDFILE
unset ENTRA_AUTH_WITH_BROKER_INNER

for tool in dbus-daemon dbus-send; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "$tool is missing; install it with: sudo apt-get install -y --no-install-recommends dbus dbus-x11"
done
if [[ $use_keyring == 1 ]] && ! command -v gnome-keyring-daemon >/dev/null 2>&1; then
  die "gnome-keyring-daemon is missing; install it with: sudo apt-get install -y --no-install-recommends gnome-keyring (or pass --no-keyring)"
fi
# The emulator: from the sources with Deno in the repository, compiled with Node in the npm
# package (bin/ next to scripts/broker_emulator.js).
emulator_cmd=()
if [[ -f "$ROOT/scripts/broker_emulator.ts" && -x "$ROOT/node_modules/.bin/deno" ]]; then
  emulator_cmd=("$ROOT/node_modules/.bin/deno" run -A --quiet "$ROOT/scripts/broker_emulator.ts")
elif [[ -f "$ROOT/scripts/broker_emulator.js" ]]; then
  node_bin="${ENTRA_AUTH_NODE:-$(command -v node || true)}"
  [[ -n "$node_bin" ]] || die "node is missing: the broker emulator runs on Node 20+ (or set ENTRA_AUTH_NODE)"
  emulator_cmd=("$node_bin" "$ROOT/scripts/broker_emulator.js")
elif [[ $use_emulator == 1 ]]; then
  die "no broker emulator next to $SELF; run npm ci in $ROOT (or pass --no-emulator)"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/entra-broker.XXXXXX")" || die "mktemp failed"
chmod 700 "$tmp"
bus_pid="" keyring_pid="" emulator_pid=""

stop_pid() { # stop_pid PID NAME: TERM, wait up to 3 s, then KILL
  local pid="$1" i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 30; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  echo "with-broker: $2 (pid $pid) did not stop; killing it" >&2
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

cleanup() {
  trap - EXIT
  trap "" INT TERM HUP # a second signal must not cut the teardown short
  stop_pid "$emulator_pid" "broker emulator"
  stop_pid "$keyring_pid" "gnome-keyring-daemon"
  stop_pid "$bus_pid" "dbus-daemon"
  if [[ $keep_tmp == 1 ]]; then
    echo "with-broker: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

show_log() { # show_log FILE: last lines of a daemon's output, for failure messages
  [[ -s "$1" ]] && sed 's/^/  | /' "$1" | tail -n 20 >&2
}

# Step 2: a private session bus, by our own configuration.
mkdir -p "$tmp/home" "$tmp/run" "$tmp/data" "$tmp/config" "$tmp/cache"
chmod 700 "$tmp/run"
cat >"$tmp/session.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$tmp/session.conf" --nofork --nopidfile --nosyslog \
  --print-address=3 3>"$tmp/bus.address" >"$tmp/dbus.out" 2>&1 </dev/null &
bus_pid=$!
for ((i = 0; i < START_TIMEOUT * 10; i++)); do
  [[ -s "$tmp/bus.address" ]] && break
  kill -0 "$bus_pid" 2>/dev/null || { show_log "$tmp/dbus.out"; die "dbus-daemon exited at start"; }
  sleep 0.1
done
[[ -s "$tmp/bus.address" ]] || { show_log "$tmp/dbus.out"; die "dbus-daemon printed no address within ${START_TIMEOUT}s"; }
DBUS_SESSION_BUS_ADDRESS="$(head -n 1 "$tmp/bus.address")"
export DBUS_SESSION_BUS_ADDRESS
unset DBUS_SESSION_BUS_PID DBUS_STARTER_ADDRESS DBUS_STARTER_BUS_TYPE

name_has_owner() {
  dbus-send --session --print-reply=literal --reply-timeout=2000 --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null |
    grep -q true
}

wait_for_name() { # wait_for_name NAME PID LOG WHAT
  local i
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    name_has_owner "$1" && return 0
    kill -0 "$2" 2>/dev/null || { show_log "$3"; die "$4 exited before owning $1"; }
    sleep 0.1
  done
  show_log "$3"
  die "$4 did not own $1 within ${START_TIMEOUT}s"
}

# Step 3: a throwaway unlocked keyring, with its own HOME and XDG directories.
if [[ $use_keyring == 1 ]]; then
  printf '%s' "entra-auth-test-$RANDOM$RANDOM" >"$tmp/keyring.pw"
  HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/run" XDG_DATA_HOME="$tmp/data" \
    XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" \
    gnome-keyring-daemon --foreground --unlock --components=secrets \
    <"$tmp/keyring.pw" >"$tmp/keyring.out" 2>&1 &
  keyring_pid=$!
  wait_for_name org.freedesktop.secrets "$keyring_pid" "$tmp/keyring.out" gnome-keyring-daemon
fi

# Step 4: the broker emulator.
export ENTRA_AUTH_BROKER_EMULATOR_URL=""
export ENTRA_AUTH_BROKER_EMULATOR_LOG="${log_file:-$tmp/broker-requests.jsonl}"
: >"$ENTRA_AUTH_BROKER_EMULATOR_LOG"
if [[ $use_emulator == 1 ]]; then
  emulator_args=(--control-file "$tmp/control-url" --log "$ENTRA_AUTH_BROKER_EMULATOR_LOG")
  [[ -n "$users_file" ]] && emulator_args+=(--users "$users_file")
  (cd "$ROOT" && RUST_BACKTRACE= DENO_NO_UPDATE_CHECK=1 exec "${emulator_cmd[@]}" \
    "${emulator_args[@]}") >"$tmp/emulator.out" 2>&1 </dev/null &
  emulator_pid=$!
  wait_for_name com.microsoft.identity.broker1 "$emulator_pid" "$tmp/emulator.out" "broker emulator"
  for ((i = 0; i < START_TIMEOUT * 10; i++)); do
    [[ -s "$tmp/control-url" ]] && break
    sleep 0.1
  done
  [[ -s "$tmp/control-url" ]] || { show_log "$tmp/emulator.out"; die "no control URL from the emulator"; }
  ENTRA_AUTH_BROKER_EMULATOR_URL="$(head -n 1 "$tmp/control-url")"
fi

# Step 5: the command. It runs as a background job with stdin passed on explicitly, so that
# a TERM/INT/HUP reaching this shell is forwarded to it before the teardown.
cmd_pid=""
on_signal() {
  [[ -n "$cmd_pid" ]] && kill "-$1" "$cmd_pid" 2>/dev/null
  signalled="$2"
}
signalled=""
trap 'on_signal TERM 143' TERM
trap 'on_signal INT 130' INT
trap 'on_signal HUP 129' HUP
"$@" <&0 &
cmd_pid=$!
while :; do
  wait "$cmd_pid"
  status=$?
  kill -0 "$cmd_pid" 2>/dev/null || break
done
exit "${signalled:-$status}"
