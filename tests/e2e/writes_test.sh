#!/usr/bin/env bash
# End-to-end test of conditional writes, checksums (CRC64NVME by default, multipart COMPOSITE and
# FULL_OBJECT), partNumber reads and GetObjectAttributes with real clients: boto3 (default and
# s3v4 signing), the aws CLI, curl with checksums computed here, and racing clients.
# Usage: bash tests/e2e/writes_test.sh /path/to/s3cors
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"

mkdir -p "$tmp/root/writes"
start_server --root "$tmp/root" --log-level warn --no-fsync

# --- boto3, with its default signing and with s3v4 forced: each check prints "ok - ..." or
# "not ok - ...", which is counted here.
for signing in default s3v4; do
  while IFS= read -r line; do
    case $line in
      "ok - "*) ok "boto3 ($signing): ${line#ok - }" ;;
      "not ok - "*) not_ok "boto3 ($signing): ${line#not ok - }" ;;
      *) echo "# $line" ;;
    esac
  done < <(python3 - "$base" "$signing" 2>&1 <<'PY'
import base64, concurrent.futures, hashlib, sys, zlib
import boto3, botocore
from botocore.config import Config

base, signing = sys.argv[1], sys.argv[2]
config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
if signing == "s3v4":
    config = config.merge(Config(signature_version="s3v4"))
def client():
    return boto3.client("s3", endpoint_url=base, aws_access_key_id="test", aws_secret_access_key="test",
                        region_name="us-east-1", config=config)
s3 = client()
prefix = signing + "/"

def check(description, condition, detail=""):
    print(("ok - " if condition else "not ok - ") + description + ("" if condition else " " + str(detail)))

def error_of(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"].get("Code"), e.response["Error"]
    return 200, None, None

key = prefix + "once"
s3.put_object(Bucket="writes", Key=key, Body=b"first", IfNoneMatch="*")
status, code, err = error_of(lambda: s3.put_object(Bucket="writes", Key=key, Body=b"second", IfNoneMatch="*"))
check("put_object(IfNoneMatch='*') of an existing key is 412 PreconditionFailed", (status, code) == (412, "PreconditionFailed"), (status, code))
etag = s3.head_object(Bucket="writes", Key=key)["ETag"]
status, code, _ = error_of(lambda: s3.put_object(Bucket="writes", Key=key, Body=b"x", IfMatch='"00000000000000000000000000000000"'))
check("put_object(IfMatch=other ETag) is 412", status == 412, (status, code))
s3.put_object(Bucket="writes", Key=key, Body=b"third", IfMatch=etag)
check("put_object(IfMatch=current ETag) replaces the object", s3.get_object(Bucket="writes", Key=key)["Body"].read() == b"third")

# Racing clients: of 8 If-None-Match writers of one key exactly one wins, the others get 412.
race_key = prefix + "race"
def racer(i):
    return error_of(lambda: client().put_object(Bucket="writes", Key=race_key, Body=b"racer %d" % i, IfNoneMatch="*"))[0]
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    statuses = sorted(pool.map(racer, range(8)))
check("8 racing put_object(IfNoneMatch='*'): one 200, seven 412", statuses == [200] + [412] * 7, statuses)

# CRC64NVME for an object uploaded without a checksum.
body = b"123456789"
# Raw PUT: boto3 itself would send a CRC32.
import urllib.request
req = urllib.request.Request(base + "/writes/" + prefix + "plain", data=body, method="PUT")
urllib.request.urlopen(req).read()
got = s3.get_object(Bucket="writes", Key=prefix + "plain", ChecksumMode="ENABLED")
check("get_object(ChecksumMode='ENABLED') returns the default CRC64NVME", got.get("ChecksumCRC64NVME") == "rosUhgp5mIg=", got.get("ChecksumCRC64NVME"))
check("... with ChecksumType FULL_OBJECT", got.get("ChecksumType") == "FULL_OBJECT", got.get("ChecksumType"))

# Multipart with SHA256 (COMPOSITE) and CRC32 (COMPOSITE, FULL_OBJECT).
part1, part2 = b"a" * (5 * 1024 * 1024), b"the end"
for algorithm, ctype in (("SHA256", None), ("CRC32", None), ("CRC32", "FULL_OBJECT")):
    mkey = prefix + "mp-" + algorithm + "-" + (ctype or "default")
    args = {"ChecksumAlgorithm": algorithm}
    if ctype:
        args["ChecksumType"] = ctype
    created = s3.create_multipart_upload(Bucket="writes", Key=mkey, **args)
    check(f"create_multipart_upload({algorithm}) echoes the algorithm", created.get("ChecksumAlgorithm") == algorithm, created.get("ChecksumAlgorithm"))
    expected_type = ctype or "COMPOSITE"
    check(f"... and the type {expected_type}", created.get("ChecksumType") == expected_type, created.get("ChecksumType"))
    parts = []
    for number, data in ((1, part1), (2, part2)):
        up = s3.upload_part(Bucket="writes", Key=mkey, UploadId=created["UploadId"], PartNumber=number, Body=data, ChecksumAlgorithm=algorithm)
        parts.append({"PartNumber": number, "ETag": up["ETag"], "Checksum" + algorithm: up["Checksum" + algorithm]})
    listed = s3.list_parts(Bucket="writes", Key=mkey, UploadId=created["UploadId"])
    check(f"list_parts({algorithm}) returns each part's checksum", [p.get("Checksum" + algorithm) for p in listed["Parts"]] == [p["Checksum" + algorithm] for p in parts])
    done = s3.complete_multipart_upload(Bucket="writes", Key=mkey, UploadId=created["UploadId"], MultipartUpload={"Parts": parts}, IfNoneMatch="*")
    raw = [base64.b64decode(p["Checksum" + algorithm]) for p in parts]
    if expected_type == "COMPOSITE":
        digest = hashlib.sha256(b"".join(raw)).digest() if algorithm == "SHA256" else zlib.crc32(b"".join(raw)).to_bytes(4, "big")
        expected = base64.b64encode(digest).decode() + "-2"
    else:
        expected = base64.b64encode(zlib.crc32(part1 + part2).to_bytes(4, "big")).decode()
    check(f"complete_multipart_upload({algorithm}, {expected_type}) returns the object's checksum", done.get("Checksum" + algorithm) == expected, (done.get("Checksum" + algorithm), expected))
    got = s3.head_object(Bucket="writes", Key=mkey, ChecksumMode="ENABLED")
    check(f"head_object(ChecksumMode) of the {algorithm} upload", got.get("Checksum" + algorithm) == expected and got.get("ChecksumType") == expected_type, got.get("Checksum" + algorithm))
    # A retried completion of a completed upload gets the same answer; other parts do not.
    again = s3.complete_multipart_upload(Bucket="writes", Key=mkey, UploadId=created["UploadId"], MultipartUpload={"Parts": parts})
    check("complete_multipart_upload retried: 200 with the same ETag and checksum", again["ETag"] == done["ETag"] and again.get("Checksum" + algorithm) == expected, again.get("ETag"))
    status, code, _ = error_of(lambda: s3.complete_multipart_upload(Bucket="writes", Key=mkey, UploadId=created["UploadId"], MultipartUpload={"Parts": parts[:1]}))
    check("complete_multipart_upload retried with other parts: NoSuchUpload", (status, code) == (404, "NoSuchUpload"), (status, code))
    status, code, _ = error_of(lambda: s3.list_parts(Bucket="writes", Key=mkey, UploadId=created["UploadId"]))
    check("list_parts of a completed upload: NoSuchUpload", (status, code) == (404, "NoSuchUpload"), (status, code))

mkey = prefix + "mp-SHA256-default"
part = s3.head_object(Bucket="writes", Key=mkey, PartNumber=2)
check("head_object(PartNumber=2) is 206 with that part's length", part["ResponseMetadata"]["HTTPStatusCode"] == 206 and part["ContentLength"] == len(part2), part["ResponseMetadata"]["HTTPStatusCode"])
check("... and PartsCount 2", part.get("PartsCount") == 2, part.get("PartsCount"))
check("get_object(PartNumber=1) reads the first part", s3.get_object(Bucket="writes", Key=mkey, PartNumber=1)["Body"].read() == part1)
status, code, _ = error_of(lambda: s3.head_object(Bucket="writes", Key=mkey, PartNumber=3))
check("head_object(PartNumber=3) of two parts is 416", status == 416, (status, code))

attributes = s3.get_object_attributes(Bucket="writes", Key=mkey, ObjectAttributes=["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"])
check("get_object_attributes: ObjectSize", attributes.get("ObjectSize") == len(part1) + len(part2), attributes.get("ObjectSize"))
check("get_object_attributes: ObjectParts", attributes.get("ObjectParts", {}).get("TotalPartsCount") == 2 and [p["Size"] for p in attributes["ObjectParts"]["Parts"]] == [len(part1), len(part2)], attributes.get("ObjectParts"))
check("get_object_attributes: Checksum", attributes.get("Checksum", {}).get("ChecksumType") == "COMPOSITE", attributes.get("Checksum"))
check("get_object_attributes: ETag unquoted, StorageClass", attributes.get("ETag") == s3.head_object(Bucket="writes", Key=mkey)["ETag"].strip('"') and attributes.get("StorageClass") == "STANDARD", attributes.get("ETag"))
PY
)
done

# --- aws CLI v1: put-object --if-none-match, where the installed CLI has it.
echo data >"$tmp/data.txt"
if aws_cli s3api put-object help 2>/dev/null | grep -q -- '--if-none-match'; then
  check "aws s3api put-object --if-none-match '*' of a new key" \
    aws_cli s3api put-object --bucket writes --key cli/once --body "$tmp/data.txt" --if-none-match '*'
  if aws_cli s3api put-object --bucket writes --key cli/once --body "$tmp/data.txt" --if-none-match '*' \
    >"$tmp/cli.out" 2>&1; then
    not_ok "aws s3api put-object --if-none-match '*' of an existing key fails"
  else
    grep -q PreconditionFailed "$tmp/cli.out" && ok "aws s3api put-object --if-none-match '*' again: PreconditionFailed" ||
      not_ok "aws CLI reports PreconditionFailed" "$(cat "$tmp/cli.out")"
  fi
else
  echo "# skipped: this aws CLI has no put-object --if-none-match"
fi

# --- curl with checksums computed here (boto3 lacks CRC32C/CRC64NVME without botocore[crt]).
crc32c=$(python3 -c 'import base64
def crc32c(d):
    c = 0xFFFFFFFF
    for b in d:
        c ^= b
        for _ in range(8): c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF
print(base64.b64encode(crc32c(b"123456789").to_bytes(4, "big")).decode())')
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "x-amz-checksum-crc32c: $crc32c" --data-binary 123456789 "$base/writes/curl/c")
[[ $status == 200 ]] && ok "curl PUT with x-amz-checksum-crc32c" || not_ok "curl PUT crc32c: $status"
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "x-amz-checksum-crc64nvme: AAAAAAAAAAA=" --data-binary 123456789 "$base/writes/curl/bad")
[[ $status == 400 ]] && ok "curl PUT with a wrong x-amz-checksum-crc64nvme is 400" || not_ok "curl PUT wrong crc64nvme: $status"
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "x-amz-checksum-crc64nvme: rosUhgp5mIg=" --data-binary 123456789 "$base/writes/curl/good")
[[ $status == 200 ]] && ok "curl PUT with the right x-amz-checksum-crc64nvme" || not_ok "curl PUT crc64nvme: $status"
curl -s -D "$tmp/head.txt" -o /dev/null -I -H "x-amz-checksum-mode: ENABLED" "$base/writes/curl/c"
grep -qi "^x-amz-checksum-crc32c: $crc32c" "$tmp/head.txt" && ok "HEAD with checksum mode returns the CRC32C sent" ||
  not_ok "HEAD crc32c" "$(cat "$tmp/head.txt")"
curl -s -o "$tmp/err.xml" -w '%{http_code}' -X PUT -H "If-None-Match: \"abc\"" --data-binary x "$base/writes/curl/c" >"$tmp/status"
[[ $(cat "$tmp/status") == 501 ]] && grep -q NotImplemented "$tmp/err.xml" && ok "If-None-Match other than * on PUT is 501 NotImplemented" ||
  not_ok "If-None-Match etag on PUT" "$(cat "$tmp/status") $(cat "$tmp/err.xml")"

finish
