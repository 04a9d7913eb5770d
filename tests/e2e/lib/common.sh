# Shared helpers for the end-to-end tests (sourced, not run): the scripts' preamble, TAP-like
# reporting, starting s3cors on a free port, and an aws CLI isolated from the user's
# configuration. A script starts with
#   set -uo pipefail
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#   e2e_begin "$@"
# which sets bin (the s3cors binary) and tmp (a scratch directory, removed at exit).

passed=0
failed=0
server_pid=""
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {
  failed=$((failed + 1))
  echo "not ok - $1"
  shift
  local line
  for line in "$@"; do echo "#   $line"; done
}
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
  local description=$1
  shift
  if "$@" >"$tmp/check.out" 2>&1; then ok "$description"; else not_ok "$description" "$(tail -c 600 "$tmp/check.out")"; fi
}
# alive PID: running and not yet a zombie.
alive() { [[ -e /proc/$1 ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# e2e_kill_server: SIGKILL to the server this script started, if any, reaped.
e2e_kill_server() {
  if [[ -n $server_pid ]]; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  fi
}
# stop_server: a script may define its own (a graceful stop it checks); the exit trap does not use it.
stop_server() { e2e_kill_server; }

# e2e_begin "$@": the preamble of every e2e script. Exits 2 with a usage line unless $1 is an
# executable s3cors; sets bin to it (absolute: scripts may cd) and makes tmp (e2e_scratch).
e2e_begin() {
  bin=${1:-}
  if [[ -z $bin || ! -x $bin ]]; then
    echo "usage: $0 /path/to/s3cors (got '${bin}')" >&2
    exit 2
  fi
  bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
  e2e_scratch
}

# e2e_scratch: sets tmp to a fresh scratch directory and traps EXIT to e2e_exit; INT and TERM
# exit 130 through it.
e2e_scratch() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/s3cors-e2e-$(basename "$0" .sh).XXXXXX")
  trap e2e_exit EXIT
  trap 'exit 130' INT TERM
}

# e2e_at_exit FUNCTION: e2e_exit calls FUNCTION first, before the server is killed and tmp
# removed (functions in the order added): for what else a script starts (drivers, clients,
# containers), only by the PIDs it recorded.
e2e_exit_hooks=()
e2e_at_exit() { e2e_exit_hooks+=("$1"); }

# shellcheck disable=SC2317  # invoked via trap
e2e_exit() {
  local hook
  for hook in "${e2e_exit_hooks[@]}"; do "$hook"; done
  e2e_kill_server
  rm -rf "$tmp"
}

finish() {
  stop_server
  if [[ $failed -ne 0 && -s $tmp/server.err ]]; then
    echo "# --- server stderr (last 30 lines)"
    tail -n 30 "$tmp/server.err" | sed 's/^/#   /'
  fi
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit
}

# start_server ARGS...: starts "$bin" --listen 127.0.0.1:0 ARGS, sets port and base (10 s).
start_server() {
  "$bin" --listen 127.0.0.1:0 "$@" </dev/null >"$tmp/server.out" 2>"$tmp/server.err" &
  server_pid=$!
  port=""
  local i line
  for ((i = 0; i < 100; i++)); do
    line=$(grep -m1 -E '^s3cors listening on http://127\.0\.0\.1:[0-9]+$' "$tmp/server.out" 2>/dev/null)
    if [[ -n $line ]]; then
      port=${line##*:}
      base="http://127.0.0.1:$port"
      return 0
    fi
    alive "$server_pid" || break
    sleep 0.1
  done
  not_ok "server prints its listening line within 10 s" "stderr: $(tail -c 600 "$tmp/server.err")"
  finish
}

aws_cli() {
  if [[ ! -f $tmp/aws.config ]]; then
    printf '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n' >"$tmp/aws.config"
    : >"$tmp/aws.credentials"
  fi
  env AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
    AWS_CONFIG_FILE="$tmp/aws.config" AWS_SHARED_CREDENTIALS_FILE="$tmp/aws.credentials" \
    AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 AWS_PAGER="" \
    aws --endpoint-url "$base" --cli-connect-timeout 5 --cli-read-timeout 30 "$@"
}
