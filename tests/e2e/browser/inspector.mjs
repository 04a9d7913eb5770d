// Browser driver for tests/e2e/browser_inspector_test.sh.
//
//   --mode inspect  opens the inspector page (s3cors's origin), then the player page (another
//                   origin) whose hls.js sends X-Session-Id; the player must fail, and the
//                   inspector must list the refused preflight. The row is opened; its
//                   explanation, suggestion and JSON are read from the page; the JSON is
//                   written to --out.
//   --mode play     opens the player page: it must play.
//
// Prints "ok - ..." / "not ok - ..." lines. Exit status: 0 all passed, 1 some failed, 2 harness error.
// Usage: node inspector.mjs --mode inspect|play --inspector URL --page URL --manifest URL
//        [--out FILE] [--label TEXT] [--chromium PATH]

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { reporter, runBrowser } from './harness.mjs';

const { values: opt } = parseArgs({
  options: {
    mode: { type: 'string' },
    inspector: { type: 'string' },
    page: { type: 'string' },
    manifest: { type: 'string' },
    out: { type: 'string', default: '' },
    label: { type: 'string', default: '' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH || '/usr/bin/chromium' },
  },
});
if (!['inspect', 'play'].includes(opt.mode) || !opt.page || !opt.manifest) {
  console.error('usage: node inspector.mjs --mode inspect|play --inspector URL --page URL --manifest URL');
  process.exit(2);
}
const rep = reporter(opt.label);
const { check } = rep;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitPlayer(page, want, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let st = null;
  while (Date.now() < end) {
    st = await page.evaluate(() => window.playerState);
    if (st && (st.state === 'error' || (st.state === 'playing' && st.currentTime > 1))) break;
    await sleep(200);
  }
  return st;
}

await runBrowser(opt.chromium, async (browser) => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const playerUrl = `${opt.page}/inspector_player.html?src=${encodeURIComponent(opt.manifest)}`;

  if (opt.mode === 'inspect') {
    const inspector = await context.newPage();
    const pageErrors = [];
    inspector.on('pageerror', (e) => pageErrors.push(String(e)));
    await inspector.goto(opt.inspector, { waitUntil: 'load', timeout: 10000 });
    await inspector.waitForFunction(() => document.getElementById('connection').textContent === 'live',
      null, { timeout: 10000 }).catch(() => {});
    check(await inspector.textContent('#connection') === 'live', 'the inspector page connects to its event stream',
      [`connection: ${await inspector.textContent('#connection')}`, ...pageErrors]);

    const player = await context.newPage();
    await player.goto(playerUrl, { waitUntil: 'load', timeout: 10000 });
    const st = await waitPlayer(player, 'error', 20000);
    check(st && st.state === 'error', 'the player (X-Session-Id on every request) fails under the example rules',
      [JSON.stringify(st)]);

    // The refused preflight appears in the table, live.
    const row = 'tr.refused:has(td.method:text-is("OPTIONS"))';
    const found = await inspector.waitForSelector(row, { timeout: 10000 }).catch(() => null);
    check(found, 'the inspector lists the refused preflight',
      [await inspector.evaluate(() => document.querySelector('#requests tbody').innerText.slice(0, 1500))]);
    if (found) {
      check((await found.innerText()).includes('master.m3u8'), 'the row names the playlist', [await found.innerText()]);
      await found.click();
      await inspector.waitForSelector('#suggestion:not([hidden])', { timeout: 10000 }).catch(() => null);
      const explanation = await inspector.textContent('#explanation');
      const summary = await inspector.textContent('#suggestion-summary');
      const json = await inspector.textContent('#suggested-json');
      check(explanation.includes('CORS preflight') && explanation.includes('x-session-id'),
        'the detail shows the per-rule explanation naming the refused header', [explanation]);
      check(/rule 0/.test(explanation), 'the explanation goes through the rules', [explanation]);
      check(summary.includes('x-session-id'), `the suggested change: ${summary}`, [summary]);
      let parsed = null;
      try { parsed = JSON.parse(json); } catch (e) { /* reported below */ }
      check(parsed && Array.isArray(parsed.CORSRules), 'the JSON to paste is a put-bucket-cors document', [json]);
      const headers = await inspector.textContent('#request-headers');
      check(/Access-Control-Request-Headers\s*x-session-id/i.test(headers),
        'the request headers are shown', [headers.slice(0, 600)]);
      if (opt.out && parsed) writeFileSync(opt.out, json);
      // The copy button puts the same JSON on the clipboard (or selects it).
      await inspector.click('#copy-json');
      // The handler awaits the clipboard first: wait for its answer rather than read at once.
      const copied = await inspector
        .waitForFunction(() => document.getElementById('copied').textContent === 'copied', null, { timeout: 10000 })
        .then(() => true, () => false);
      check(copied, 'the copy button answers');
    }
    check(pageErrors.length === 0, 'no script errors on the inspector page', pageErrors);
  } else {
    const player = await context.newPage();
    await player.goto(playerUrl, { waitUntil: 'load', timeout: 10000 });
    const st = await waitPlayer(player, 'playing', 30000);
    check(st && st.state === 'playing' && st.currentTime > 1, 'with the suggested rules the player plays',
      [JSON.stringify(st)]);
  }
  return rep.failed === 0;
});
