#!/usr/bin/env python3
"""boto3 side of tests/e2e/browser_upload_test.sh: what a web app's backend would do.

  s3tool.py plan --site DIR --out DIR PHASE:BUCKET:STEPS...
      for each phase (STEPS: comma-separated of put, putBadSig, multipart, post, postXhr,
      postTooLarge) writes random
      test files into SITE/data/, creates the multipart upload (a signed call), presigns
      PutObject, UploadPart (x2) and CompleteMultipartUpload URLs and POST policies, and
      writes the plan the page's window.runUploads() takes to OUT/PHASE.json. A PHASE
      ending in "-v2" is presigned with Signature Version 2 (signature_version="s3", what
      boto3's generate_presigned_url/_post give against a custom endpoint by default); its
      presigned PUT signs the Content-Type the page sends (SigV2 signs it, SigV4 here does not).
  s3tool.py inspect PLAN...
      for every upload in the plans, one line "PHASE<TAB>STEP<TAB>stored|missing<TAB>DETAIL":
      stored objects are compared byte for byte with the file the page uploaded; for a
      multipart upload also "PHASE<TAB>multipart-parts<TAB>N|gone<TAB>..." (the parts the
      server holds, or "gone" once completed).

The endpoint and key come from S3CORS_ENDPOINT, S3CORS_TEST_KEY_ID and S3CORS_TEST_SECRET.
One process for all phases: importing boto3 is the slow part.
"""
import argparse
import base64
import hashlib
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

PART_SIZE = 5 * 1024 * 1024  # S3's minimum size for every part but the last


def client(signature_version="s3v4"):
    options = {
        "signature_version": signature_version,
        "s3": {"addressing_style": "path"},
        "retries": {"max_attempts": 1},
        "connect_timeout": 5,
        "read_timeout": 30,
    }
    # botocore >= 1.36 adds CRC32 checksums by default; Debian 12's python3-boto3 predates
    # (and refuses) these options.
    if "request_checksum_calculation" in Config.OPTION_DEFAULTS:
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3CORS_ENDPOINT"],
        region_name="us-east-1",
        aws_access_key_id=os.environ["S3CORS_TEST_KEY_ID"],
        aws_secret_access_key=os.environ["S3CORS_TEST_SECRET"],
        config=Config(**options),
    )


def write_file(site, name, size):
    data = os.urandom(size)
    os.makedirs(os.path.join(site, "data"), exist_ok=True)
    with open(os.path.join(site, "data", name), "wb") as f:
        f.write(data)
    return "data/" + name, data


def plan_phase(s3, site, phase, bucket, steps):
    out = {"phase": phase, "bucket": bucket}
    expires = 900
    if "put" in steps:
        key = f"{phase}/put.bin"
        path, data = write_file(site, f"{phase}-put.bin", 200 * 1024 + 17)
        params = {"Bucket": bucket, "Key": key}
        if phase.endswith("-v2"):
            params["ContentType"] = "application/octet-stream"
        out["put"] = {
            "key": key,
            "file": path,
            "md5": hashlib.md5(data).hexdigest(),
            "sha256": hashlib.sha256(data).hexdigest(),
            "url": s3.generate_presigned_url("put_object", Params=params, ExpiresIn=expires),
        }
        if "ContentType" in params:
            out["put"]["contentType"] = params["ContentType"]
    if "putBadSig" in steps:
        # A presigned URL whose signature was altered: S3 answers 403 SignatureDoesNotMatch.
        key = f"{phase}/bad-signature.bin"
        path, data = write_file(site, f"{phase}-bad-signature.bin", 1000)
        url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires)
        last = url[-1]
        out["putBadSig"] = {
            "key": key,
            "file": path,
            "sha256": hashlib.sha256(data).hexdigest(),
            "url": url[:-1] + ("1" if last == "0" else "0"),
        }
    if "multipart" in steps:
        key = f"{phase}/multipart.bin"
        path, data = write_file(site, f"{phase}-multipart.bin", PART_SIZE + 300 * 1024 + 5)
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        chunks = [(0, PART_SIZE), (PART_SIZE, len(data))]
        parts = []
        digests = []
        for number, (start, end) in enumerate(chunks, start=1):
            digest = hashlib.md5(data[start:end])
            digests.append(digest.digest())
            parts.append({
                "number": number,
                "start": start,
                "end": end,
                "expectedEtag": f'"{digest.hexdigest()}"',
                "url": s3.generate_presigned_url(
                    "upload_part",
                    Params={"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": number},
                    ExpiresIn=expires),
            })
        out["multipart"] = {
            "key": key,
            "file": path,
            "uploadId": upload_id,
            "parts": parts,
            "etag": f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(parts)}"',
            "sha256": hashlib.sha256(data).hexdigest(),
            "completeUrl": s3.generate_presigned_url(
                "complete_multipart_upload",
                Params={"Bucket": bucket, "Key": key, "UploadId": upload_id},
                ExpiresIn=expires),
        }
    for step in ("post", "postXhr"):
        if step not in steps:
            continue
        filename = f"{phase}-{step}.bin"
        path, data = write_file(site, filename, 64 * 1024 + 3)
        # What a backend hands a browser for a form upload: the key prefix is fixed, the
        # browser's file name fills ${filename}, the size is bounded.
        post = s3.generate_presigned_post(
            Bucket=bucket,
            Key="uploads/${filename}",
            Fields={"success_action_status": "201"},
            Conditions=[{"success_action_status": "201"}, ["content-length-range", 1, 10 * 1024 * 1024]],
            ExpiresIn=expires,
        )
        out[step] = {
            "url": post["url"],
            "fields": post["fields"],
            "file": path,
            "filename": filename,
            "key": f"uploads/{filename}",
            "md5": hashlib.md5(data).hexdigest(),
            "sha256": hashlib.sha256(data).hexdigest(),
            "policy": json.loads(base64.b64decode(post["fields"]["policy"])),
        }
    if "postTooLarge" in steps:
        # A policy allowing at most 1 KiB, and a 64 KiB file: 400 EntityTooLarge.
        filename = f"{phase}-too-large.bin"
        path, data = write_file(site, filename, 64 * 1024)
        post = s3.generate_presigned_post(
            Bucket=bucket,
            Key="uploads/${filename}",
            Fields={"success_action_status": "201"},
            Conditions=[{"success_action_status": "201"}, ["content-length-range", 1, 1024]],
            ExpiresIn=expires,
        )
        out["postTooLarge"] = {
            "url": post["url"],
            "fields": post["fields"],
            "file": path,
            "filename": filename,
            "key": f"uploads/{filename}",
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    return out


def plan(args):
    s3 = client()
    s3_v2 = client("s3")
    os.makedirs(args.out, exist_ok=True)
    for spec in args.phases:
        phase, bucket, steps = spec.split(":")
        p = plan_phase(s3_v2 if phase.endswith("-v2") else s3, args.site, phase, bucket, steps.split(","))
        with open(os.path.join(args.out, phase + ".json"), "w") as f:
            json.dump(p, f, indent=1)
            f.write("\n")


def inspect(args):
    s3 = client()
    for plan_file in args.plans:
        with open(plan_file) as f:
            p = json.load(f)
        phase, bucket = p["phase"], p["bucket"]
        for step in ("put", "putBadSig", "multipart", "post", "postXhr", "postTooLarge"):
            if step not in p:
                continue
            item = p[step]
            try:
                got = s3.get_object(Bucket=bucket, Key=item["key"])
                body = got["Body"].read()
                same = hashlib.sha256(body).hexdigest() == item["sha256"]
                print(f"{phase}\t{step}\tstored\t{'same bytes' if same else 'DIFFERENT bytes'} "
                      f"({len(body)} bytes, ETag {got['ETag']}) at {bucket}/{item['key']}")
            except ClientError as e:
                print(f"{phase}\t{step}\tmissing\t{e.response['Error'].get('Code')} for {bucket}/{item['key']}")
        if "multipart" in p:
            m = p["multipart"]
            try:
                parts = s3.list_parts(Bucket=bucket, Key=m["key"], UploadId=m["uploadId"]).get("Parts", [])
                print(f"{phase}\tmultipart-parts\t{len(parts)}\tListParts lists {len(parts)} part(s)")
            except ClientError as e:
                print(f"{phase}\tmultipart-parts\tgone\tListParts: {e.response['Error'].get('Code')}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("plan")
    a.add_argument("--site", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("phases", nargs="+", metavar="PHASE:BUCKET:STEPS")
    b = sub.add_parser("inspect")
    b.add_argument("plans", nargs="+", metavar="PLAN")
    args = ap.parse_args()
    {"plan": plan, "inspect": inspect}[args.cmd](args)


if __name__ == "__main__":
    main()
