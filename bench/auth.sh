#!/usr/bin/env bash
# Authentication benchmark: what verifying SigV4 costs on the 1 KiB GET of the read path.
#
# This is a benchmark, not a test: it never fails on slow numbers, only when a server cannot
# be started or does not answer correctly.
#
# Usage: bench/auth.sh [PATH_TO_S3CORS]
#   PATH_TO_S3CORS      default build/release/server/s3cors (built with the release preset
#                       when missing or older than the sources)
# Environment:
#   BENCH_SECONDS       wrk duration per row (default 4; stay under 15 minutes in total:
#                       the signed header's x-amz-date must stay within S3's clock skew)
#   BENCH_CONNECTIONS   wrk connections (default 64)
#   BENCH_THREADS       wrk threads (default 2)
#   BENCH_ROUNDS        rounds of the five rows, interleaved; the median is kept (default 12)
#   BENCH_NO_BUILD=1    never (re)build the default binary
#
# Two s3cors instances over the same data root, one without and one with credentials, measured
# in one run (rows interleaved, in reverse order every other round, BENCH_ROUNDS rounds, median
# kept):
#   plain GET            GET /bench/1k.bin, no credentials (the read-path row)
#   signed header        the GET signed in the Authorization header (botocore's S3 signer),
#                        sent to both: without credentials the signature is ignored, with them
#                        every request is fully verified (canonical request, HMAC, clock)
#   presigned URL        the GET through a presigned URL, sent to both likewise
# "verification cost" = 1 - (verified req/s / the same requests' req/s without credentials):
# what verifying adds, apart from the bigger request that carries the signature; from the
# medians, and "paired" round by round (median of the per-round costs, with their range). The
# row order flips every round, so that a drift of the machine's speed during a round favours
# neither side of a pair.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
source "$repo_root/bench/lib/common.sh"
bin=${1:-$bench_default_bin}
seconds=${BENCH_SECONDS:-4}
connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_THREADS:-2}
access_key=AKIDBENCHMARK
secret_key=bench/secret+key

require_tools wrk curl python3
python3 -c 'import botocore' 2>/dev/null || die "python3 botocore not found (apt-get install python3-boto3)"
ensure_s3cors "$bin"
bench_setup auth
tmp=$bench_tmp

data="$tmp/root"
mkdir -p "$data/bench"
head -c 1024 /dev/urandom >"$data/bench/1k.bin"
cat >"$tmp/auth.json" <<EOF
{"credentials": [{"access_key_id": "$access_key", "secret_access_key": "$secret_key"}]}
EOF

start_s3cors open "$bin" --root "$data"
open_base=$started_base
start_s3cors auth "$bin" --root "$data" --config "$tmp/auth.json"
auth_base=$started_base

# Signed header and presigned URL from botocore, the signer real clients use.
python3 - "$auth_base" "$access_key" "$secret_key" "$tmp" <<'EOF'
import sys
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

base, key, secret, out = sys.argv[1:]
creds = Credentials(key, secret)
url = base + "/bench/1k.bin"
signed = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
S3SigV4Auth(creds, "s3", "us-east-1").add_auth(signed)
with open(f"{out}/signed.lua", "w") as lua:
    for name in ("Authorization", "X-Amz-Date", "x-amz-content-sha256"):
        lua.write(f'wrk.headers["{name}"] = "{signed.headers[name]}"\n')
presigned = AWSRequest(method="GET", url=url)
S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=3600).add_auth(presigned)
with open(f"{out}/presigned.url", "w") as f:
    f.write(presigned.url)
EOF
wrk_lua "$tmp/report.lua" </dev/null
wrk_lua "$tmp/signed-report.lua" <"$tmp/signed.lua"
presigned_url=$(cat "$tmp/presigned.url")

# Correctness gate: the signed forms are accepted, an unsigned request is refused.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[[ $(code "$open_base/bench/1k.bin") == 200 ]] || die "no-credentials GET is not 200"
[[ $(code "$auth_base/bench/1k.bin") == 403 ]] || die "unsigned GET with credentials is not 403"
[[ $(code "$presigned_url") == 200 ]] || die "presigned GET is not 200"
header_args=()
while IFS= read -r line; do
  [[ $line =~ ^wrk\.headers\[\"([^\"]+)\"\]\ =\ \"(.*)\"$ ]] && header_args+=(-H "${BASH_REMATCH[1]}: ${BASH_REMATCH[2]}")
done <"$tmp/signed.lua"
[[ $(code "${header_args[@]}" "$auth_base/bench/1k.bin") == 200 ]] || die "header-signed GET is not 200"

run_wrk() { # $1 = url, $2 = lua -> "req/s errors"
  local parsed rps errors
  parsed=$(wrk_run "$1" "$2" "$seconds" "$connections" "$wrk_threads") || die "wrk failed for $1"
  read -r rps _ _ _ errors _ <<<"$parsed"
  echo "$rps $errors"
}

rounds=${BENCH_ROUNDS:-12}
open_presigned_url=${presigned_url/$auth_base/$open_base}
echo "== auth: ${seconds}s per run, $rounds rounds (rows interleaved, median kept), wrk -t$wrk_threads" \
  "-c$connections, $(nproc) CPUs (wrk and s3cors share them)"
# Each row: label | url | lua script | runs (filled below).
rows=(
  "plain GET, no credentials|$open_base/bench/1k.bin|$tmp/report.lua"
  "signed header, no credentials (not verified)|$open_base/bench/1k.bin|$tmp/signed-report.lua"
  "signed header, credentials (verified)|$auth_base/bench/1k.bin|$tmp/signed-report.lua"
  "presigned URL, no credentials (not verified)|$open_presigned_url|$tmp/report.lua"
  "presigned URL, credentials (verified)|$presigned_url|$tmp/report.lua"
)
declare -a runs
errors=0
for ((round = 0; round < rounds; round++)); do
  order=()
  for i in "${!rows[@]}"; do
    if ((round % 2 == 0)); then order+=("$i"); else order=("$i" "${order[@]}"); fi
  done
  for i in "${order[@]}"; do
    IFS='|' read -r _ url lua <<<"${rows[$i]}"
    read -r rps err <<<"$(run_wrk "$url" "$lua")"
    runs[i]="${runs[i]:-} $rps"
    errors=$((errors + err))
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
declare -a medians
for i in "${!rows[@]}"; do
  # shellcheck disable=SC2086
  medians[i]=$(median ${runs[i]})
done
cost() { python3 -c "print(f'{(1 - $1 / $2) * 100:.1f}%')"; }
# The same cost taken round by round (each verified run against the unverified run next to it),
# median kept, and the range of the per-round costs: the machine's speed drifts between rounds
# far more than within one.
paired_cost() { # $1 = verified runs, $2 = unverified runs
  python3 -c "
import statistics, sys
verified, unverified = (list(map(float, a.split())) for a in sys.argv[1:])
costs = [(1 - v / u) * 100 for v, u in zip(verified, unverified)]
print(f'{statistics.median(costs):.1f}% ({min(costs):.1f}..{max(costs):.1f})')" "$1" "$2"
}
fmt='%-46s %8s %18s %22s   %s\n'
# shellcheck disable=SC2059
printf "$fmt" "1 KiB GET" "req/s" "verification cost" "paired (range)" "runs"
for i in "${!rows[@]}"; do
  IFS='|' read -r label _ _ <<<"${rows[$i]}"
  verification="-"
  paired="-"
  # The verified rows against the same requests with no credentials configured.
  if ((i == 2 || i == 4)); then
    verification=$(cost "${medians[i]}" "${medians[i - 1]}")
    paired=$(paired_cost "${runs[i]}" "${runs[i - 1]}")
  fi
  # shellcheck disable=SC2059
  printf "$fmt" "$label" "${medians[i]}" "$verification" "$paired" "${runs[i]# }"
done
echo "signed header, verified, against the plain GET: $(cost "${medians[2]}" "${medians[0]}")"
echo "errors or non-2xx responses: $errors"
