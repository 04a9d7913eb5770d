#!/usr/bin/env bash
# End-to-end browser test: a page in headless Chromium uploads to s3cors cross-origin,
# with presigned URLs and a presigned POST policy signed by the server's key, exactly when
# the bucket's CORS rules allow it.
#
# Usage: bash tests/e2e/browser_upload_test.sh /path/to/s3cors
#
# s3cors runs with credentials (every signature is verified) and three buckets; a static
# server on another 127.0.0.1 port serves the page (tests/e2e/browser_upload/upload.html) and
# the random files it uploads, so every request to s3cors is cross-origin. boto3
# (tests/e2e/browser_upload/s3tool.py) plays the web app's backend: it creates the multipart
# uploads and presigns the URLs and POST policies the page uses, then reads back what was
# stored. The driver (tests/e2e/browser_upload/upload_cors.mjs, playwright-core from
# tests/e2e/browser/node_modules) gives each phase a fresh browser context (no preflight
# cache carried over). Phases:
#   allowed-v2      as allowed without the multipart upload, presigned with Signature
#                   Version 2 (AWSAccessKeyId/Signature/Expires URLs, HMAC-SHA1 POST policy)
#   allowed         "uploads" allows the page origin (PUT, POST, ExposeHeaders ETag): a
#                   presigned PUT (the page reads the ETag = MD5), a multipart upload part
#                   by part with presigned UploadPart URLs and a presigned Complete (ETag
#                   "...-2"), a POST form via fetch and via XMLHttpRequest with upload
#                   progress; all stored with the page's bytes. The page also reads S3's
#                   error documents: 403 SignatureDoesNotMatch (altered presigned URL), 400
#                   EntityTooLarge (form beyond the policy's content-length-range)
#   blocked-method  bucket "readonly" allows the page origin for GET/HEAD only: every upload
#                   fails in the page and Chromium reports it blocked by CORS; the
#                   preflighted ones never reach the object (s3cors refuses the preflight,
#                   and logs why); the fetch form POST is a simple request (no preflight),
#                   so, as with S3, it is stored although the page cannot read the answer
#   no-expose       bucket "noexpose" allows PUT but exposes no headers: the PUT succeeds
#                   and the page cannot read the ETag (why browser multipart needs it)
#   blocked-origin  "uploads" again, after rewriting its CORS file to allow only another
#                   origin (the reload is awaited with a bounded poll): as blocked-method
#
# Installs what it needs, idempotently, as browser_hls_test.sh does (and sharing its
# install): Debian's chromium when missing (override with CHROMIUM_PATH) and the npm
# packages of tests/e2e/browser (npm ci, only when node_modules is missing or stale).
# Prints "SKIP: ..." and exits 0 when Chromium cannot be installed or launched; otherwise
# exit status 0 when every check passed. Each check prints "ok - ..." or "not ok - ...",
# and a "N passed, M failed" summary is printed at the end.
set -uo pipefail

# ok, not_ok, alive and the counters come from the shared helpers.
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"
for tool in node npm curl python3 timeout sha256sum; do
  command -v "$tool" >/dev/null || { echo "$tool not found in PATH" >&2; exit 2; }
done
python3 -c 'import boto3' 2>/dev/null || { echo "python3 boto3 not found (scripts/install-deps.sh --test)" >&2; exit 2; }

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
browser_dir="$repo_root/tests/e2e/browser"   # holds the shared playwright-core install
upload_dir="$repo_root/tests/e2e/browser_upload"

page_pid=""
driver_pid=""
# Only the processes this script started, by PID (e2e_exit then kills the server).
# shellcheck disable=SC2317  # invoked via trap
stop_driver_and_page() {
  if [[ -n $driver_pid ]]; then
    # timeout(1) leads its own process group (node + Chromium): TERM, then KILL that group.
    kill -TERM "$driver_pid" 2>/dev/null
    sleep 0.5
    kill -KILL -- "-$driver_pid" 2>/dev/null
    wait "$driver_pid" 2>/dev/null
  fi
  if [[ -n $page_pid ]]; then
    kill -KILL "$page_pid" 2>/dev/null
    wait "$page_pid" 2>/dev/null
  fi
}
e2e_at_exit stop_driver_and_page

finish() {
  if [[ $failed -ne 0 && -s $tmp/server.err ]]; then
    echo "# --- s3cors stderr (last 25 lines)"
    tail -n 25 "$tmp/server.err" | cut -c1-400 | sed 's/^/#   /'
  fi
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit
}
skip() {
  echo "SKIP: $1"
  [[ -n ${2:-} ]] && printf '%s\n' "$2" | tail -n 10 | sed 's/^/#   /'
  exit 0
}

# ---------------------------------------------------------------------------
# Install: Chromium (Debian package) unless present; SKIP when that is impossible.
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  if [[ -n ${CHROMIUM_PATH:-} ]]; then
    not_ok "browser at CHROMIUM_PATH=$chromium is executable"
    finish
  fi
  echo "# $chromium missing: installing Debian's chromium package (apt-get)"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo -n)
  t0=$SECONDS
  if "${sudo_cmd[@]}" apt-get update -qq >"$tmp/apt.log" 2>&1 &&
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >>"$tmp/apt.log" 2>&1 &&
    [[ -x $chromium ]]; then
    echo "# chromium installed in $((SECONDS - t0)) s"
  else
    skip "chromium is not installed and apt-get could not install it" "$(cat "$tmp/apt.log")"
  fi
fi
chromium_version=$(timeout 20 "$chromium" --version 2>"$tmp/chromium.err" | head -n 1)
[[ -n $chromium_version ]] || skip "$chromium --version fails" "$(cat "$tmp/chromium.err")"
echo "# browser: $chromium ($chromium_version)"

# Install: npm packages of tests/e2e/browser (playwright-core, hls.js; shared with
# browser_hls_test.sh, same stamp) when node_modules is missing or stale. npm ci installs
# exactly the lockfile's versions (integrity-checked) from the configured npm registry;
# --ignore-scripts and PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: nothing downloads a browser.
stamp_file="$browser_dir/node_modules/.s3cors-e2e-stamp"
want_stamp=$(cat "$browser_dir/package.json" "$browser_dir/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
if [[ ! -f $browser_dir/node_modules/playwright-core/package.json ||
  ! -f $browser_dir/node_modules/hls.js/dist/hls.min.js ||
  $(cat "$stamp_file" 2>/dev/null) != "$want_stamp" ]]; then
  echo "# installing npm packages in tests/e2e/browser"
  t0=$SECONDS
  if [[ -f $browser_dir/package-lock.json ]]; then
    npm_cmd=(npm ci)
  else
    npm_cmd=(npm install)
  fi
  if (cd "$browser_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 \
    "${npm_cmd[@]}" --no-audit --no-fund --ignore-scripts >"$tmp/npm.log" 2>&1); then
    echo "$want_stamp" >"$stamp_file"
    echo "# npm packages installed in $((SECONDS - t0)) s"
  else
    not_ok "${npm_cmd[*]} in tests/e2e/browser" "$(tail -n 15 "$tmp/npm.log")"
    finish
  fi
fi

# Whole run (after installs) stays well under 2 minutes even when everything times out.
deadline=$((SECONDS + 100))

# ---------------------------------------------------------------------------
# s3cors: credentials (signatures verified) and three buckets with their CORS rules.
# The page origin is only known once the page server runs, so start that first.
mkdir -p "$tmp/site" "$tmp/root/uploads" "$tmp/root/readonly" "$tmp/root/noexpose"
cp "$upload_dir/upload.html" "$tmp/site/"
python3 -u -m http.server --bind 127.0.0.1 --directory "$tmp/site" 0 \
  </dev/null >"$tmp/page.out" 2>"$tmp/page.err" &
page_pid=$!
page_port=""
for ((i = 0; i < 100; i++)); do
  page_port=$(grep -m1 -oE 'port [0-9]+' "$tmp/page.out" 2>/dev/null | cut -d' ' -f2)
  [[ -n $page_port ]] && break
  alive "$page_pid" || break
  sleep 0.1
done
if [[ -z $page_port ]]; then
  not_ok "static page server starts within 10 s" "stderr: $(tail -c 600 "$tmp/page.err")"
  finish
fi
page_origin="http://127.0.0.1:$page_port"
page_url="$page_origin/upload.html"

key_id="S3CORSBROWSERTEST"
secret=$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
rules_allow_page=$(printf '[{"AllowedOrigins":["%s"],"AllowedMethods":["GET","HEAD","PUT","POST"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]' "$page_origin")
rules_allow_other='[{"AllowedOrigins":["https://elsewhere.example"],"AllowedMethods":["GET","HEAD","PUT","POST"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]'
rules_read_only=$(printf '[{"AllowedOrigins":["%s"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":3000}]' "$page_origin")
rules_no_expose=$(printf '[{"AllowedOrigins":["%s"],"AllowedMethods":["GET","HEAD","PUT","POST"],"AllowedHeaders":["*"],"MaxAgeSeconds":3000}]' "$page_origin")
printf '%s\n' "$rules_allow_page" >"$tmp/cors-uploads.json"
cat >"$tmp/config.json" <<EOF
{
  "root": "root",
  "log_level": "info",
  "credentials": [{"access_key_id": "$key_id", "secret_access_key": "$secret"}],
  "buckets": {
    "uploads": {"cors": "cors-uploads.json"},
    "readonly": {"cors": $rules_read_only},
    "noexpose": {"cors": $rules_no_expose}
  }
}
EOF
start_server --config "$tmp/config.json" # sets port, base; not_ok + finish on failure
ok "s3cors starts with credentials and the buckets' CORS rules ($base); the page origin is $page_origin"
export S3CORS_ENDPOINT=$base S3CORS_TEST_KEY_ID=$key_id S3CORS_TEST_SECRET=$secret

# Signatures are verified: an unsigned PUT (here) and a tampered presigned URL (below) are refused.
code=$(curl -s --max-time 10 -o "$tmp/unsigned.xml" -w '%{http_code}' -X PUT --data-binary x "$base/uploads/unsigned.bin")
if [[ $code == 403 ]] && grep -q '<Code>AccessDenied</Code>' "$tmp/unsigned.xml"; then
  ok "an unsigned PUT is refused (403 AccessDenied): credentials are in force"
else
  not_ok "an unsigned PUT is refused (403 AccessDenied): credentials are in force" \
    "status $code: $(head -c 300 "$tmp/unsigned.xml")"
fi

# ---------------------------------------------------------------------------
# preflight URL METHOD -> "STATUS ACAO" of the preflight a browser sends before METHOD.
preflight() {
  curl -s --max-time 10 -o /dev/null -D - -X OPTIONS -H "Origin: $page_origin" \
    -H "Access-Control-Request-Method: $2" -H 'Access-Control-Request-Headers: content-type' "$1" |
    tr -d '\r' | awk 'NR==1 {s=$2} tolower($1)=="access-control-allow-origin:" {a=$2} END {print s, (a==""?"-":a)}'
}
# check_preflight NAME URL METHOD allowed|refused: the server's side, independent of the browser.
check_preflight() {
  local got
  got=$(preflight "$2" "$3")
  if [[ $4 == refused ]]; then
    if [[ $got == "403 -" ]]; then
      ok "$1: s3cors refuses the $3 preflight from $page_origin (403, no Access-Control-Allow-Origin)"
    else
      not_ok "$1: s3cors refuses the $3 preflight from $page_origin (403, no Access-Control-Allow-Origin)" "got: $got"
    fi
  elif [[ $got == "200 $page_origin" ]]; then
    ok "$1: s3cors allows the $3 preflight from $page_origin (200, Access-Control-Allow-Origin: $page_origin)"
  else
    not_ok "$1: s3cors allows the $3 preflight from $page_origin (200, Access-Control-Allow-Origin: $page_origin)" "got: $got"
  fi
}
plan_url() { # plan_url PHASE STEP -> the step's URL in the phase's plan
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["url"])' "$tmp/plans/$1.json" "$2"
}

# browser RUN...: one Chromium, one context per "EXPECT=PLAN" run; counts its ok/not ok lines.
first_browser=yes
browser() {
  local budget=$((deadline - SECONDS)) out="$tmp/driver.$SECONDS"
  ((budget > 60)) && budget=60
  if ((budget < 15)); then
    not_ok "browser run skipped: the script's time budget is used up ($*)"
    return
  fi
  local args=() run
  for run in "$@"; do args+=(--run "$run"); done
  (cd "$upload_dir" && exec timeout -k 5 "$budget" node upload_cors.mjs --chromium "$chromium" \
    --modules-from "$browser_dir" --page "$page_url" --timeout-ms $(((budget - 5) * 1000 / $#)) \
    "${args[@]}") >"$out.out" 2>"$out.err" &
  driver_pid=$!
  wait "$driver_pid"
  local rc=$?
  driver_pid=""
  if [[ $rc -eq 3 && $first_browser == yes ]]; then
    skip "Chromium ($chromium) cannot be launched by playwright-core" "$(cat "$out.out" "$out.err")"
  fi
  first_browser=no
  cat "$out.out"
  local n_ok n_fail
  n_ok=$(grep -c '^ok - ' "$out.out")
  n_fail=$(grep -c '^not ok - ' "$out.out")
  passed=$((passed + n_ok))
  failed=$((failed + n_fail))
  if [[ $rc -ne 0 && $n_fail -eq 0 ]]; then
    not_ok "browser driver exits cleanly" "exit status $rc$([[ $rc == 124 ]] && echo ' (timed out)')" \
      "stderr: $(tail -c 800 "$out.err")"
  elif [[ -s $out.err ]]; then
    sed 's/^/# driver stderr: /' "$out.err" | head -n 10
  fi
}

# ---------------------------------------------------------------------------
# The backend's part, for every phase at once (one boto3 start): multipart uploads created,
# URLs and POST policies presigned, random files for the page in $tmp/site/data.
# shellcheck disable=SC2054  # PHASE:BUCKET:STEPS, the steps comma-separated
phases=(allowed:uploads:put,putBadSig,multipart,post,postXhr,postTooLarge
  allowed-v2:uploads:put,putBadSig,post,postXhr,postTooLarge
  blocked-method:readonly:put,multipart,post,postXhr
  no-expose:noexpose:put
  blocked-origin:uploads:put,multipart,post,postXhr)
if python3 "$upload_dir/s3tool.py" plan --site "$tmp/site" --out "$tmp/plans" "${phases[@]}" >"$tmp/plan.out" 2>&1; then
  ok "boto3 creates the multipart uploads and presigns PutObject, UploadPart, CompleteMultipartUpload and POST policies"
else
  not_ok "boto3 creates the multipart uploads and presigns the uploads" "$(tail -n 8 "$tmp/plan.out")"
  finish
fi

# allowed-v2 really is SigV2: AWSAccessKeyId/Signature/Expires URLs, an AWSAccessKeyId/signature form.
if [[ $(plan_url allowed-v2 put) == *"AWSAccessKeyId="*"Signature="*"Expires="* ]] &&
  python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["post"]["fields"]; sys.exit(not ("AWSAccessKeyId" in f and "signature" in f))' \
    "$tmp/plans/allowed-v2.json"; then
  ok "allowed-v2 is presigned with Signature Version 2 (URL and POST form)"
else
  not_ok "allowed-v2 is presigned with Signature Version 2" "$(plan_url allowed-v2 put)"
fi

url=$(plan_url allowed put)
code=$(curl -s --max-time 10 -o "$tmp/tampered.xml" -w '%{http_code}' -X PUT --data-binary x "${url/\/put.bin\?//other.bin?}")
if [[ $code == 403 ]] && grep -q '<Code>SignatureDoesNotMatch</Code>' "$tmp/tampered.xml"; then
  ok "the presigned PUT URL used for another key is refused (403 SignatureDoesNotMatch)"
else
  not_ok "the presigned PUT URL used for another key is refused (403 SignatureDoesNotMatch)" \
    "status $code: $(head -c 300 "$tmp/tampered.xml")"
fi

check_preflight allowed "$url" PUT allowed
check_preflight allowed "$(plan_url allowed post)" POST allowed
check_preflight blocked-method "$(plan_url blocked-method put)" PUT refused
check_preflight no-expose "$(plan_url no-expose put)" PUT allowed

# The browser, while bucket "uploads" allows the page's origin.
browser "allowed=$tmp/plans/allowed.json" "allowed=$tmp/plans/allowed-v2.json" \
  "blocked=$tmp/plans/blocked-method.json" "no-expose=$tmp/plans/no-expose.json"

# Switch bucket "uploads" to rules that exclude the page's origin by rewriting its CORS file
# (checked every second), then the browser again.
printf '%s\n' "$rules_allow_other" >"$tmp/cors-uploads.json.new" && mv "$tmp/cors-uploads.json.new" "$tmp/cors-uploads.json"
t0=$EPOCHREALTIME
reloaded=""
for ((i = 0; i < 100; i++)); do
  if [[ $(preflight "$base/uploads/probe.bin" PUT) == "403 -" ]]; then
    reloaded=yes
    break
  fi
  sleep 0.1
done
if [[ -n $reloaded ]]; then
  ok "s3cors applies the rewritten CORS file of bucket uploads (only https://elsewhere.example) after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}') s"
else
  not_ok "s3cors applies the rewritten CORS file of bucket uploads within 10 s" "stderr: $(tail -c 600 "$tmp/server.err")"
fi
check_preflight blocked-origin "$(plan_url blocked-origin post)" POST refused
browser "blocked=$tmp/plans/blocked-origin.json"

# ---------------------------------------------------------------------------
# What s3cors stored, seen through boto3 (signed GetObject, ListParts), one line per upload.
if ! python3 "$upload_dir/s3tool.py" inspect "$tmp/plans/allowed.json" "$tmp/plans/allowed-v2.json" \
  "$tmp/plans/blocked-method.json" \
  "$tmp/plans/no-expose.json" "$tmp/plans/blocked-origin.json" >"$tmp/inspect.out" 2>"$tmp/inspect.err"; then
  not_ok "boto3 inspects the buckets" "$(tail -n 8 "$tmp/inspect.err")"
  finish
fi
while IFS=$'\t' read -r phase step state detail; do
  case $phase:$step in
    *:putBadSig | *:postTooLarge) want=missing ;; # refused by s3cors
    allowed:multipart-parts) want=gone ;;   # completed: the upload is gone
    blocked-*:multipart-parts) want=0 ;;    # no part reached the server
    blocked-*:post) want=stored ;;          # a simple request: sent, only the answer is hidden
    blocked-*:*) want=missing ;;
    *) want=stored ;;
  esac
  case $step in
    put) what="the presigned PUT's object" ;;
    multipart) what="the multipart object" ;;
    multipart-parts) what="the multipart upload" ;;
    post) what="the fetch POST form's object" ;;
    postXhr) what="the XMLHttpRequest POST form's object" ;;
    putBadSig) what="the object of the PUT with an altered signature" ;;
    postTooLarge) what="the object of the POST form beyond content-length-range" ;;
    *) what=$step ;;
  esac
  if [[ $state == "$want" && ($state != stored || $detail == "same bytes"*) ]]; then
    case $want in
      stored) ok "$phase: boto3 reads $what: the page's bytes ($detail)" ;;
      missing) ok "$phase: $what was not written ($detail)" ;;
      gone) ok "$phase: $what is completed ($detail)" ;;
      *) ok "$phase: $what holds no part ($detail)" ;;
    esac
    if [[ $phase:$step == blocked-*:post ]]; then
      echo "#   as with S3: a form POST is a CORS simple request, sent without a preflight; the browser" \
        "only hides the answer from the page. The policy signature, not CORS, guards that write."
    fi
  else
    not_ok "$phase: $what: expected $want" "got: $state $detail"
  fi
done <"$tmp/inspect.out"

# s3cors's access log: each refused preflight with its reason, and no PUT behind it.
for phase in blocked-method blocked-origin; do
  bucket=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bucket"])' "$tmp/plans/$phase.json")
  put_path=/$bucket/$phase/put.bin
  if [[ $phase == blocked-origin ]]; then
    reason="origin_mismatch (origin \"$page_origin\""
  else
    reason='method_mismatch (Access-Control-Request-Method "PUT"'
  fi
  refused=$(awk -v p="$put_path" '$2=="OPTIONS" && index($3, p "?")==1 && $4=="403"' "$tmp/server.err" |
    grep -F -- "$reason" | head -n 1)
  written=$(awk -v p="$put_path" '$2=="PUT" && index($3, p)==1' "$tmp/server.err" | head -n 1)
  if [[ -n $refused && -z $written ]]; then
    ok "$phase: s3cors logged the browser's refused preflight with its reason and received no PUT"
    echo "#   stderr: ${refused%%\?*} ... ${refused#* 403 }" | cut -c1-400
  else
    not_ok "$phase: s3cors logged the browser's refused preflight ($reason) and received no PUT" \
      "refused preflight: ${refused:-(none)}" "PUT: ${written:-(none)}"
  fi
done

finish
