// Browser driver for tests/e2e/browser_edge_test.sh.
//
// Opens edge_player.html (served from its own origin) in headless Chromium via playwright-core,
// once per player (hls.js, video.js), each in a fresh browser context (no HTTP cache shared
// between runs, so what the player gets is what the distribution answers), pointed at an HLS
// manifest behind a distribution (another origin), and checks the outcome:
//
//   --expect play     the video plays: currentTime passes --min-time, no player error
//   --expect blocked  the player's error event fires, nothing plays, and Chromium reports a
//                     response from the distribution as blocked by CORS policy
//
// Prints "ok - ..." / "not ok - ..." lines (diagnostics as "#   ..." lines).
// Exit status: 0 all checks passed, 1 some check failed, 2 harness error.
//
// Usage:
//   node edge_players.mjs --page URL --manifest URL --expect play|blocked
//        [--players hls,videojs] [--label TEXT] [--chromium PATH] [--timeout-ms 20000]
//        [--min-time 1.0]

import { parseArgs } from 'node:util';
import { openPage, reporter, runBrowser, short } from './harness.mjs';

const { values: opt } = parseArgs({
  options: {
    page: { type: 'string' },
    manifest: { type: 'string' },
    expect: { type: 'string' },
    players: { type: 'string', default: 'hls,videojs' },
    label: { type: 'string', default: '' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH || '/usr/bin/chromium' },
    'timeout-ms': { type: 'string', default: '20000' },
    'min-time': { type: 'string', default: '1.0' },
  },
});
if (!opt.page || !opt.manifest || !['play', 'blocked'].includes(opt.expect)) {
  console.error('usage: node edge_players.mjs --page URL --manifest URL --expect play|blocked [...]');
  process.exit(2);
}
const timeoutMs = Number(opt['timeout-ms']);
const minTime = Number(opt['min-time']);
const names = { hls: 'hls.js', videojs: 'video.js' };
const manifestOrigin = new URL(opt.manifest).origin;

const rep = reporter(opt.label);
const { check } = rep;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runPlayer(browser, player) {
  const name = names[player] || player;
  const { page, consoleMsgs, net, close } = await openPage(browser, manifestOrigin);
  try {
    const url = `${opt.page}?player=${player}&src=${encodeURIComponent(opt.manifest)}`;
    const resp = await page.goto(url, { waitUntil: 'load', timeout: 10000 });
    if (!check(resp && resp.status() === 200, `${name}: player page loads`, [`status ${resp && resp.status()}`])) return;

    const readState = () => page.evaluate(() => window.playerState);
    const t0 = Date.now();
    let st = await readState();
    // Poll for the outcome (or a decisive contrary one) until the timeout.
    while (Date.now() - t0 < timeoutMs) {
      if (st.fatalError || st.currentTime > (opt.expect === 'play' ? minTime : 0)) break;
      await sleep(200);
      st = await readState();
    }
    const elapsed = ((Date.now() - t0) / 1000).toFixed(1);
    const diag = () => [
      `after ${elapsed}s: state=${st.state} currentTime=${Number(st.currentTime).toFixed(2)}`,
      `error: ${short(st.fatalError)}`,
      `events: ${short(st.events.slice(-12), 900)}`,
      `network: ${short(net.slice(-12), 900)}`,
      `console: ${short(consoleMsgs.slice(-6), 900)}`,
    ];
    if (opt.expect === 'play') {
      check(!st.fatalError && st.currentTime > minTime,
        `${name} (${st.version}) plays: currentTime ${Number(st.currentTime).toFixed(2)} > ${minTime}, no error`, diag());
    } else {
      check(!!st.fatalError && st.currentTime === 0,
        `${name} (${st.version}) fails: its error event fired (${short(st.fatalError, 160)}), nothing played`, diag());
      const corsMsg = consoleMsgs.find((m) => /blocked by CORS policy/i.test(m) && m.includes(manifestOrigin));
      check(!!corsMsg, `${name}: Chromium reports the distribution's response as blocked by CORS policy`, diag());
      if (corsMsg) console.log(`#   chromium: ${short(corsMsg, 300)}`);
    }
  } finally {
    await close();
  }
}

await runBrowser(opt.chromium, async (browser) => {
  for (const player of opt.players.split(',')) await runPlayer(browser, player);
  return rep.failed === 0;
});
