# shellcheck shell=bash disable=SC2154,SC2034  # tmp, deadline, page_origin: shared with the sourcing script
# Shared helpers for the headless-Chromium e2e tests (sourced after lib/common.sh, not run):
#   browser_begin [TOOL...]   the preamble after e2e_begin: exits 2 unless node, npm, curl, python3,
#                             timeout, sha256sum and each TOOL are on PATH and the example stream
#                             is made; sets repo_root and media_src, copies the example bucket to
#                             $tmp/root/media, then browser_install and browser_page_server over
#                             tests/e2e/browser (finish when either fails)
#   browser_page_serves FILE...
#                             not ok and finish unless the page server answers 200 for each FILE
#   browser_install DIR       Debian's chromium unless present (CHROMIUM_PATH overrides the path),
#                             and DIR's npm packages (npm ci --ignore-scripts) when node_modules is
#                             missing or older than package.json/package-lock.json; sets chromium
#   browser_page_server DIR   a static server over DIR on a free port; sets page_origin
#   browser_run LABEL SCRIPT ARGS...
#                             node DIR/SCRIPT --label LABEL --chromium $chromium ARGS, bounded by
#                             what is left of $deadline (SECONDS) and at most $browser_run_most
#                             seconds (90 unless the script sets it), its ok/not ok lines counted;
#                             status 1 when the budget left was too short to run it
# The page server and the driver are stopped at exit by their PIDs (e2e_at_exit).

browser_dir=""
browser_run_most=90
browser_page_pid=""
browser_driver_pid=""
# shellcheck disable=SC2317  # invoked via trap
browser_stop() {
  if [[ -n $browser_driver_pid ]]; then
    # timeout(1) leads its own process group (node + Chromium): TERM, then KILL that group.
    kill -TERM "$browser_driver_pid" 2>/dev/null
    sleep 0.5
    kill -KILL -- "-$browser_driver_pid" 2>/dev/null
    wait "$browser_driver_pid" 2>/dev/null
  fi
  if [[ -n $browser_page_pid ]]; then
    kill -KILL "$browser_page_pid" 2>/dev/null
    wait "$browser_page_pid" 2>/dev/null
  fi
}
e2e_at_exit browser_stop

# shellcheck disable=SC2120  # the TOOLs are optional
browser_begin() {
  local tool
  for tool in node npm curl python3 timeout sha256sum "$@"; do
    command -v "$tool" >/dev/null || { echo "$tool not found in PATH" >&2; exit 2; }
  done
  repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
  media_src="$repo_root/config/example-root/media"
  [[ -f $media_src/hls/master.m3u8 ]] || { echo "missing $media_src (run scripts/make-example-media.sh)" >&2; exit 2; }
  mkdir -p "$tmp/root"
  cp -R "$media_src" "$tmp/root/media"
  browser_install "$repo_root/tests/e2e/browser" || finish
  browser_page_server "$browser_dir" || finish
}

browser_page_serves() {
  local f code
  for f in "$@"; do
    code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$page_origin/$f")
    [[ $code == 200 ]] || { not_ok "page server at $page_origin serves $f" "status $code"; finish; }
  done
}

browser_install() {
  browser_dir=$1
  chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
  if [[ ! -x $chromium ]]; then
    if [[ -n ${CHROMIUM_PATH:-} ]]; then
      not_ok "browser at CHROMIUM_PATH=$chromium is executable"
      return 1
    fi
    echo "# $chromium missing: installing Debian's chromium package (apt-get)"
    local sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo -n)
    if ! { "${sudo_cmd[@]}" apt-get update -qq >"$tmp/apt.log" 2>&1 &&
      "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >>"$tmp/apt.log" 2>&1 &&
      [[ -x $chromium ]]; }; then
      not_ok "install chromium with apt-get" "$(tail -n 15 "$tmp/apt.log")"
      return 1
    fi
  fi
  echo "# browser: $chromium ($("$chromium" --version 2>/dev/null | head -n 1))"
  local stamp_file="$browser_dir/node_modules/.s3cors-e2e-stamp" want_stamp pkg missing=0
  want_stamp=$(cat "$browser_dir/package.json" "$browser_dir/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
  for pkg in $(node -e 'console.log(Object.keys(require(process.argv[1]).dependencies).join(" "))' \
    "$browser_dir/package.json"); do
    [[ -f $browser_dir/node_modules/$pkg/package.json ]] || missing=1
  done
  if [[ $missing -eq 1 || $(cat "$stamp_file" 2>/dev/null) != "$want_stamp" ]]; then
    echo "# installing npm packages in ${browser_dir#"$PWD"/}"
    # --ignore-scripts: nothing here needs install scripts, and nothing may download a browser.
    if (cd "$browser_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 \
      npm ci --no-audit --no-fund --ignore-scripts >"$tmp/npm.log" 2>&1); then
      echo "$want_stamp" >"$stamp_file"
    else
      not_ok "npm ci in $browser_dir" "$(tail -n 15 "$tmp/npm.log")"
      return 1
    fi
  fi
}

browser_page_server() {
  python3 -u -m http.server --bind 127.0.0.1 --directory "$1" 0 \
    </dev/null >"$tmp/page.out" 2>"$tmp/page.err" &
  browser_page_pid=$!
  local i port=""
  for ((i = 0; i < 100; i++)); do
    port=$(grep -m1 -oE 'port [0-9]+' "$tmp/page.out" 2>/dev/null | cut -d' ' -f2)
    [[ -n $port ]] && break
    alive "$browser_page_pid" || break
    sleep 0.1
  done
  if [[ -z $port ]]; then
    not_ok "static page server starts within 10 s" "stderr: $(tail -c 600 "$tmp/page.err")"
    return 1
  fi
  page_origin="http://127.0.0.1:$port"
}

browser_run() {
  local label=$1 script=$2 budget rc n_ok n_fail out="$tmp/driver.out" err="$tmp/driver.err"
  shift 2
  budget=$((deadline - SECONDS))
  ((budget > browser_run_most)) && budget=$browser_run_most
  if ((budget < 15)); then
    not_ok "$label: browser run skipped: the script's time budget is used up"
    return 1
  fi
  (cd "$browser_dir" && exec timeout -k 5 "$budget" node "$script" --label "$label" --chromium "$chromium" "$@") \
    >"$out" 2>"$err" &
  browser_driver_pid=$!
  wait "$browser_driver_pid"
  rc=$?
  browser_driver_pid=""
  cat "$out"
  n_ok=$(grep -c '^ok - ' "$out")
  n_fail=$(grep -c '^not ok - ' "$out")
  passed=$((passed + n_ok))
  failed=$((failed + n_fail))
  if [[ $rc -ne 0 && $n_fail -eq 0 ]]; then
    not_ok "$label: browser driver exits cleanly" "exit status $rc$([[ $rc == 124 ]] && echo ' (timed out)')" \
      "stderr: $(tail -c 800 "$err")"
  elif [[ -s $err ]]; then
    sed 's/^/# driver stderr: /' "$err" | head -n 10
  fi
  return 0
}
