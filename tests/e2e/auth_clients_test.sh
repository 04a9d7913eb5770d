#!/usr/bin/env bash
# End-to-end test of authentication, metadata and ACLs with real clients: s3cors runs with
# credentials configured, so every aws CLI and boto3 request below is verified (SigV4 headers,
# streaming aws-chunked signatures, presigned URLs, POST policies).
# Usage: bash tests/e2e/auth_clients_test.sh /path/to/s3cors
set -uo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
e2e_begin "$@"

# aws_cli (lib/common.sh) signs with test/test: configure exactly that pair.
mkdir -p "$tmp/root/media"
cat >"$tmp/config.json" <<'EOF'
{"credentials": [{"access_key_id": "test", "secret_access_key": "test"}],
 "buckets": {"media": {"acl": "public-read"}}}
EOF
start_server --root "$tmp/root" --config "$tmp/config.json" --log-level warn

# --- aws CLI, signed with the configured key
head -c 3000000 /dev/urandom >"$tmp/clip.ts"
check "aws s3 mb with credentials" aws_cli s3 mb s3://private
check "aws s3 cp up (signed upload)" aws_cli s3 cp "$tmp/clip.ts" s3://private/clip.ts
check "aws s3 cp down" aws_cli s3 cp s3://private/clip.ts "$tmp/back.ts"
cmp -s "$tmp/clip.ts" "$tmp/back.ts" && ok "the download equals the upload" || not_ok "downloaded bytes"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$tmp/big.mp4"
check "aws s3 cp of a 12 MiB file (signed multipart upload)" aws_cli s3 cp "$tmp/big.mp4" s3://private/big.mp4
cmp -s "$tmp/big.mp4" "$tmp/root/private/big.mp4" && ok "the multipart object is the file" ||
  not_ok "multipart bytes"

wrong_key() { # the aws CLI with a wrong secret
  env AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=wrong AWS_DEFAULT_REGION=us-east-1 \
    AWS_CONFIG_FILE="$tmp/aws.config" AWS_SHARED_CREDENTIALS_FILE="$tmp/aws.credentials" \
    AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1 AWS_PAGER="" \
    aws --endpoint-url "$base" --cli-connect-timeout 5 --cli-read-timeout 30 "$@"
}
if wrong_key s3 cp s3://private/clip.ts "$tmp/nope.ts" >"$tmp/wrong.out" 2>&1; then
  not_ok "a wrong secret is refused"
else
  grep -q -e SignatureDoesNotMatch -e "403" "$tmp/wrong.out" && ok "a wrong secret is refused (403)" ||
    not_ok "wrong-secret error" "$(cat "$tmp/wrong.out")"
fi
if wrong_key s3 cp "$tmp/clip.ts" s3://private/forged.ts >"$tmp/wrong-put.out" 2>&1; then
  not_ok "an upload signed with a wrong secret is refused"
else
  grep -q SignatureDoesNotMatch "$tmp/wrong-put.out" && ok "an upload signed with a wrong secret: SignatureDoesNotMatch" ||
    not_ok "wrong-secret upload error" "$(cat "$tmp/wrong-put.out")"
fi
[[ ! -e $tmp/root/private/forged.ts ]] && ok "the forged upload stored nothing" || not_ok "forged upload stored"

# --- anonymous requests follow the ACLs: media is public-read (config file), private is not
echo "segment" >"$tmp/root/media/seg.ts"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[[ $(code "$base/media/seg.ts") == 200 ]] && ok "anonymous GET in the public-read bucket: 200" ||
  not_ok "anonymous GET public-read"
[[ $(code -X PUT --data-binary x "$base/media/anon.ts") == 403 ]] &&
  ok "anonymous PUT in the public-read bucket: 403" || not_ok "anonymous PUT public-read"
[[ $(code "$base/private/clip.ts") == 403 ]] && ok "anonymous GET in a private bucket: 403" ||
  not_ok "anonymous GET private"

# --- boto3: metadata, copy directives, UploadPartCopy, ACLs, presigned URL and POST policy
if python3 - "$base" "$tmp" >"$tmp/boto3.out" 2>&1 <<'PY'; then
import hashlib, sys, urllib.error, urllib.request, uuid
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
base, tmp = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=base, region_name="us-east-1", aws_access_key_id="test",
                  aws_secret_access_key="test",
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                retries={"total_max_attempts": 1}))
def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)

s3.put_object(Bucket="private", Key="meta.txt", Body=b"with metadata", ContentType="text/plain",
              CacheControl="max-age=60", ContentDisposition='attachment; filename="m.txt"',
              Metadata={"camera": "north-gate"}, ChecksumAlgorithm="SHA256")
head = s3.head_object(Bucket="private", Key="meta.txt", ChecksumMode="ENABLED")
check(head["ContentType"] == "text/plain" and head["CacheControl"] == "max-age=60"
      and head["ContentDisposition"] == 'attachment; filename="m.txt"', "boto3: system metadata set at upload comes back")
check(head["Metadata"] == {"camera": "north-gate"}, "boto3: x-amz-meta-* comes back: %r" % head["Metadata"])
check(head.get("ChecksumSHA256") is not None, "boto3: the stored SHA-256 checksum comes back with ChecksumMode")

s3.copy_object(Bucket="private", Key="meta-copy.txt", CopySource="private/meta.txt")
check(s3.head_object(Bucket="private", Key="meta-copy.txt")["Metadata"] == {"camera": "north-gate"},
      "boto3: CopyObject (COPY) keeps the metadata")
s3.copy_object(Bucket="private", Key="meta-copy.txt", CopySource="private/meta.txt",
               MetadataDirective="REPLACE", ContentType="text/csv", Metadata={"note": "new"})
replaced = s3.head_object(Bucket="private", Key="meta-copy.txt")
check(replaced["Metadata"] == {"note": "new"} and replaced["ContentType"] == "text/csv",
      "boto3: CopyObject (REPLACE) replaces it")

# UploadPartCopy: a 6 MiB object copied as two ranges into a multipart upload
source = bytes(uuid.uuid4().bytes * (6 * 1024 * 1024 // 16))
s3.put_object(Bucket="private", Key="source.bin", Body=source)
upload = s3.create_multipart_upload(Bucket="private", Key="joined.bin", ContentType="video/mp4")
split = 5 * 1024 * 1024
parts = []
for number, span in ((1, f"bytes=0-{split - 1}"), (2, f"bytes={split}-{len(source) - 1}")):
    copied = s3.upload_part_copy(Bucket="private", Key="joined.bin", UploadId=upload["UploadId"], PartNumber=number,
                                 CopySource={"Bucket": "private", "Key": "source.bin"}, CopySourceRange=span)
    parts.append({"PartNumber": number, "ETag": copied["CopyPartResult"]["ETag"]})
s3.complete_multipart_upload(Bucket="private", Key="joined.bin", UploadId=upload["UploadId"],
                             MultipartUpload={"Parts": parts})
joined = s3.get_object(Bucket="private", Key="joined.bin")
check(joined["Body"].read() == source and joined["ContentType"] == "video/mp4",
      "boto3: UploadPartCopy with ranges assembles the source, with the upload's metadata")

# ACLs: a bucket made by `aws s3 mb` has S3's defaults (ACLs disabled, public access
# blocked); the owner turns ACLs on and lifts the block as on S3.
try:
    s3.put_object_acl(Bucket="private", Key="meta.txt", ACL="public-read")
    check(False, "boto3: PutObjectAcl in a new bucket is refused")
except ClientError as e:
    check(e.response["Error"]["Code"] == "AccessControlListNotSupported",
          "boto3: PutObjectAcl in a new bucket: AccessControlListNotSupported")
s3.put_bucket_ownership_controls(Bucket="private",
                                 OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
s3.delete_public_access_block(Bucket="private")
s3.put_object_acl(Bucket="private", Key="meta.txt", ACL="public-read")
grants = s3.get_object_acl(Bucket="private", Key="meta.txt")["Grants"]
check(any(g["Grantee"].get("URI", "").endswith("/AllUsers") and g["Permission"] == "READ" for g in grants),
      "boto3: PutObjectAcl public-read shows in GetObjectAcl")
with urllib.request.urlopen(f"{base}/private/meta.txt") as r:
    check(r.read() == b"with metadata", "anonymous GET of the public-read object in a private bucket")
check(s3.get_bucket_acl(Bucket="media")["Grants"][-1]["Permission"] == "READ",
      "boto3: GetBucketAcl shows the config file's public-read")

# Presigned GET and PUT
url = s3.generate_presigned_url("get_object", Params={"Bucket": "private", "Key": "source.bin"}, ExpiresIn=60)
with urllib.request.urlopen(url) as r:
    check(hashlib.md5(r.read()).hexdigest() == hashlib.md5(source).hexdigest(), "presigned GET URL works")
put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "private", "Key": "presigned.txt"}, ExpiresIn=60)
req = urllib.request.Request(put_url, data=b"via presigned PUT", method="PUT")
with urllib.request.urlopen(req) as r:
    check(r.status == 200, "presigned PUT URL works")
try:
    urllib.request.urlopen(url.replace("source.bin", "meta.txt"))
    check(False, "a presigned URL edited to another key is refused")
except urllib.error.HTTPError as e:
    check(e.code == 403 and b"SignatureDoesNotMatch" in e.read(), "a presigned URL edited to another key: 403 SignatureDoesNotMatch")

# POST policy (HTML form upload) as generate_presigned_post builds it
post = s3.generate_presigned_post("private", "forms/${filename}",
                                  Fields={"success_action_status": "201"},
                                  Conditions=[{"success_action_status": "201"}, ["content-length-range", 1, 1000]])
boundary = "----s3cors" + uuid.uuid4().hex
body = b""
for name, value in post["fields"].items():
    body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\n'
         f'Content-Type: text/plain\r\n\r\n').encode() + b"posted" + f"\r\n--{boundary}--\r\n".encode()
req = urllib.request.Request(post["url"], data=body, method="POST",
                             headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
with urllib.request.urlopen(req) as r:
    check(r.status == 201 and b"<Key>forms/note.txt</Key>" in r.read(), "POST form from generate_presigned_post: 201")
check(s3.get_object(Bucket="private", Key="forms/note.txt")["Body"].read() == b"posted", "the POSTed object is stored")

wrong = boto3.client("s3", endpoint_url=base, region_name="us-east-1", aws_access_key_id="nobody",
                     aws_secret_access_key="x", config=Config(s3={"addressing_style": "path"},
                                                              retries={"total_max_attempts": 1}))
try:
    wrong.list_objects_v2(Bucket="private")
    check(False, "an unknown access key is refused")
except Exception as e:
    check("InvalidAccessKeyId" in str(e), "an unknown access key: InvalidAccessKeyId")
PY
  while IFS= read -r line; do
    case $line in
      "ok - "*) ok "${line#ok - }" ;;
      "not ok - "*) not_ok "${line#not ok - }" ;;
    esac
  done <"$tmp/boto3.out"
else
  not_ok "boto3 checks ran to the end" "$(tail -n 20 "$tmp/boto3.out")"
fi

finish
