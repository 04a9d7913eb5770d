#!/usr/bin/env bash
# End-to-end test of `s3cors doctor` over https and through reverse proxies (docs/doctor.md §5):
# the example stream (config/example.json, bucket "media") behind tests/e2e/lib/proxy.py with a
# self-signed certificate for localhost/127.0.0.1 made here: verified with --ca-file (or
# SSL_CERT_FILE), refused without it (exit 2, one line naming the host and OpenSSL's reason),
# accepted with --insecure (said in the report), by host name, and with relative and absolute
# https URIs; then a proxy that drops Range, the real-world cause of "200 where 206 is needed".
#
# Usage: bash tests/e2e/doctor_tls_test.sh /path/to/s3cors
set -uo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"
for tool in curl openssl python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found in PATH" >&2; exit 2; }
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../.." && pwd)
# Only the certificates this script names are trusted: not the caller's OpenSSL environment.
unset SSL_CERT_FILE SSL_CERT_DIR

# A copy of the example configuration and root: PUT writes into it.
cp -r "$repo_root/config" "$tmp/config"
start_server --config "$tmp/config/example.json"
origin=http://localhost:8080

# make_cert NAME SUBJECT_ALT_NAMES: a self-signed EC certificate $tmp/NAME.pem and key $tmp/NAME.key.
make_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=${2%%,*}" -addext "subjectAltName=$2" \
    -keyout "$tmp/$1.key" -out "$tmp/$1.pem" >"$tmp/openssl.out" 2>&1
}
make_cert local "DNS:localhost,IP:127.0.0.1" || { not_ok "openssl makes a certificate" "$(cat "$tmp/openssl.out")"; finish; }
make_cert other "DNS:other.example" || { not_ok "openssl makes a certificate" "$(cat "$tmp/openssl.out")"; finish; }

# start_proxy NAME ARGS...: tests/e2e/lib/proxy.py in front of the server; sets proxy_url to its
# http[s]://127.0.0.1:PORT (10 s).
proxy_pids=()
start_proxy() {
  local name=$1 i line
  shift
  python3 "$here/lib/proxy.py" --upstream "$base" "$@" </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" &
  proxy_pids+=("$!")
  proxy_url=""
  for ((i = 0; i < 100; i++)); do
    line=$(grep -m1 -E '^proxy listening on https?://127\.0\.0\.1:[0-9]+$' "$tmp/$name.out" 2>/dev/null)
    if [[ -n $line ]]; then
      proxy_url=${line##* }
      return 0
    fi
    sleep 0.1
  done
  not_ok "proxy $name prints its listening line within 10 s" "$(tail -c 600 "$tmp/$name.err")"
  finish
}
# shellcheck disable=SC2317  # invoked via e2e_at_exit
stop_proxies() {
  local pid
  for pid in "${proxy_pids[@]}"; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  proxy_pids=()
}
e2e_at_exit stop_proxies

start_proxy tls --tls "$tmp/local.pem" "$tmp/local.key"
tls_url=$proxy_url                    # https://127.0.0.1:PORT
tls_port=${tls_url##*:}
start_proxy other --tls "$tmp/other.pem" "$tmp/other.key"
other_port=${proxy_url##*:}           # a certificate for other.example only
start_proxy norange --drop-request-header Range --drop-request-header If-Range
norange_url=$proxy_url

# doctor ARGS...: runs the doctor with --json; sets out (the JSON), status and err (stderr).
doctor() {
  out=$("$bin" doctor "$@" --origin "$origin" --json 2>"$tmp/doctor.err")
  status=$?
  err=$(cat "$tmp/doctor.err")
  printf '%s\n' "$out" >"$tmp/doctor.json"
}
# field EXPR: a Python expression over the last JSON report (d).
field() { python3 -c "import json,sys; d=json.load(open('$tmp/doctor.json')); print($1)" 2>/dev/null; }
# shape: "kind:verdict:count ..." of the last report (URLs left out, to compare runs).
shape() { field '" ".join(k["kind"]+":"+k["verdict"]+":"+str(len(k["requests"])) for k in d["kinds"])'; }
expect() { # expect DESCRIPTION EXPECTED ACTUAL
  if [[ $2 == "$3" ]]; then ok "$1"; else not_ok "$1" "expected: $2" "actual:   $3" "$(head -c 600 "$tmp/doctor.err")"; fi
}

# ---------------------------------------------------------------------------
# 0. The proxy itself: a Range passes (206) and a multi-MB body streams through TLS intact.
head -c 5000000 /dev/urandom >"$tmp/big.bin"
curl -fsS -X PUT --data-binary "@$tmp/big.bin" "$base/media/big.bin" >/dev/null
curl -fsS --cacert "$tmp/local.pem" -o "$tmp/big.out" "$tls_url/media/big.bin"
check "proxy: a 5 MB object comes through https byte for byte" cmp "$tmp/big.bin" "$tmp/big.out"
expect "proxy: Range passes, 206" 206 \
  "$(curl -s --cacert "$tmp/local.pem" -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-9' "$tls_url/media/big.bin")"
expect "dropping proxy: Range is dropped, 200" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-9' "$norange_url/media/big.bin")"

# 1. Over https with --ca-file: the same report as over http.
doctor "$base/media/hls/master.m3u8" --player hls.js
http_shape=$(shape)
expect "http run: all ok" "0 ok" "$status $(field 'd["verdict"]')"
doctor "$tls_url/media/hls/master.m3u8" --player hls.js --ca-file "$tmp/local.pem"
expect "https --ca-file: exit status 0" 0 "$status"
expect "https --ca-file: the same requests and verdicts as over http" "$http_shape" "$(shape)"
expect "https --ca-file: rules read with GetBucketCors, verification on" "True True" \
  "$(field 'd["rules_known"]') $(field 'd["tls_verify"]')"
expect "https --ca-file: relative URIs resolve against the https base" "True" \
  "$(field 'all(q["url"].startswith("'"$tls_url"'/media/hls/") for k in d["kinds"] for q in k["requests"])')"
SSL_CERT_FILE="$tmp/local.pem" doctor "$tls_url/media/hls/master.m3u8" --player hls.js
expect "https with SSL_CERT_FILE naming the certificate: exit status 0" "0 ok" "$status $(field 'd["verdict"]')"

# 2. Without --ca-file: the system store does not know the certificate.
doctor "$tls_url/media/hls/master.m3u8" --player hls.js
expect "https without --ca-file: exit status 2 (the manifest cannot be read)" 2 "$status"
expect "https without --ca-file: one line naming the host and OpenSSL's reason" \
  "s3cors doctor: $tls_url/media/hls/master.m3u8: TLS certificate verification failed for 127.0.0.1: self-signed certificate (trust its CA with --ca-file PATH, or skip verification with --insecure)" \
  "$err"
doctor "https://localhost:$other_port/media/hls/master.m3u8" --ca-file "$tmp/other.pem"
expect "a certificate for another name: hostname mismatch" \
  "2 TLS certificate verification failed for localhost: hostname mismatch" \
  "$status $(sed -n 's/.*\(TLS certificate verification failed for [^(]*\) (.*/\1/p' <<<"$err" | sed 's/ *$//')"

# 3. --insecure: passes, and the report says verification was off.
doctor "$tls_url/media/hls/master.m3u8" --player hls.js --insecure
expect "https --insecure: exit status 0, verification off in the JSON" "0 ok False" \
  "$status $(field 'd["verdict"]') $(field 'd["tls_verify"]')"
text=$("$bin" doctor "$tls_url/media/hls/master.m3u8" --origin "$origin" --insecure 2>&1)
check "https --insecure: the text report says verification was off" \
  grep -qx 'TLS: certificate verification off (--insecure)' <<<"$text"

# 4. A host name (SNI and the certificate's DNS name), and absolute https URIs to another host.
doctor "https://localhost:$tls_port/media/hls-fmp4/master.m3u8" --player hls.js --ca-file "$tmp/local.pem"
expect "https://localhost: exit status 0, ok" "0 ok" "$status $(field 'd["verdict"]')"
expect "https://localhost: init segments and segments on the same host" "True" \
  "$(field 'all(q["url"].startswith("https://localhost:'"$tls_port"'/") for k in d["kinds"] for q in k["requests"])')"
printf '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI="https://localhost:%s/media/hls-fmp4/416x234/init.mp4"\n#EXTINF:2,\nhttps://localhost:%s/media/hls-fmp4/416x234/seg_000.m4s\n#EXT-X-ENDLIST\n' \
  "$tls_port" "$tls_port" >"$tmp/abs.m3u8"
curl -fsS -X PUT --data-binary "@$tmp/abs.m3u8" "$base/media/hls-fmp4/abs.m3u8" >/dev/null
doctor "$tls_url/media/hls-fmp4/abs.m3u8" --player hls.js --ca-file "$tmp/local.pem"
expect "absolute https URIs: fetched from their own host, ok" \
  "0 ok https://localhost:$tls_port/media/hls-fmp4/416x234/seg_000.m4s" \
  "$status $(field 'd["verdict"]') $(field '[q["url"] for k in d["kinds"] if k["kind"]=="segment" for q in k["requests"]][0]')"

# 5. A proxy that drops Range: "200 where 206 is needed" for the requests sent with Range.
printf '#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:2\n#EXT-X-BYTERANGE:1000@0\n#EXTINF:2,\n416x234/seg_000.ts\n#EXT-X-ENDLIST\n' \
  >"$tmp/br.m3u8"
curl -fsS -X PUT --data-binary "@$tmp/br.m3u8" "$base/media/hls/byterange.m3u8" >/dev/null
doctor "$base/media/hls/byterange.m3u8" --player hls.js
expect "byte ranges straight to the server: ok" "0 ok" "$status $(field 'd["verdict"]')"
range_problem="Range bytes=0-999 is answered 200 with the whole object; the player needs 206 Partial Content"
doctor "$norange_url/media/hls/byterange.m3u8" --player hls.js
expect "Range dropped (hls.js): exit status 1" 1 "$status"
expect "Range dropped (hls.js): the byte-range segment fails the range check" "fail|range|$range_problem" \
  "$(field '[f["verdict"]+"|"+f["check"]+"|"+f["problem"] for k in d["kinds"] if k["kind"]=="byte-range segment" for q in k["requests"] for f in q["findings"]][0]')"
text=$("$bin" doctor "$norange_url/media/hls/byterange.m3u8" --origin "$origin" 2>&1)
check "Range dropped (hls.js): the text report says it" grep -qF "fail range: $range_problem" <<<"$text"
# dash.js on an on-demand MPD: the init and index ranges (SegmentBase) are Range requests.
cat >"$tmp/od.mpd" <<'MPD'
<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT2S">
  <Period>
    <AdaptationSet mimeType="video/mp4">
      <Representation id="v" bandwidth="327800">
        <BaseURL>416x234/init.mp4</BaseURL>
        <SegmentBase indexRange="100-199"><Initialization range="0-99"/></SegmentBase>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
MPD
curl -fsS -X PUT --data-binary "@$tmp/od.mpd" "$base/media/hls-fmp4/od.mpd" >/dev/null
doctor "$norange_url/media/hls-fmp4/od.mpd" --player dash.js
expect "Range dropped (dash.js): exit status 1, both ranged requests (init, index) fail the range check" "1 2 2" \
  "$status $(field 'len([q for k in d["kinds"] for q in k["requests"] if q["range"]])') $(field 'len([q for k in d["kinds"] for q in k["requests"] if q["range"] and any(f["check"]=="range" and f["verdict"]=="fail" for f in q["findings"])])')"

# 6. Usage errors exit 2.
"$bin" doctor "ftp://127.0.0.1/x.m3u8" >/dev/null 2>&1
expect "an ftp:// URL: exit status 2" 2 "$?"
"$bin" doctor "$tls_url/media/hls/master.m3u8" --ca-file "$tmp/nothing.pem" >/dev/null 2>"$tmp/doctor.err"
expect "a missing --ca-file: exit status 2" 2 "$?"
check "a missing --ca-file: the message names the file" grep -qF -- "--ca-file $tmp/nothing.pem" "$tmp/doctor.err"

finish
