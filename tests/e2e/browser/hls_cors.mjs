// Browser driver for tests/e2e/browser_hls_test.sh.
//
// Opens player.html (served from its own origin) in headless Chromium via
// playwright-core, points it at an HLS manifest on s3cors (another origin) and
// checks the outcome the bucket's CORS rules should produce:
//
//   --expect play     the video plays: currentTime passes --min-time, hls.js loads
//                     the manifest and >= --min-frags media segments, no fatal error
//   --expect blocked  hls.js reports a fatal manifestLoadError, nothing plays, and
//                     Chromium says the response was blocked by CORS
//
// Prints "ok - ..." / "not ok - ..." lines (diagnostics as "#   ..." lines).
// Exit status: 0 all checks passed, 1 some check failed, 2 harness error.
//
// Usage:
//   node hls_cors.mjs --page URL --manifest URL --expect play|blocked
//        [--label TEXT] [--chromium PATH] [--timeout-ms 20000] [--min-time 1.0]
//        [--min-frags 2] [--screenshot FILE]

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    page: { type: 'string' },
    manifest: { type: 'string' },
    expect: { type: 'string' },
    label: { type: 'string', default: '' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH || '/usr/bin/chromium' },
    'timeout-ms': { type: 'string', default: '20000' },
    'min-time': { type: 'string', default: '1.0' },
    'min-frags': { type: 'string', default: '2' },
    screenshot: { type: 'string', default: '' },
  },
});
if (!opt.page || !opt.manifest || !['play', 'blocked'].includes(opt.expect)) {
  console.error('usage: node hls_cors.mjs --page URL --manifest URL --expect play|blocked [...]');
  process.exit(2);
}
const timeoutMs = Number(opt['timeout-ms']);
const minTime = Number(opt['min-time']);
const minFrags = Number(opt['min-frags']);
const prefix = opt.label ? `${opt.label}: ` : '';

let failed = 0;
function ok(desc) {
  console.log(`ok - ${prefix}${desc}`);
}
function notOk(desc, ...diag) {
  failed++;
  console.log(`not ok - ${prefix}${desc}`);
  for (const d of diag) {
    for (const line of String(d).split('\n')) console.log(`#   ${line}`);
  }
}
// Diagnostics passed as one array (the player/network state) are printed in
// full under the first failing check only.
let stateDumped = false;
function check(cond, desc, ...diag) {
  if (cond) {
    ok(desc);
  } else if (diag.length === 1 && Array.isArray(diag[0])) {
    notOk(desc, ...(stateDumped ? ['(player state as above)'] : diag[0]));
    stateDumped = true;
  } else {
    notOk(desc, ...diag);
  }
  return !!cond;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const short = (v, n = 600) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > n ? `${s.slice(0, n)}...` : s;
};

// Network observations (as seen by the browser, not by hls.js).
const manifestOrigin = new URL(opt.manifest).origin;
const net = []; // {url, method, status, outcome: 'finished'|'failed', failure}
const consoleMsgs = [];
const pageErrors = [];
// Media segments only (MPEG-TS or fMP4 fragments), not playlists or init.mp4.
const isSegment = (url) => /\.(ts|m4s|aac)$/.test(new URL(url).pathname);

// A fresh profile per run, so nothing (HTTP cache, CORS preflight cache) leaks
// between runs. Playwright's launch() creates and deletes its own temporary
// --user-data-dir; we also point HOME-ish caches at a temp dir of ours.
const scratch = mkdtempSync(join(tmpdir(), 's3cors-chromium-'));
let browser;
let exitCode = 2;
try {
  browser = await chromium.launch({
    executablePath: opt.chromium,
    headless: true,
    timeout: 20000,
    env: { ...process.env, XDG_CONFIG_HOME: scratch, XDG_CACHE_HOME: scratch },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--autoplay-policy=no-user-gesture-required',
      '--mute-audio',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 660, height: 420 } });
  const page = await context.newPage();

  page.on('console', (m) => consoleMsgs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('requestfinished', async (req) => {
    if (!req.url().startsWith(manifestOrigin)) return;
    const rec = { url: req.url(), method: req.method(), outcome: 'finished', status: null };
    net.push(rec);
    try {
      const res = await req.response();
      rec.status = res ? res.status() : null;
    } catch {
      /* page closed */
    }
  });
  page.on('requestfailed', (req) => {
    if (!req.url().startsWith(manifestOrigin)) return;
    net.push({
      url: req.url(),
      method: req.method(),
      outcome: 'failed',
      failure: req.failure()?.errorText ?? 'unknown',
    });
  });

  const pageUrl = `${opt.page}?src=${encodeURIComponent(opt.manifest)}`;
  const resp = await page.goto(pageUrl, { waitUntil: 'load', timeout: 10000 });
  check(resp && resp.status() === 200, `player page loads (${opt.page})`, `status ${resp && resp.status()}`);

  const hlsVersion = await page.evaluate(() => window.playerState && window.playerState.hlsVersion);
  check(!!hlsVersion, `hls.js loads from the page origin (hls.js ${hlsVersion || '?'})`,
    `playerState: ${short(await page.evaluate(() => window.playerState))}`,
    `page errors: ${short(pageErrors)}`);

  const readState = () => page.evaluate(() => {
    const v = document.getElementById('video');
    return { ...window.playerState, currentTime: v ? v.currentTime : 0, paused: v ? v.paused : null,
      readyState: v ? v.readyState : null };
  });

  // Poll until the expected outcome (or a decisive contrary one) or timeout.
  const t0 = Date.now();
  let st = await readState();
  while (Date.now() - t0 < timeoutMs) {
    if (opt.expect === 'play' && (st.fatalError || (st.currentTime > minTime && st.fragsLoaded.length >= minFrags))) break;
    if (opt.expect === 'blocked' && (st.fatalError || st.currentTime > 0)) break;
    await sleep(200);
    st = await readState();
  }
  const elapsed = ((Date.now() - t0) / 1000).toFixed(1);
  if (opt.expect === 'blocked') {
    // Give a wrongly-allowed player a moment to show it plays anyway.
    await sleep(1000);
    st = await readState();
  }
  await sleep(300); // let pending requestfinished handlers record statuses
  const diag = [
    `after ${elapsed}s: state=${st.state} currentTime=${st.currentTime.toFixed(2)} paused=${st.paused} readyState=${st.readyState}`,
    `fatalError: ${short(st.fatalError)}  videoError: ${short(st.videoError)}  playError: ${short(st.playError)}`,
    `errors: ${short(st.errors, 800)}`,
    `events: ${short(st.events.slice(-15), 800)}`,
    `network: ${short(net, 1200)}`,
    `console: ${short(consoleMsgs.slice(-8), 1200)}`,
  ];

  const manifestReqs = net.filter((r) => r.url.split('?')[0] === opt.manifest);
  const segmentOk = net.filter((r) => r.outcome === 'finished' && isSegment(r.url) && r.status >= 200 && r.status < 300);

  if (opt.expect === 'play') {
    check(st.manifestLoaded && manifestReqs.some((r) => r.outcome === 'finished' && r.status === 200),
      'browser fetches the cross-origin manifest (200) and hls.js accepts it', diag);
    check(st.fragsLoaded.length >= minFrags && segmentOk.length >= minFrags,
      `hls.js loads >= ${minFrags} media segments cross-origin (hls.js: ${st.fragsLoaded.length}, network 2xx: ${segmentOk.length})`,
      diag);
    check(!st.fatalError, 'no fatal hls.js error', diag);
    check(st.currentTime > minTime,
      `video plays: currentTime ${st.currentTime.toFixed(2)} > ${minTime} within ${timeoutMs / 1000}s`, diag);
    if (opt.screenshot) {
      try {
        await page.screenshot({ path: opt.screenshot });
        console.log(`# screenshot: ${opt.screenshot}`);
      } catch (e) {
        console.log(`# screenshot failed: ${e}`);
      }
    }
  } else {
    const fe = st.fatalError || {};
    check(fe.type === 'networkError' && fe.details === 'manifestLoadError',
      `hls.js reports a fatal networkError/manifestLoadError (got ${fe.type || 'none'}/${fe.details || 'none'})`,
      diag);
    check(!st.manifestLoaded && st.fragsLoaded.length === 0 && st.currentTime === 0,
      'video does not play: no manifest accepted, no segments, currentTime 0', diag);
    // The request must have reached s3cors and been refused by the browser's CORS
    // check, not failed for another reason (connection refused, 404, ...).
    const corsMsg = consoleMsgs.find((m) => /blocked by CORS policy/i.test(m));
    check(!!corsMsg && corsMsg.includes(opt.manifest),
      'Chromium reports the manifest response as blocked by CORS policy', diag);
    if (corsMsg) console.log(`#   chromium: ${short(corsMsg, 300)}`);
    if (opt.screenshot) {
      try {
        await page.screenshot({ path: opt.screenshot });
        console.log(`# screenshot: ${opt.screenshot}`);
      } catch (e) {
        console.log(`# screenshot failed: ${e}`);
      }
    }
  }
  exitCode = failed === 0 ? 0 : 1;
} catch (e) {
  notOk('browser harness runs', e && e.stack ? e.stack : String(e));
  exitCode = 2;
} finally {
  if (browser) await browser.close().catch(() => {});
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(exitCode);
