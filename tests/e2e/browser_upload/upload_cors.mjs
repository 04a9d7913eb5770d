// Browser driver for tests/e2e/browser_upload_test.sh.
//
// Opens upload.html (served from its own origin) in headless Chromium via playwright-core,
// hands it a plan of presigned uploads against s3cors (another origin; see s3tool.py plan),
// lets the page run them with fetch/XMLHttpRequest, and checks what the page observed and
// what Chromium reported against the outcome the bucket's CORS rules should produce:
//
//   allowed    every upload succeeds and the page reads the exposed ETags: PutObject (200,
//              ETag = MD5), UploadPart x2 (200, ETag = part MD5), CompleteMultipartUpload
//              (200, ETag "...-2"), POST form via fetch and via XMLHttpRequest with upload
//              progress (201 + XML naming the key); S3's error documents readable too (403
//              SignatureDoesNotMatch for an altered presigned URL, 400 EntityTooLarge for a
//              form beyond its policy's content-length-range); no CORS error in the console
//   blocked    every request fails in the page (fetch rejects with TypeError, XHR fires
//              error with status 0) and Chromium logs "blocked by CORS policy" for each: at
//              the preflight for PUT, UploadPart, Complete and the XHR form; for the fetch
//              form (a simple request: no preflight) because the response has no
//              Access-Control-Allow-Origin
//   no-expose  the PUT succeeds (200) but the page cannot read its ETag (null)
//
// Each --run EXPECT=PLAN_FILE runs in its own browser context (no preflight cache or
// connection shared between runs); one Chromium serves them all.
//
// Prints "ok - ..." / "not ok - ..." lines (diagnostics as "#   ..." lines, Chromium's
// messages as "#   chromium: ..."). Exit status: 0 all checks passed, 1 some check failed,
// 2 harness error, 3 Chromium cannot be launched.
//
// Usage:
//   node upload_cors.mjs --page URL --modules-from DIR --run EXPECT=PLAN_FILE [--run ...]
//        [--chromium PATH] [--timeout-ms 30000]
// --modules-from is the directory whose node_modules holds playwright-core
// (tests/e2e/browser, shared with the HLS browser test); --timeout-ms bounds each run.

import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    page: { type: 'string' },
    run: { type: 'string', multiple: true, default: [] },
    'modules-from': { type: 'string' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH || '/usr/bin/chromium' },
    'timeout-ms': { type: 'string', default: '30000' },
  },
});
const runs = opt.run.map((r) => {
  const i = r.indexOf('=');
  return { expect: r.slice(0, i), plan: JSON.parse(readFileSync(r.slice(i + 1), 'utf8')) };
});
if (!opt.page || !opt['modules-from'] || runs.length === 0 ||
    runs.some((r) => !['allowed', 'blocked', 'no-expose'].includes(r.expect))) {
  console.error('usage: node upload_cors.mjs --page URL --modules-from DIR --run allowed|blocked|no-expose=PLAN [...]');
  process.exit(2);
}
const { chromium } = createRequire(join(resolve(opt['modules-from']), 'package.json'))('playwright-core');
const timeoutMs = Number(opt['timeout-ms']);
const pageOrigin = new URL(opt.page).origin;

let failed = 0;
let prefix = '';
const ok = (desc) => console.log(`ok - ${prefix}${desc}`);
function notOk(desc, ...diag) {
  failed++;
  console.log(`not ok - ${prefix}${desc}`);
  for (const d of diag) for (const line of String(d).split('\n')) console.log(`#   ${line}`);
}
const short = (v, n = 700) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? String(s) : s.length > n ? `${s.slice(0, n)}...` : s;
};
function check(cond, desc, ...diag) {
  if (cond) ok(desc);
  else notOk(desc, ...diag);
  return !!cond;
}
const noQuery = (url) => url.split('?')[0];
const isTypeError = (r) => !!r && typeof r.error === 'string' && r.error.startsWith('TypeError');
// Chromium's console text without the presigned query strings (long, and secret-looking).
const trimQueries = (s) => s.replace(/\?[^' ]*/g, '?…');

async function runPhase(browser, expect, plan) {
  prefix = `${plan.phase}: `;
  const context = await browser.newContext();
  const consoleMsgs = [];
  const pageErrors = [];
  try {
    const page = await context.newPage();
    page.on('console', (m) => consoleMsgs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => pageErrors.push(String(e)));

    const s3Origin = new URL((plan.put || plan.post).url).origin;
    const resp = await page.goto(opt.page, { waitUntil: 'load', timeout: 10000 });
    if (!check(resp && resp.status() === 200 && (await page.evaluate(() => window.pageReady === true)),
      `upload page loads from ${pageOrigin} (s3cors is ${s3Origin}, bucket ${plan.bucket})`,
      `status ${resp && resp.status()}`, `page errors: ${short(pageErrors)}`)) {
      return;
    }

    let timer;
    const res = await Promise.race([
      page.evaluate((p) => window.runUploads(p), plan),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`uploads did not finish within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    await page.waitForTimeout(200); // let late console messages arrive

    const corsMsgs = consoleMsgs.filter((m) => /blocked by CORS policy/i.test(m));
    const diag = () => [`page results: ${short(res, 1500)}`, `console: ${trimQueries(short(consoleMsgs, 1500))}`,
      `page errors: ${short(pageErrors)}`];
    // The console message Chromium logs for a refused request to URL.
    const corsMsgFor = (url, api) => {
      const at = `Access to ${api} at '${noQuery(url)}`;
      return corsMsgs.find((m) => (m.includes(`${at}'`) || m.includes(`${at}?`)) &&
        m.includes(`from origin '${pageOrigin}'`));
    };
    const harness = Object.entries(res).filter(([, v]) => v && v.harnessError);
    check(harness.length === 0, 'the page runs every planned upload', ...diag());

    if (expect === 'allowed') {
      const r = res.put;
      const want = `"${plan.put.md5}"`;
      check(r && r.status === 200 && r.etag === want,
        `presigned PUT: 200, and the page reads the exposed ETag ${r && r.etag} = MD5 of the content`,
        `expected 200 and ETag ${want}`, ...diag());
      const m = res.multipart;
      const parts = (m && m.parts) || [];
      // A SigV2 phase plans no multipart upload: the SigV4 phase covers it.
      if (plan.multipart) plan.multipart.parts.forEach((want, i) => {
        const got = parts[i];
        check(got && got.status === 200 && got.etag === want.expectedEtag,
          `presigned UploadPart ${want.number} (${want.end - want.start} bytes): 200, exposed ETag ${got && got.etag} = MD5 of the part`,
          `expected ETag ${want.expectedEtag}`, ...diag());
      });
      const c = m && m.complete;
      if (plan.multipart) check(c && c.status === 200 && c.xmlEtag === plan.multipart.etag && /-2"$/.test(c.xmlEtag || '') &&
        c.xmlKey === plan.multipart.key,
        `presigned CompleteMultipartUpload with the ETags the page read: 200, ETag ${c && c.xmlEtag}`,
        `expected ETag ${plan.multipart.etag}, Key ${plan.multipart.key}`, ...diag());
      const p = res.post;
      check(p && p.status === 201 && p.xmlKey === plan.post.key && p.xmlEtag === `"${plan.post.md5}"` &&
        p.xmlBucket === plan.bucket,
        `POST form via fetch (generate_presigned_post, key uploads/\${filename}): 201, the XML names ${p && p.xmlKey}, ETag ${p && p.xmlEtag}`,
        `expected Key ${plan.post.key}, ETag "${plan.post.md5}", Bucket ${plan.bucket}`, ...diag());
      const x = res.postXhr;
      check(x && x.status === 201 && x.xmlKey === plan.postXhr.key && x.xmlEtag === `"${plan.postXhr.md5}"` &&
        x.progressEvents > 0,
        `POST form via XMLHttpRequest with upload progress (preflighted): 201, ${x && x.progressEvents} progress event(s), the XML names ${x && x.xmlKey}`,
        `expected Key ${plan.postXhr.key}, ETag "${plan.postXhr.md5}"`, ...diag());
      // S3's error documents reach the page too: error responses carry the CORS headers.
      const b = res.putBadSig;
      check(b && b.status === 403 && b.xmlCode === 'SignatureDoesNotMatch',
        `presigned PUT with an altered signature: the page reads 403 ${b && b.xmlCode}`,
        'expected 403 SignatureDoesNotMatch', ...diag());
      const t = res.postTooLarge;
      check(t && t.status === 400 && t.xmlCode === 'EntityTooLarge',
        `POST form beyond the policy's content-length-range: the page reads ${t && t.status} ${t && t.xmlCode}`,
        'expected 400 EntityTooLarge', ...diag());
    } else if (expect === 'no-expose') {
      const r = res.put;
      check(r && r.status === 200, `presigned PUT: 200 (the rule allows PUT from ${pageOrigin})`, ...diag());
      check(r && r.etag === null,
        'presigned PUT: the page cannot read the ETag (the rule exposes no headers), so it could not complete a multipart upload',
        `ETag as read by the page: ${r && r.etag}`, ...diag());
    }
    if (expect !== 'blocked') {
      check(corsMsgs.length === 0, 'Chromium reports no CORS error', ...diag());
      return;
    }

    const failsWithCors = (r, url, what, preflight, api = 'fetch') => {
      const msg = corsMsgFor(url, api);
      const failedInPage = api === 'fetch' ? isTypeError(r) : !!(r && r.xhrError && r.status === 0);
      const kindOk = !!msg && (preflight ? /preflight/i.test(msg)
        : /No 'Access-Control-Allow-Origin' header/.test(msg) && !/preflight/i.test(msg));
      check(failedInPage && kindOk,
        `${what}: fails in the page (${api === 'fetch' ? (r && r.error) : `XHR error event, status ${r && r.status}`}) and Chromium reports it blocked by CORS policy ${preflight ? 'at the preflight' : '(no preflight: a simple request)'}`,
        `chromium message: ${msg ? trimQueries(msg) : '(none)'}`, ...diag());
      if (msg) console.log(`#   chromium: ${short(trimQueries(msg), 360)}`);
    };
    failsWithCors(res.put, plan.put.url, 'presigned PUT', true);
    plan.multipart.parts.forEach((part, i) =>
      failsWithCors(res.multipart && res.multipart.parts[i], part.url, `presigned UploadPart ${part.number}`, true));
    failsWithCors(res.multipart && res.multipart.complete, plan.multipart.completeUrl,
      'presigned CompleteMultipartUpload', true);
    failsWithCors(res.post, plan.post.url, 'POST form via fetch', false);
    failsWithCors(res.postXhr, plan.postXhr.url, 'POST form via XMLHttpRequest with upload progress', true,
      'XMLHttpRequest');
  } catch (e) {
    notOk('the page runs the uploads', e && e.stack ? e.stack : String(e),
      `console: ${trimQueries(short(consoleMsgs, 1200))}`);
  } finally {
    await context.close().catch(() => {});
  }
}

const scratch = mkdtempSync(join(tmpdir(), 's3cors-chromium-'));
let browser;
let exitCode = 2;
try {
  try {
    browser = await chromium.launch({
      executablePath: opt.chromium,
      headless: true,
      timeout: 20000,
      env: { ...process.env, XDG_CONFIG_HOME: scratch, XDG_CACHE_HOME: scratch },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage'],
    });
  } catch (e) {
    // Exit status 3: Chromium itself cannot run here (the test script SKIPs on it).
    console.log(`# chromium launch failed: ${short(String(e && e.message), 800)}`);
    rmSync(scratch, { recursive: true, force: true });
    process.exit(3);
  }
  for (const r of runs) await runPhase(browser, r.expect, r.plan);
  exitCode = failed === 0 ? 0 : 1;
} catch (e) {
  prefix = '';
  notOk('browser harness runs', e && e.stack ? e.stack : String(e));
  exitCode = 2;
} finally {
  if (browser) await browser.close().catch(() => {});
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(exitCode);
