#!/usr/bin/env bash
# End-to-end test of the S3 API with the AWS SDK for JavaScript v3 (@aws-sdk/client-s3 and
# @aws-sdk/lib-storage, pinned in tests/e2e/js_sdk/package.json) against s3cors.
#
# Usage: bash tests/e2e/js_sdk_test.sh /path/to/s3cors
#
# tests/e2e/js_sdk/sdk_test.mjs runs the checks with the SDK's default settings (path-style
# addressing, region us-east-1, any credentials, the default request checksums): CreateBucket;
# PutObject of a string, GetObject of it (body and ETag = MD5), ListObjectsV2, HeadObject;
# a 12 MiB multipart upload through lib-storage's Upload in 5 MiB parts (ETag "...-3",
# GetObject size and bytes); folder keys ("photos/", "a/b" beside "a/b/c": PutObject,
# ListObjectsV2 with and without Delimiter, GetObject, DeleteObjects); DeleteObjects of both
# keys; DeleteBucket.
#
# Installs the npm packages of tests/e2e/js_sdk (npm ci --ignore-scripts) only when
# node_modules is missing or package.json/package-lock.json changed since the last install.
#
# Exit status 0 when every check passed. Each check prints "ok - ..." or "not ok - ...",
# and a "N passed, M failed" summary is printed at the end.
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"
for tool in node npm timeout sha256sum; do
  command -v "$tool" >/dev/null || { echo "$tool not found in PATH" >&2; exit 2; }
done
sdk_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/js_sdk" && pwd)
driver_pid=""
# Only the processes this script started, by PID: the node driver (timeout(1) leads its own
# process group, so TERM it, then KILL that group) and the server.
# shellcheck disable=SC2317  # invoked via trap
stop_driver() {
  if [[ -n $driver_pid ]]; then
    kill -TERM "$driver_pid" 2>/dev/null
    sleep 0.2
    kill -KILL -- "-$driver_pid" 2>/dev/null
    wait "$driver_pid" 2>/dev/null
    driver_pid=""
  fi
}
e2e_at_exit stop_driver

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
if [[ ! $node_major =~ ^[0-9]+$ ]] || ((node_major < 20)); then
  not_ok "node >= 20 (the SDK's engines requirement)" "node --version: $(node --version 2>&1)"
  finish
fi

# Install: npm packages when node_modules is missing or stale.
stamp_file="$sdk_dir/node_modules/.s3cors-e2e-stamp"
want_stamp=$(cat "$sdk_dir/package.json" "$sdk_dir/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
if [[ ! -f $sdk_dir/node_modules/@aws-sdk/client-s3/package.json ||
  ! -f $sdk_dir/node_modules/@aws-sdk/lib-storage/package.json ||
  $(cat "$stamp_file" 2>/dev/null) != "$want_stamp" ]]; then
  echo "# installing npm packages in tests/e2e/js_sdk"
  t0=$SECONDS
  if [[ -f $sdk_dir/package-lock.json ]]; then
    npm_cmd=(npm ci)
  else
    npm_cmd=(npm install)
  fi
  if (cd "$sdk_dir" && timeout 300 "${npm_cmd[@]}" --no-audit --no-fund --ignore-scripts >"$tmp/npm.log" 2>&1); then
    echo "$want_stamp" >"$stamp_file"
    echo "# npm packages installed in $((SECONDS - t0)) s"
  else
    not_ok "${npm_cmd[*]} in tests/e2e/js_sdk" "$(tail -n 15 "$tmp/npm.log")"
    finish
  fi
fi
# shellcheck disable=SC2016  # JavaScript template literal, not a shell expansion
versions=$(cd "$sdk_dir" && node -p 'const v = (p) => require(p + "/package.json").version;
  `@aws-sdk/client-s3 ${v("@aws-sdk/client-s3")}, @aws-sdk/lib-storage ${v("@aws-sdk/lib-storage")}`' 2>/dev/null)
echo "# node $(node --version), ${versions:-SDK versions unknown}"

mkdir -p "$tmp/root"
start_server --root "$tmp/root" --log-level warn

# The driver bounds each request (5 s connect, 30 s per request, no retries) and itself
# (80 s); timeout(1) is the backstop, so the run stays under 2 minutes.
(cd "$sdk_dir" && exec timeout -k 5 90 node sdk_test.mjs --endpoint "$base" --deadline-ms 80000) \
  >"$tmp/driver.out" 2>"$tmp/driver.err" &
driver_pid=$!
wait "$driver_pid"
rc=$?
driver_pid=""
grep -v '^# sdk_test.mjs: ' "$tmp/driver.out"
n_ok=$(grep -c '^ok - ' "$tmp/driver.out")
n_fail=$(grep -c '^not ok - ' "$tmp/driver.out")
passed=$((passed + n_ok))
failed=$((failed + n_fail))
if [[ $rc -ne 0 && $n_fail -eq 0 ]] || ((n_ok + n_fail == 0)); then
  not_ok "the SDK driver runs to completion" "exit status $rc$([[ $rc == 124 ]] && echo ' (timed out)')" \
    "stderr: $(tail -c 800 "$tmp/driver.err")"
elif [[ $rc -ne 0 && -s $tmp/driver.err ]]; then
  # The SDK's NodeVersionSupportWarning is expected noise on node 20; show anything else.
  grep -v -e NodeVersionSupportWarning -e 'versions published after' -e 'will require node' \
    -e 'To continue receiving' -e 'and security updates' -e 'More information can be found' \
    -e 'trace-warnings' -e '^$' "$tmp/driver.err" | head -n 10 | sed 's/^/# driver stderr: /'
fi

finish
