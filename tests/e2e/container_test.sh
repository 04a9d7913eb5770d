#!/usr/bin/env bash
# End-to-end container test: builds docker/Dockerfile (which runs the unit tests in its build
# stage) with docker or podman, checks the image (size budget, non-root user, HEALTHCHECK,
# volumes, port), runs it read-only with a published port on 127.0.0.1 and a mounted bucket,
# fetches an object and a preflight from outside, runs the healthcheck, checks the process is not
# root and the JSON access log, stops it (exit code 0 within 2 s) and validates
# docker/compose.yaml.
#
# Usage: bash tests/e2e/container_test.sh /path/to/s3cors
# (the binary argument is accepted like every e2e test's, but the image builds its own.)
#
# Skipped, with "SKIP: ..." and exit status 0, only where neither docker nor podman can run,
# or when S3CORS_SKIP_CONTAINER=1. With podman (our CI), the base image is made locally when no
# registry answers (scripts/container-base.sh, cached under ~/.cache/s3cors).
# S3CORS_IMAGE_BUDGET_BYTES overrides the size budget (default 25 MB = 25,000,000 bytes).
# shellcheck source-path=SCRIPTDIR disable=SC2016  # (the bash -c snippets read their argument as $1)
set -uo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ ${S3CORS_SKIP_CONTAINER:-0} == 1 ]]; then
  echo "SKIP: S3CORS_SKIP_CONTAINER=1"
  exit 0
fi
for tool in curl timeout python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found in PATH" >&2; exit 2; }
done

# shellcheck source=../../scripts/container-env.sh
source "$repo_root/scripts/container-env.sh"
if ! container_setup; then
  echo "SKIP: $container_reason"
  exit 0
fi

# shellcheck source=lib/common.sh
source "$repo_root/tests/e2e/lib/common.sh"
# Not e2e_begin: the binary argument is optional here (the image builds its own).
e2e_scratch
# "HITS MISSES" of the host's compile cache so far.
ccache_counts() {
  ccache --print-stats 2>/dev/null | awk -F '\t' '
    $1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { hits += $2 }
    $1 == "cache_miss" { misses = $2 }
    END { print hits + 0, misses + 0 }'
}
tag=s3cors:e2e-test
name=s3cors-e2e-$$
budget=${S3CORS_IMAGE_BUDGET_BYTES:-25000000}
started=""
# shellcheck disable=SC2317  # invoked via trap
remove_container() {
  [[ -n $started ]] && "$engine" rm -f "$name" >/dev/null 2>&1
  container_cleanup
}
e2e_at_exit remove_container
echo "# engine: $engine ($("$engine" --version 2>/dev/null | head -n 1))"

# --- build ------------------------------------------------------------------------------------
if [[ $engine == podman ]]; then
  if ! bash "$repo_root/scripts/container-base.sh" podman >"$tmp/base.log" 2>&1; then
    not_ok "the base image debian:bookworm-slim is available" "$(tail -c 600 "$tmp/base.log")"
    finish
  fi
fi
# The host's compile cache, when there is one, is mounted into the build (docker/Dockerfile,
# CCACHE_DIR): objects the host compiled from the same sources with the same compiler are reused,
# so the image compiles only what the host has not (in CI, nothing but the links). Podman only:
# docker build cannot mount a directory.
cache_flags=()
cache_hits_before=""
if [[ $engine == podman ]] && command -v ccache >/dev/null 2>&1; then
  host_cache=$(ccache --get-config cache_dir 2>/dev/null)
  if [[ -n $host_cache ]] && mkdir -p "$host_cache"; then
    cache_flags=(-v "$host_cache:/ccache" --build-arg CCACHE_DIR=/ccache)
    # ccache hashes these: the image build must see the host's values (docker/Dockerfile).
    for locale_variable in LANG LC_ALL LC_CTYPE LC_MESSAGES; do
      [[ -n ${!locale_variable:-} ]] && cache_flags+=(--build-arg "$locale_variable=${!locale_variable}")
    done
    cache_hits_before=$(ccache_counts)
  fi
fi
build_start=$(date +%s)
if ! (cd "$repo_root" && "$engine" build "${build_flags[@]}" "${cache_flags[@]}" -f docker/Dockerfile -t "$tag" .) \
  >"$tmp/build.log" 2>&1; then
  not_ok "the image builds (docker/Dockerfile, unit tests included)" "$(tail -n 25 "$tmp/build.log")"
  finish
fi
ok "the image builds in $(($(date +%s) - build_start)) s (docker/Dockerfile, unit tests included)"
if [[ -n $cache_hits_before ]]; then
  read -r hits_before misses_before <<<"$cache_hits_before"
  read -r hits_after misses_after <<<"$(ccache_counts)"
  # (Counters the machine shares: another build running, or zeroing them, blurs the figures.)
  if ((hits_after >= hits_before && misses_after >= misses_before)); then
    echo "# compile cache: $((hits_after - hits_before)) objects reused from the host's, $((misses_after - misses_before)) compiled"
  fi
fi
if grep -qE '^All tests passed \([0-9]+ assertions in [0-9]+ test cases\)' "$tmp/build.log"; then
  ok "the unit tests ran in the build stage: $(grep -oE 'All tests passed.*' "$tmp/build.log" | tail -n 1)"
elif grep -q 'Using cache' "$tmp/build.log" || grep -q -- '---> Using cache\|CACHED' "$tmp/build.log"; then
  ok "the unit tests ran in an earlier build of the same sources (cached layer)"
else
  not_ok "the unit tests ran in the build stage" "$(grep -iE 'test cases|failed' "$tmp/build.log" | tail -n 5)"
fi

# --- the image --------------------------------------------------------------------------------
inspect() { "$engine" image inspect --format "$1" "$tag" 2>/dev/null; }
size=$(inspect '{{.Size}}')
if [[ $size =~ ^[0-9]+$ ]] && ((size <= budget)); then
  ok "image size $((size / 1000)) kB is within the budget of $((budget / 1000)) kB"
else
  not_ok "image size '$size' bytes is within the budget of $budget bytes"
fi
check "the image runs as user 10001:10001" test "$(inspect '{{.Config.User}}')" = "10001:10001"
healthcheck=$(inspect '{{json .Config.Healthcheck}}')
if [[ $healthcheck == *'s3cors","healthcheck"'* || $healthcheck == *'s3cors healthcheck'* ]]; then
  ok "the image has a HEALTHCHECK running 's3cors healthcheck'"
else
  not_ok "the image has a HEALTHCHECK running 's3cors healthcheck'" "got: $healthcheck"
fi
volumes=$(inspect '{{json .Config.Volumes}}')
check "the image declares /data and /config as volumes" bash -c '[[ $1 == *"\"/data\""* && $1 == *"\"/config\""* ]]' _ "$volumes"
check "the image exposes port 9000" bash -c '[[ $1 == *"9000/tcp"* ]]' _ "$(inspect '{{json .Config.ExposedPorts}}')"

# --- run it: a bucket and a configuration, mounted read-only ---------------------------------
mkdir -p "$tmp/data/media/hls" "$tmp/config"
printf '#EXTM3U\n#EXT-X-ENDLIST\n' >"$tmp/data/media/hls/index.m3u8"
cat >"$tmp/config/cors.json" <<'EOF'
[{"AllowedOrigins": ["http://page.test"], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"],
  "MaxAgeSeconds": 600}]
EOF
cat >"$tmp/config/s3cors.json" <<'EOF'
{"buckets": {"media": {"cors": "cors.json"}}}
EOF
# The container user (10001) reads them; mktemp made the directory private.
chmod -R a+rX "$tmp"

if ! "$engine" run -d --name "$name" --read-only -p 127.0.0.1::9000 \
  -v "$tmp/data:/data:ro" -v "$tmp/config:/config:ro" \
  -e S3CORS_CONFIG=/config/s3cors.json -e S3CORS_LOG_FORMAT=json \
  "$tag" >"$tmp/run.out" 2>&1; then
  not_ok "the container starts" "$(tail -c 600 "$tmp/run.out")"
  finish
fi
started=1
port=$("$engine" port "$name" 9000/tcp 2>/dev/null | head -n 1 | sed 's/.*://')
base="http://127.0.0.1:$port"
up=""
for ((i = 0; i < 100; i++)); do
  if curl -fsS -m 2 -o /dev/null "$base/_s3cors/health" 2>/dev/null; then
    up=1
    break
  fi
  sleep 0.1
done
if [[ -z $up ]]; then
  not_ok "the server answers on the published port 127.0.0.1:$port within 10 s" \
    "$("$engine" logs "$name" 2>&1 | tail -n 10)"
  finish
fi
ok "the server answers on the published port $base"

check "GET /_s3cors/health answers 200 {\"status\":\"ok\"}" \
  bash -c 'test "$(curl -fsS -m 5 "$1/_s3cors/health")" = "{\"status\":\"ok\"}"' _ "$base"
curl -sS -m 5 -D "$tmp/get.headers" -o "$tmp/get.body" -H 'Origin: http://page.test' \
  "$base/media/hls/index.m3u8" 2>"$tmp/get.err"
if head -n 1 "$tmp/get.headers" | grep -q ' 200' && cmp -s "$tmp/get.body" "$tmp/data/media/hls/index.m3u8"; then
  ok "GET of an object from the mounted bucket returns its bytes"
else
  not_ok "GET of an object from the mounted bucket returns its bytes" "$(cat "$tmp/get.headers" "$tmp/get.err")"
fi
check "the cross-origin GET carries Access-Control-Allow-Origin" \
  grep -qi '^Access-Control-Allow-Origin: http://page.test' "$tmp/get.headers"
curl -sS -m 5 -D "$tmp/preflight.headers" -o /dev/null -X OPTIONS -H 'Origin: http://page.test' \
  -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: range' \
  "$base/media/hls/index.m3u8" 2>/dev/null
if head -n 1 "$tmp/preflight.headers" | grep -q ' 200' &&
  grep -qi '^Access-Control-Allow-Origin: http://page.test' "$tmp/preflight.headers" &&
  grep -qi '^Access-Control-Allow-Methods: GET, HEAD' "$tmp/preflight.headers" &&
  grep -qi '^Access-Control-Max-Age: 600' "$tmp/preflight.headers"; then
  ok "an allowed preflight gets 200 with the bucket's CORS headers"
else
  not_ok "an allowed preflight gets 200 with the bucket's CORS headers" "$(cat "$tmp/preflight.headers")"
fi
check "a preflight from another origin gets 403" bash -c \
  'test "$(curl -sS -m 5 -o /dev/null -w "%{http_code}" -X OPTIONS -H "Origin: http://evil.test" \
     -H "Access-Control-Request-Method: GET" "$1/media/hls/index.m3u8")" = 403' _ "$base"

# The image's own HEALTHCHECK command, run by the engine.
if [[ $engine == podman ]]; then
  check "the HEALTHCHECK passes (podman healthcheck run)" podman healthcheck run "$name"
else
  check "the HEALTHCHECK command passes (docker exec)" docker exec "$name" /usr/local/bin/s3cors healthcheck
fi

# Not root: the server process's user, as the host's kernel sees it (rootful engine: the same
# uid), and as the engine reports it.
pid=$("$engine" inspect --format '{{.State.Pid}}' "$name" 2>/dev/null)
uid=""
[[ $pid =~ ^[0-9]+$ && -r /proc/$pid/status ]] && uid=$(awk '/^Uid:/ {print $3}' "/proc/$pid/status")
if [[ -n $uid ]]; then
  check "the server process is not root (effective uid $uid)" test "$uid" != 0
else
  top_user=$("$engine" top "$name" user 2>/dev/null | tail -n 1 | awk '{print $1}')
  check "the server process is not root (user '$top_user')" bash -c '[[ -n $1 && $1 != root && $1 != 0 ]]' _ "$top_user"
fi

# JSON access log: one object per request, with the CORS decision.
"$engine" logs "$name" >"$tmp/logs.out" 2>"$tmp/logs.err"
if python3 - "$tmp/logs.err" "$tmp/logs.out" <<'EOF'; then
import json, sys
records = []
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.strip()
        if line.startswith("{"):
            records.append(json.loads(line))
access = [r for r in records if "request_id" in r]
want = {"time", "request_id", "method", "bucket", "key", "status", "bytes", "duration_ms", "origin", "cors"}
ok = any(r["method"] == "GET" and r["bucket"] == "media" and r["key"] == "hls/index.m3u8" and
         r["status"] == 200 and r["origin"] == "http://page.test" and r["cors"] == "allowed rule 0"
         for r in access)
sys.exit(0 if ok and all(want <= set(r) for r in access) else 1)
EOF
  ok "the access log is JSON, one object per request, with bucket, key and CORS decision"
else
  not_ok "the access log is JSON, one object per request, with bucket, key and CORS decision" \
    "$(tail -n 5 "$tmp/logs.err")"
fi

# --- SIGTERM: a prompt, clean exit ------------------------------------------------------------
stop_start=$(date +%s%N)
"$engine" stop -t 10 "$name" >/dev/null 2>&1
stop_ms=$((($(date +%s%N) - stop_start) / 1000000))
exit_code=$("$engine" inspect --format '{{.State.ExitCode}}' "$name" 2>/dev/null)
if [[ $exit_code == 0 ]] && ((stop_ms < 2000)); then
  ok "stop (SIGTERM) exits with code 0 in $stop_ms ms"
else
  not_ok "stop (SIGTERM) exits with code 0 within 2 s" "exit code '$exit_code' after $stop_ms ms" \
    "$("$engine" logs "$name" 2>&1 | tail -n 3)"
fi

# --- docker/compose.yaml ----------------------------------------------------------------------
if ((${#compose[@]} == 0)); then
  not_ok "docker/compose.yaml validates" "no compose tool (docker compose or docker-compose) found"
elif "${compose[@]}" -f "$repo_root/docker/compose.yaml" config >"$tmp/compose.out" 2>&1; then
  ok "docker/compose.yaml validates (${compose[*]} config)"
  # Every file it mounts exists in the repository.
  missing=$(python3 - "$repo_root/docker" "$repo_root/docker/compose.yaml" <<'EOF'
import os, re, sys
base, path = sys.argv[1], sys.argv[2]
for source in re.findall(r"^\s*-\s*\"?(\.{1,2}/[^:\"]+):", open(path).read(), re.M):
    if not os.path.exists(os.path.join(base, source)):
        print(source)
EOF
  )
  check "the files docker/compose.yaml mounts exist${missing:+ (missing: $missing)}" test -z "$missing"
else
  not_ok "docker/compose.yaml validates (${compose[*]} config)" "$(tail -n 5 "$tmp/compose.out")"
fi

finish
