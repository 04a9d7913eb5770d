#!/usr/bin/env bash
# End-to-end test of Signature Version 2 with real clients: boto3's default presigned URLs and
# POST forms (SigV2 against a custom endpoint), `aws s3 presign` fetched with curl, boto3 with
# signature_version="s3" (SigV2 Authorization headers) and "s3v4" side by side, and --no-sigv2.
# Every python3 on the machine that has boto3 runs the checks (pyenv's and Debian's
# python3-boto3); a case one boto3 cannot do is skipped with the reason printed.
# Usage: bash tests/e2e/sigv2_clients_test.sh /path/to/s3cors
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"

mkdir -p "$tmp/root/private"
cat >"$tmp/config.json" <<'EOF'
{"credentials": [{"access_key_id": "test", "secret_access_key": "test"}]}
EOF
start_server --root "$tmp/root" --config "$tmp/config.json" --log-level warn

# report FILE: turns the "ok - " / "not ok - " / "skip - " lines of a client's output into results.
report() {
  local line
  while IFS= read -r line; do
    case $line in
      "ok - "*) ok "${line#ok - }" ;;
      "not ok - "*) not_ok "${line#not ok - }" ;;
      "skip - "*) echo "# skip - ${line#skip - }" ;;
    esac
  done <"$1"
}

# --- aws CLI: `aws s3 presign` signs SigV2 against a custom endpoint (v1)
echo "presigned by the aws CLI" >"$tmp/root/private/cli.txt"
if url=$(aws_cli s3 presign s3://private/cli.txt --expires-in 300 2>"$tmp/presign.err"); then
  if [[ $url == *AWSAccessKeyId=* ]]; then
    [[ $(curl -s "$url") == "presigned by the aws CLI" ]] && ok "aws s3 presign (SigV2) + curl: GET works" ||
      not_ok "aws s3 presign (SigV2) + curl" "$(curl -s "$url" | head -c 600)"
    forged=${url/cli.txt/other.txt}
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$forged") == 403 ]] &&
      ok "aws s3 presign URL moved to another key: 403" || not_ok "moved aws presign URL"
  else
    echo "# skip - this aws CLI presigns SigV4 ($url)"
    [[ $(curl -s "$url") == "presigned by the aws CLI" ]] && ok "aws s3 presign (SigV4) + curl: GET works" ||
      not_ok "aws s3 presign (SigV4) + curl"
  fi
else
  not_ok "aws s3 presign ran" "$(cat "$tmp/presign.err")"
fi

# --- boto3, with each python3 that has it
cat >"$tmp/sigv2.py" <<'PY'
import sys, urllib.error, urllib.request, uuid
import boto3, botocore
from botocore.config import Config
base, tag = sys.argv[1:]
def check(cond, what):
    print(("ok - " if cond else "not ok - ") + "[%s] %s" % (tag, what))
def skip(what):
    print("skip - [%s] %s" % (tag, what))
def client(**config):
    return boto3.client("s3", endpoint_url=base, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}, **config))
def fetch(url, data=None, method="GET", headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
def multipart(fields, filename, content):
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in fields.items():
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (boundary, name, value)).encode()
    body += ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\nContent-Type: text/plain\r\n\r\n"
             % (boundary, filename)).encode() + content + ("\r\n--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary

print("# boto3 %s, botocore %s" % (boto3.__version__, botocore.__version__))
key = "obj-%s.txt" % tag.replace(" ", "-")
default = client()  # what a user gets: no signature_version

# Presigned GET and PUT from the default client. The PUT's Content-Type is signed (urllib sends
# one with every body).
put_url = default.generate_presigned_url("put_object", ExpiresIn=300,
                                         Params={"Bucket": "private", "Key": key, "ContentType": "text/plain"})
version = "SigV2" if "AWSAccessKeyId=" in put_url else "SigV4"
if version == "SigV4":
    skip("this boto3 presigns SigV4 by default; the SigV2 cases below use signature_version='s3'")
status, _ = fetch(put_url, data=b"presigned put body", method="PUT", headers={"Content-Type": "text/plain"})
check(status == 200, "default generate_presigned_url PUT (%s) + urllib: 200 (got %s)" % (version, status))
get_url = default.generate_presigned_url("get_object", Params={"Bucket": "private", "Key": key}, ExpiresIn=300)
status, body = fetch(get_url)
check(status == 200 and body == b"presigned put body", "default generate_presigned_url GET (%s) returns the PUT body" % version)
status, body = fetch(get_url.replace(key, "other.txt"))
check(status == 403 and b"SignatureDoesNotMatch" in body, "a presigned URL moved to another key: 403 SignatureDoesNotMatch")
# With response-* overrides, which SigV2 signs as sub-resources.
url = default.generate_presigned_url("get_object", ExpiresIn=300, Params={
    "Bucket": "private", "Key": key, "ResponseContentType": "text/x-test",
    "ResponseContentDisposition": 'attachment; filename="a b.txt"'})
req = urllib.request.Request(url)
with urllib.request.urlopen(req, timeout=10) as r:
    check(r.status == 200 and r.headers["Content-Type"] == "text/x-test",
          "presigned GET with response-content-type/-disposition overrides")

# Presigned POST form from the default client.
post = default.generate_presigned_post("private", "forms/${filename}", ExpiresIn=300)
form_version = "SigV2" if "AWSAccessKeyId" in post["fields"] else "SigV4"
data, content_type = multipart(post["fields"], "note-%s.txt" % tag.replace(" ", "-"), b"posted form")
status, _ = fetch(post["url"], data=data, method="POST", headers={"Content-Type": content_type})
check(status == 204, "default generate_presigned_post (%s) form upload: 204 (got %s)" % (form_version, status))
status, body = fetch(default.generate_presigned_url("get_object", Params={"Bucket": "private", "Key": "forms/note-%s.txt" % tag.replace(" ", "-")}))
check(body == b"posted form", "the POSTed object is stored")
fields = dict(post["fields"])
for name in ("signature", "x-amz-signature"):
    if name in fields:
        fields[name] = fields[name][:-4] + ("AAA=" if fields[name].endswith("=") else "0000")
data, content_type = multipart(fields, "forged.txt", b"x")
status, body = fetch(post["url"], data=data, method="POST", headers={"Content-Type": content_type})
check(status == 403 and b"SignatureDoesNotMatch" in body, "a POST form with a changed signature: 403 SignatureDoesNotMatch")

# SigV2 in the Authorization header: signature_version="s3".
try:
    v2 = client(signature_version="s3")
    v2.put_object(Bucket="private", Key="v2/" + key, Body=b"v2 header", ContentType="text/plain")
    check(v2.get_object(Bucket="private", Key="v2/" + key)["Body"].read() == b"v2 header",
          "signature_version='s3': PutObject then GetObject")
    listed = [o["Key"] for o in v2.list_objects(Bucket="private", Prefix="v2/" + key).get("Contents", [])]
    check(listed == ["v2/" + key], "signature_version='s3': ListObjects")
    # Old botocore (Debian's 1.29) signs "?acl?acl" for GetObjectAcl, which S3 refuses too:
    # record what it signs to tell that apart.
    import botocore.auth
    signed = []
    canonical_string = botocore.auth.HmacV1Auth.canonical_string
    def recording(self, *args, **kwargs):
        signed.append(canonical_string(self, *args, **kwargs))
        return signed[-1]
    botocore.auth.HmacV1Auth.canonical_string = recording
    try:
        check(v2.get_object_acl(Bucket="private", Key="v2/" + key)["Grants"] is not None,
              "signature_version='s3': GetObjectAcl (?acl is a signed sub-resource)")
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] == "SignatureDoesNotMatch" and signed and signed[-1].endswith("?acl?acl"):
            skip("this botocore signs '?acl?acl' for GetObjectAcl (its own HmacV1 bug; S3 refuses it too)")
        else:
            check(False, "signature_version='s3': GetObjectAcl: %s" % e)
    botocore.auth.HmacV1Auth.canonical_string = canonical_string
    url = v2.generate_presigned_url("get_object", Params={"Bucket": "private", "Key": "v2/" + key})
    check("AWSAccessKeyId=" in url and fetch(url)[1] == b"v2 header", "signature_version='s3': presigned GET")
    wrong = boto3.client("s3", endpoint_url=base, region_name="us-east-1", aws_access_key_id="test",
                         aws_secret_access_key="wrong",
                         config=Config(signature_version="s3", s3={"addressing_style": "path"},
                                       retries={"total_max_attempts": 1}))
    try:
        wrong.get_object(Bucket="private", Key="v2/" + key)
        check(False, "signature_version='s3' with a wrong secret is refused")
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        check(err["Code"] == "SignatureDoesNotMatch",
              "signature_version='s3' with a wrong secret: SignatureDoesNotMatch (%s)" % err["Code"])
except botocore.exceptions.UnknownSignatureVersionError:
    skip("this botocore has no signature_version='s3'")

# SigV4 still works alongside.
v4 = client(signature_version="s3v4")
v4.put_object(Bucket="private", Key="v4/" + key, Body=b"v4 header")
check(v4.get_object(Bucket="private", Key="v4/" + key)["Body"].read() == b"v4 header",
      "signature_version='s3v4': PutObject then GetObject")
check(len(v4.list_objects_v2(Bucket="private")["Contents"]) >= 3, "signature_version='s3v4': ListObjectsV2")
url = v4.generate_presigned_url("get_object", Params={"Bucket": "private", "Key": "v4/" + key})
check("X-Amz-Signature=" in url and fetch(url)[1] == b"v4 header", "signature_version='s3v4': presigned GET")
post = v4.generate_presigned_post("private", "v4forms/${filename}")
data, content_type = multipart(post["fields"], "n.txt", b"v4 form")
check(fetch(post["url"], data=data, method="POST", headers={"Content-Type": content_type})[0] == 204,
      "signature_version='s3v4': generate_presigned_post form upload")
print("done")
PY

ran=0
declare -A seen=()
for py in python3 /usr/bin/python3; do
  path=$(command -v "$py" 2>/dev/null) || continue
  "$path" -c 'import boto3' 2>/dev/null || { echo "# skip - $path has no boto3"; continue; }
  version=$("$path" -c 'import boto3; print(boto3.__version__)')
  [[ -n ${seen[$version]:-} ]] && continue
  seen[$version]=1
  ran=$((ran + 1))
  if "$path" "$tmp/sigv2.py" "$base" "boto3 $version" >"$tmp/py.out" 2>&1; then
    report "$tmp/py.out"
    grep -q '^done$' "$tmp/py.out" || not_ok "boto3 $version checks ran to the end"
  else
    report "$tmp/py.out"
    not_ok "boto3 $version checks ran to the end" "$(tail -n 20 "$tmp/py.out")"
  fi
done
[[ $ran -gt 0 ]] && ok "boto3 ran ($ran version(s))" || not_ok "no python3 with boto3 found"

# --- --no-sigv2: refused as S3's SigV4-only regions refuse it
stop_server
start_server --root "$tmp/root" --config "$tmp/config.json" --log-level warn --no-sigv2
if url=$(aws_cli s3 presign s3://private/cli.txt 2>/dev/null) && [[ $url == *AWSAccessKeyId=* ]]; then
  curl -s -o "$tmp/refused.xml" -w '%{http_code}' "$url" >"$tmp/refused.code"
  [[ $(cat "$tmp/refused.code") == 400 ]] && grep -q "<Code>InvalidRequest</Code>" "$tmp/refused.xml" &&
    grep -q "Please use AWS4-HMAC-SHA256." "$tmp/refused.xml" &&
    ok "--no-sigv2: a SigV2 presigned URL gets 400 InvalidRequest" ||
    not_ok "--no-sigv2 refusal" "$(cat "$tmp/refused.code") $(cat "$tmp/refused.xml")"
else
  echo "# skip - the aws CLI does not presign SigV2 here"
fi
check "--no-sigv2: SigV4 still works" aws_cli s3 cp s3://private/cli.txt "$tmp/cli-back.txt"

finish
