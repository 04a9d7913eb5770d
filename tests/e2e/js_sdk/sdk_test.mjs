// End-to-end checks of s3cors with the AWS SDK for JavaScript v3 (@aws-sdk/client-s3 and
// @aws-sdk/lib-storage). Run by tests/e2e/js_sdk_test.sh:
//   node sdk_test.mjs --endpoint http://127.0.0.1:PORT [--bucket NAME]
// Prints one "ok - ..." or "not ok - ..." line per check (details as "#   ..." lines) and
// exits 0 exactly when every check passed. Every request is bounded (5 s to connect, 30 s
// per request, no retries), and the whole run by --deadline-ms (default 80 s).
import { createHash, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";

import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  DeleteObjectTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const { values: args } = parseArgs({
  options: {
    endpoint: { type: "string" },
    bucket: { type: "string", default: "js-sdk" },
    "deadline-ms": { type: "string", default: "80000" },
  },
});
if (!args.endpoint) {
  console.error("usage: node sdk_test.mjs --endpoint http://127.0.0.1:PORT [--bucket NAME]");
  process.exit(2);
}

let passed = 0;
let failed = 0;
const ok = (description) => {
  passed++;
  console.log(`ok - ${description}`);
};
const notOk = (description, ...details) => {
  failed++;
  console.log(`not ok - ${description}`);
  for (const detail of details) {
    for (const line of String(detail).split("\n").slice(0, 12)) console.log(`#   ${line}`);
  }
};
const expect = (description, condition, ...details) =>
  condition ? ok(description) : notOk(description, ...details);
const describeError = (error) => {
  const meta = error?.$metadata ?? {};
  const status = meta.httpStatusCode ? ` (HTTP ${meta.httpStatusCode})` : "";
  return `${error?.name ?? "Error"}${status}: ${error?.message ?? error}`;
};
// step DESCRIPTION FN: runs FN; ok when it resolves, not ok (with the error) when it throws.
// Returns FN's result, or undefined after a failure.
const step = async (description, fn) => {
  try {
    const result = await fn();
    ok(description);
    return result;
  } catch (error) {
    notOk(description, describeError(error));
    return undefined;
  }
};
const md5Hex = (data) => createHash("md5").update(data).digest("hex");

// Backstop: the run as a whole never outlives its deadline.
const deadline = setTimeout(() => {
  notOk(`the SDK checks finish within ${args["deadline-ms"]} ms`);
  console.log(`# sdk_test.mjs: ${passed} passed, ${failed} failed`);
  process.exit(1);
}, Number(args["deadline-ms"]));
deadline.unref();

const client = new S3Client({
  endpoint: args.endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
  requestHandler: { connectionTimeout: 5000, requestTimeout: 30000 },
});

const bucket = args.bucket;
const smallKey = "docs/hello.txt";
const smallBody = "hello from the AWS SDK for JavaScript v3\n";
const bigKey = "video/big.bin";
const partSize = 5 * 1024 * 1024;
const bigBody = randomBytes(12 * 1024 * 1024);

// --- bucket
await step(`CreateBucket ${bucket}`, () => client.send(new CreateBucketCommand({ Bucket: bucket })));

// --- single PUT, GET, list, HEAD
const put = await step(`PutObject ${smallKey} (string body)`, () =>
  client.send(new PutObjectCommand({ Bucket: bucket, Key: smallKey, Body: smallBody })),
);
if (put) {
  expect(
    "PutObject ETag is the MD5 of the body",
    put.ETag === `"${md5Hex(smallBody)}"`,
    `got ${put.ETag}`,
    `want "${md5Hex(smallBody)}"`,
  );
}
const got = await step(`GetObject ${smallKey}`, () =>
  client.send(new GetObjectCommand({ Bucket: bucket, Key: smallKey })),
);
if (got) {
  let text;
  try {
    text = await got.Body.transformToString();
  } catch (error) {
    text = `<reading the body failed: ${describeError(error)}>`;
  }
  expect("GetObject body equals the uploaded string", text === smallBody, `got ${JSON.stringify(text)}`);
  expect(
    "GetObject ETag is the MD5 of the body",
    got.ETag === `"${md5Hex(smallBody)}"`,
    `got ${got.ETag}`,
    `want "${md5Hex(smallBody)}"`,
  );
}
const listed = await step("ListObjectsV2", () => client.send(new ListObjectsV2Command({ Bucket: bucket })));
if (listed) {
  const keys = (listed.Contents ?? []).map((object) => object.Key);
  const entry = (listed.Contents ?? []).find((object) => object.Key === smallKey);
  expect(
    `ListObjectsV2 lists ${smallKey} with its size`,
    entry !== undefined && entry.Size === Buffer.byteLength(smallBody),
    `keys: ${JSON.stringify(keys)}`,
    `entry: ${JSON.stringify(entry)}`,
  );
}
const head = await step(`HeadObject ${smallKey}`, () =>
  client.send(new HeadObjectCommand({ Bucket: bucket, Key: smallKey })),
);
if (head) {
  expect(
    `HeadObject ContentLength is ${Buffer.byteLength(smallBody)}`,
    head.ContentLength === Buffer.byteLength(smallBody),
    `got ${head.ContentLength}`,
  );
}

// --- multipart upload through lib-storage: 12 MiB in 5 MiB parts -> 3 parts (5 + 5 + 2 MiB)
const parts = [];
for (let offset = 0; offset < bigBody.length; offset += partSize) {
  parts.push(bigBody.subarray(offset, offset + partSize));
}
const wantMultipartEtag = `"${md5Hex(Buffer.concat(parts.map((p) => createHash("md5").update(p).digest())))}-${parts.length}"`;
const upload = new Upload({
  client,
  params: { Bucket: bucket, Key: bigKey, Body: bigBody },
  partSize,
  queueSize: 3,
  leavePartsOnError: false,
});
const uploaded = await step(`Upload (lib-storage) of 12 MiB with partSize 5 MiB to ${bigKey}`, () => upload.done());
if (uploaded) {
  expect(
    'multipart ETag ends with -3"',
    typeof uploaded.ETag === "string" && uploaded.ETag.endsWith('-3"'),
    `got ${uploaded.ETag}`,
  );
  expect(
    "multipart ETag is the MD5 of the part MD5s, -3",
    uploaded.ETag === wantMultipartEtag,
    `got ${uploaded.ETag}`,
    `want ${wantMultipartEtag}`,
  );
}
const bigGot = await step(`GetObject ${bigKey}`, () =>
  client.send(new GetObjectCommand({ Bucket: bucket, Key: bigKey })),
);
if (bigGot) {
  expect(
    `GetObject ContentLength of the multipart object is ${bigBody.length}`,
    bigGot.ContentLength === bigBody.length,
    `got ${bigGot.ContentLength}`,
  );
  let bytes;
  try {
    bytes = Buffer.from(await bigGot.Body.transformToByteArray());
  } catch (error) {
    notOk("reading the multipart object's body", describeError(error));
  }
  if (bytes) {
    expect(
      "the downloaded multipart object equals the uploaded 12 MiB, byte for byte",
      bytes.length === bigBody.length && bytes.equals(bigBody),
      `got ${bytes.length} bytes (md5 ${md5Hex(bytes)})`,
      `want ${bigBody.length} bytes (md5 ${md5Hex(bigBody)})`,
    );
  }
}

// --- tagging and ListObjectVersions
await step(`PutObjectTagging ${smallKey}`, () =>
  client.send(
    new PutObjectTaggingCommand({
      Bucket: bucket,
      Key: smallKey,
      Tagging: { TagSet: [{ Key: "lang", Value: "en" }, { Key: "kind", Value: "doc" }] },
    }),
  ),
);
const tagged = await step(`GetObjectTagging ${smallKey}`, () =>
  client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: smallKey })),
);
if (tagged) {
  expect(
    "GetObjectTagging returns the tags in order",
    JSON.stringify(tagged.TagSet) === JSON.stringify([{ Key: "lang", Value: "en" }, { Key: "kind", Value: "doc" }]),
    `TagSet: ${JSON.stringify(tagged.TagSet)}`,
  );
}
const tagCount = await step(`GetObject ${smallKey} after tagging`, () =>
  client.send(new GetObjectCommand({ Bucket: bucket, Key: smallKey })),
);
if (tagCount) {
  await tagCount.Body?.transformToString();
  expect("GetObject reports TagCount 2", tagCount.TagCount === 2, `TagCount: ${tagCount.TagCount}`);
}
await step(`DeleteObjectTagging ${smallKey}`, () =>
  client.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: smallKey })),
);
const versions = await step("ListObjectVersions", () =>
  client.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1 })),
);
if (versions) {
  const first = (versions.Versions ?? [])[0];
  expect(
    "ListObjectVersions pages one null version at a time",
    first?.VersionId === "null" && first?.IsLatest === true && versions.IsTruncated === true && !!versions.NextKeyMarker,
    `Versions: ${JSON.stringify(versions.Versions)}`,
    `IsTruncated: ${versions.IsTruncated}, NextKeyMarker: ${versions.NextKeyMarker}`,
  );
}
// --- folder keys: "photos/" (the console's "Create folder"), and "a/b" beside "a/b/c"
const folderKeys = ["photos/", "a/b", "a/b/c"];
for (const key of folderKeys) {
  await step(`PutObject ${key}`, () =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key.endsWith("/") ? "" : `body of ${key}` })),
  );
}
const keysOf = (page) => (page?.Contents ?? []).map((object) => object.Key);
const prefixesOf = (page) => (page?.CommonPrefixes ?? []).map((entry) => entry.Prefix);
const all = await step("ListObjectsV2 with the folder keys", () =>
  client.send(new ListObjectsV2Command({ Bucket: bucket })),
);
if (all) {
  const want = ["a/b", "a/b/c", smallKey, bigKey, "photos/"].sort();
  expect(
    "ListObjectsV2 lists a/b, a/b/c and photos/ in byte order",
    JSON.stringify(keysOf(all)) === JSON.stringify(want),
    `got ${JSON.stringify(keysOf(all))}`,
    `want ${JSON.stringify(want)}`,
  );
}
const top = await step("ListObjectsV2 with Delimiter /", () =>
  client.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/" })),
);
if (top) {
  expect(
    "photos/ and a/ are common prefixes, no key is at the top",
    JSON.stringify(prefixesOf(top)) === JSON.stringify(["a/", "docs/", "photos/", "video/"]) &&
      keysOf(top).length === 0,
    `CommonPrefixes ${JSON.stringify(prefixesOf(top))}`,
    `Contents ${JSON.stringify(keysOf(top))}`,
  );
}
const underA = await step("ListObjectsV2 with Prefix a/ and Delimiter /", () =>
  client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "a/", Delimiter: "/" })),
);
if (underA) {
  expect(
    "under a/, a/b is a key and a/b/ a common prefix",
    JSON.stringify(keysOf(underA)) === JSON.stringify(["a/b"]) &&
      JSON.stringify(prefixesOf(underA)) === JSON.stringify(["a/b/"]),
    `Contents ${JSON.stringify(keysOf(underA))}`,
    `CommonPrefixes ${JSON.stringify(prefixesOf(underA))}`,
  );
}
const underPhotos = await step("ListObjectsV2 with Prefix photos/ and Delimiter /", () =>
  client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "photos/", Delimiter: "/" })),
);
if (underPhotos) {
  expect(
    "under photos/, photos/ is a key",
    JSON.stringify(keysOf(underPhotos)) === JSON.stringify(["photos/"]),
    `Contents ${JSON.stringify(keysOf(underPhotos))}`,
  );
}
for (const key of ["a/b", "a/b/c"]) {
  const object = await step(`GetObject ${key}`, () => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
  if (object) {
    const text = await object.Body.transformToString().catch((error) => describeError(error));
    expect(`GetObject ${key} returns its own body`, text === `body of ${key}`, `got ${JSON.stringify(text)}`);
  }
}
await step("DeleteObjects of the folder keys", () =>
  client.send(
    new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: folderKeys.map((key) => ({ Key: key })) } }),
  ),
);

// --- DeleteObjects of both keys, then the bucket
const deleted = await step("DeleteObjects of both keys", () =>
  client.send(
    new DeleteObjectsCommand({
      Bucket: bucket,
      Delete: { Objects: [{ Key: smallKey }, { Key: bigKey }] },
    }),
  ),
);
if (deleted) {
  const deletedKeys = (deleted.Deleted ?? []).map((object) => object.Key).sort();
  expect(
    "DeleteObjects reports both keys deleted and no errors",
    JSON.stringify(deletedKeys) === JSON.stringify([smallKey, bigKey].sort()) && !(deleted.Errors ?? []).length,
    `Deleted: ${JSON.stringify(deletedKeys)}`,
    `Errors: ${JSON.stringify(deleted.Errors ?? [])}`,
  );
}
const after = await step("ListObjectsV2 after DeleteObjects", () =>
  client.send(new ListObjectsV2Command({ Bucket: bucket })),
);
if (after) {
  expect(
    "the bucket is empty after DeleteObjects",
    (after.Contents ?? []).length === 0 && (after.KeyCount ?? 0) === 0,
    `Contents: ${JSON.stringify((after.Contents ?? []).map((object) => object.Key))}`,
  );
}
await step(`DeleteBucket ${bucket}`, () => client.send(new DeleteBucketCommand({ Bucket: bucket })));
try {
  await client.send(new HeadBucketCommand({ Bucket: bucket }));
  notOk("HeadBucket after DeleteBucket fails with 404", "HeadBucket succeeded");
} catch (error) {
  expect(
    "HeadBucket after DeleteBucket fails with 404",
    error?.$metadata?.httpStatusCode === 404,
    describeError(error),
  );
}

client.destroy();
console.log(`# sdk_test.mjs: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
