// Browser driver for tests/e2e/browser_faults_test.sh: hls.js in headless Chromium against media
// faults that s3cors injects (docs/faults.md), each case with its rules added through the
// /_s3cors/faults API (and cleared before and after), asserting on hls.js's events and on what
// the page sees of each request (edge_player.html records both in playerState.hls):
//
//   abr       hls.js switches up to level 1 (640x360) on its own; a rule caps that rendition's
//             segments below its bitrate -> LEVEL_SWITCHED to level 0; the rule is removed
//             (DELETE) -> LEVEL_SWITCHED to level 1 and a level-1 fragment loads
//   slowdown  segment 3 answers 503 SlowDown once ("first": 1, with x-s3cors-fault): the page
//             reads 503 and the header (CORS headers on the injected error), hls.js retries,
//             FRAG_LOADED for sn 3, playback passes the segment, no fatal ERROR
//   cut       segment 2 is cut after 16 KiB: hls.js reports ERROR networkError/fragLoadError for
//             sn 2, the page sees status 0 and Chromium a truncated body, not a CORS failure
//   nocors    the slowdown rule with "drop_cors": the page sees status 0, Chromium reports the
//             response blocked by CORS policy, hls.js reports fragLoadError with code 0 (a status
//             0 is not retried, unlike the 503)
//
// Prints "ok - ..." / "not ok - ..." lines (diagnostics as "#   ..." lines).
// Exit status: 0 all checks passed, 1 some check failed, 2 harness error.
//
// Usage:
//   node faults_players.mjs --page URL --manifest URL --api URL --case abr|slowdown|cut|nocors
//        [--label TEXT] [--chromium PATH]
// (--api is the s3cors faults API, http://127.0.0.1:PORT/_s3cors/faults)

import { parseArgs } from 'node:util';
import { openPage, reporter, runBrowser, short } from './harness.mjs';

const { values: opt } = parseArgs({
  options: {
    page: { type: 'string' },
    manifest: { type: 'string' },
    api: { type: 'string' },
    case: { type: 'string' },
    label: { type: 'string', default: '' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH || '/usr/bin/chromium' },
  },
});
const cases = { abr, slowdown, cut, nocors };
if (!opt.page || !opt.manifest || !opt.api || !cases[opt.case]) {
  console.error('usage: node faults_players.mjs --page URL --manifest URL --api URL --case abr|slowdown|cut|nocors');
  process.exit(2);
}
const manifestOrigin = new URL(opt.manifest).origin;
const rep = reporter(opt.label);
const { check } = rep;

// hls.js keeps at most 8 s ahead (default 30 s), so it fetches at the pace of playback and its
// ABR decides on every fragment.
const shortBuffer = { maxBufferLength: 8, maxMaxBufferLength: 8 };

// ---------------------------------------------------------------------------
// The faults API.
async function api(method, path = '', body = undefined) {
  const res = await fetch(opt.api + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, text, json };
}
async function addRule(rule) {
  const r = await api('POST', '', rule);
  check(r.status === 201, `POST /_s3cors/faults ${rule.name}: 201`, [`status ${r.status}: ${short(r.text, 400)}`]);
}
async function ruleCounters(name) {
  const r = await api('GET');
  const rule = r.json && Array.isArray(r.json.rules) ? r.json.rules.find((x) => x.name === name) : undefined;
  return rule ? { matches: rule.matches, fired: rule.fired } : { error: `status ${r.status}: ${short(r.text, 300)}` };
}

// ---------------------------------------------------------------------------
// The page and its events.
let session;
async function open(cfg) {
  session = await openPage(browser0, manifestOrigin);
  const url = `${opt.page}?player=hls&src=${encodeURIComponent(opt.manifest)}&cfg=${encodeURIComponent(JSON.stringify(cfg))}`;
  const resp = await session.page.goto(url, { waitUntil: 'load', timeout: 10000 });
  return check(resp && resp.status() === 200, 'player page loads', [`status ${resp && resp.status()}`]);
}
const state = () => session.page.evaluate(() => window.playerState);
const lastSeq = () => session.page.evaluate(() => {
  const h = window.playerState.hls;
  return h.length ? h[h.length - 1].seq : 0;
});

// waitEvent(match, since, ms): the first recorded event after seq `since` whose fields equal
// match's (match.url: the event's URL ends with it; match.msBelow: a load that took less), or
// {fatal} when hls.js failed fatally first, or null at the timeout. Event-driven: the page is
// polled, nothing sleeps a fixed time.
async function waitEvent(match, since, ms) {
  const handle = await session.page
    .waitForFunction(({ m, since: s }) => {
      const st = window.playerState;
      const holds = (e, k, v) => {
        if (k === 'url') return typeof e.url === 'string' && e.url.endsWith(v);
        if (k === 'msBelow') return typeof e.ms === 'number' && e.ms < v;
        return e[k] === v;
      };
      const hit = st.hls.find((e) => e.seq > s && Object.entries(m).every(([k, v]) => holds(e, k, v)));
      if (hit) return hit;
      return st.fatalError ? { fatal: st.fatalError } : null;
    }, { m: match, since }, { polling: 100, timeout: ms })
    .catch(() => null);
  const v = handle ? await handle.jsonValue() : null;
  return v && !v.fatal ? v : null;
}
// waitTime(t, ms): playback passes t seconds (true), or it fails fatally / times out (false).
async function waitTime(t, ms) {
  const handle = await session.page
    .waitForFunction((tt) => window.playerState.fatalError || window.playerState.currentTime > tt || null,
      t, { polling: 100, timeout: ms })
    .catch(() => null);
  return !!handle && (await state()).currentTime > t;
}
async function diag(since = 0) {
  const st = await state();
  const events = st.hls.filter((e) => e.seq > since && (e.ev !== 'xhr' || e.status !== 200));
  return [
    `state=${st.state} currentTime=${Number(st.currentTime).toFixed(2)} error=${short(st.fatalError, 300)}`,
    `hls.js events: ${short(events.slice(-20), 1600)}`,
    `network: ${short(session.net.slice(-10), 900)}`,
    `console: ${short(session.consoleMsgs.slice(-6), 900)}`,
  ];
}
async function noFatal(what) {
  const st = await state();
  check(!st.fatalError, `${what}: no fatal hls.js ERROR`, [`fatal: ${short(st.fatalError, 400)}`]);
}

const secs = (t0) => `after ${((Date.now() - t0) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------
// The cases.
async function abr() {
  if (!(await open(shortBuffer))) return;
  const parsed = await waitEvent({ ev: 'MANIFEST_PARSED' }, 0, 10000);
  check(parsed && short(parsed.levels) === '[327800,657800]', 'hls.js levels: 0 = 416x234 (327.8 kbit/s), 1 = 640x360 (657.8 kbit/s)',
    [`MANIFEST_PARSED: ${short(parsed)}`]);
  const up = await waitEvent({ ev: 'LEVEL_SWITCHED', level: 1 }, 0, 20000);
  if (!check(up, 'unthrottled, hls.js switches up to level 1 (640x360) on its own', await diag())) return;

  // 20 kB/s = 160 kbit/s, a quarter of the 640x360 rendition's bitrate: one of its 2 s segments
  // (150-170 kB) takes ~8 s.
  const rule = {
    name: 'abr-throttle',
    match: { bucket: 'media', kind: 'segment', rendition: { resolution: '640x360' } },
    action: { throughput: '20kB' },
  };
  await addRule(rule);
  let since = await lastSeq();
  let t0 = Date.now();
  const down = await waitEvent({ ev: 'LEVEL_SWITCHED', level: 0 }, since, 35000);
  check(down, `with 640x360 segments capped at 20 kB/s, hls.js switches down: LEVEL_SWITCHED to level 0 (${secs(t0)})`,
    await diag(since));
  const aborted = (await state()).hls.filter((e) => e.seq > since && e.ev === 'FRAG_LOAD_EMERGENCY_ABORTED');
  if (aborted.length) console.log(`#   hls.js aborted ${aborted.length} throttled level-1 fragment load(s) (FRAG_LOAD_EMERGENCY_ABORTED)`);
  const counters = await ruleCounters(rule.name);
  check(counters.fired >= 1, `the rule fired (GET /_s3cors/faults: ${short(counters)})`);

  const del = await api('DELETE', `/${rule.name}`);
  check(del.status >= 200 && del.status < 300, `DELETE /_s3cors/faults/${rule.name}: 2xx`, [`status ${del.status}: ${short(del.text, 300)}`]);
  since = await lastSeq();
  t0 = Date.now();
  // A level-1 load already under way when the rule went keeps its cap (a plan is made per
  // request): the fragment that shows the cap lifted is one that loads in well under its 2 s.
  const back = await waitEvent({ ev: 'LEVEL_SWITCHED', level: 1 }, since, 35000);
  const loaded = back && (await waitEvent({ ev: 'FRAG_LOADED', level: 1, msBelow: 1000 }, since, 20000));
  check(back && loaded,
    `with the rule removed, hls.js switches back up: LEVEL_SWITCHED to level 1, a level-1 fragment loads at full speed (${secs(t0)})`,
    await diag(since));
  if (loaded) console.log(`#   level-1 fragment sn ${loaded.sn}: ${loaded.bytes} bytes in ${loaded.ms} ms`);
  await noFatal('playback');
}

async function slowdown() {
  const rule = {
    name: 'slowdown-seg3',
    match: { bucket: 'media', kind: 'segment', segment: 3 },
    action: { error: 'SlowDown' },
    when: { first: 1 },
    response_header: true,
  };
  await addRule(rule);
  if (!(await open(shortBuffer))) return;
  const err = await waitEvent({ ev: 'xhr', url: '/seg_003.ts', status: 503 }, 0, 20000);
  check(err, 'the page reads status 503 for seg_003.ts (the injected error carries CORS headers)', await diag());
  if (err) {
    check(err.fault === rule.name, `the page reads x-s3cors-fault: ${rule.name} on it (exposed)`, [`x-s3cors-fault: ${err.fault}`]);
  }
  const retried = err && (await waitEvent({ ev: 'xhr', url: '/seg_003.ts', status: 200 }, err.seq, 15000));
  check(retried, 'hls.js retries it: the next request for seg_003.ts answers 200', await diag());
  const frag = await waitEvent({ ev: 'FRAG_LOADED', sn: 3 }, 0, 15000);
  check(frag, 'FRAG_LOADED for sn 3', await diag());
  // Segment 3 is 6-8 s of the stream.
  check(await waitTime(8.5, 20000), 'playback continues past segment 3 (currentTime > 8.5 s)', await diag());
  await noFatal('playback');
  const counters = await ruleCounters(rule.name);
  check(counters.fired === 1, `the rule fired once (GET /_s3cors/faults: ${short(counters)})`);
}

async function cut() {
  const rule = {
    name: 'cut-seg2',
    match: { bucket: 'media', kind: 'segment', segment: 2 },
    action: { cut_after: '16KiB' },
  };
  await addRule(rule);
  if (!(await open(shortBuffer))) return;
  const err = await waitEvent({ ev: 'ERROR', sn: 2 }, 0, 20000);
  if (!check(err, 'hls.js reports an ERROR for sn 2 (seg_002.ts cut after 16 KiB)', await diag())) return;
  check(err.type === 'networkError' && err.details === 'fragLoadError',
    `the ERROR is type networkError, details fragLoadError (got ${err.type}/${err.details}, fatal ${err.fatal}, code ${err.code})`);
  const xhr = (await state()).hls.find((e) => e.ev === 'xhr' && e.url.endsWith('/seg_002.ts'));
  check(xhr && xhr.status === 0, 'the page sees status 0 for seg_002.ts (a network error: the body ended short)', [`xhr: ${short(xhr)}`]);
  const failure = session.net.find((l) => l.includes('/seg_002.ts failed'));
  const cors = session.consoleMsgs.find((m) => /blocked by CORS policy/i.test(m) && m.includes('seg_002.ts'));
  check(failure && !cors, 'Chromium reports the request failed, not blocked by CORS', [`network: ${failure}`, `console: ${cors}`]);
  if (failure) console.log(`#   chromium: ${failure}`);
}

async function nocors() {
  const rule = {
    name: 'cdn-503',
    match: { bucket: 'media', kind: 'segment', segment: 3 },
    action: { error: 'SlowDown' },
    when: { first: 1 },
    drop_cors: true,
    response_header: true,
  };
  await addRule(rule);
  if (!(await open(shortBuffer))) return;
  const xhr = await waitEvent({ ev: 'xhr', url: '/seg_003.ts' }, 0, 20000);
  check(xhr && xhr.status === 0 && xhr.fault === null,
    'the page sees status 0 for seg_003.ts, no header (the 503 without CORS headers is refused)', [`xhr: ${short(xhr)}`, ...(await diag())]);
  const cors = session.consoleMsgs.find((m) => /blocked by CORS policy/i.test(m) && m.includes('seg_003.ts'));
  check(cors, 'Chromium reports seg_003.ts blocked by CORS policy', await diag());
  if (cors) console.log(`#   chromium: ${short(cors, 300)}`);
  const err = await waitEvent({ ev: 'ERROR', sn: 3 }, 0, 10000);
  check(err && err.details === 'fragLoadError' && err.code === 0,
    `hls.js reports fragLoadError with code 0, not retried as the 503 was (got ${short(err)})`, await diag());
  const st = await state();
  console.log(`#   then: currentTime ${Number(st.currentTime).toFixed(2)}, fatal ${short(st.fatalError, 200)}`);
}

// ---------------------------------------------------------------------------
let browser0;
await runBrowser(opt.chromium, async (browser) => {
  browser0 = browser;
  const cleared = await api('DELETE');
  check(cleared.status >= 200 && cleared.status < 300, 'DELETE /_s3cors/faults (clear): 2xx', [`status ${cleared.status}: ${short(cleared.text, 300)}`]);
  try {
    await cases[opt.case]();
  } finally {
    if (session) await session.close();
    await api('DELETE').catch(() => {});
  }
  return rep.failed === 0;
});
