// Shared pieces of the Chromium drivers (edge_players.mjs, faults_players.mjs, inspector.mjs):
//   reporter(label)             check(cond, desc, diag) printing "ok - ..." / "not ok - ..." lines
//                               (diagnostics as "#   ..." lines); .failed counts the misses
//   short(value, n)             a one-line, bounded rendering of a value for diagnostics
//   runBrowser(path, body)      launches headless Chromium (a scratch profile, removed after),
//                               awaits body(browser) and exits: 0 when body returned true,
//                               1 when it returned false, 2 when it threw (a harness error)
//   openPage(browser, origin)   a fresh context (no HTTP cache shared between runs) and page, with
//                               the console and the requests to origin (finished or failed, with
//                               Chromium's error text) collected as lines
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function short(v, n = 700) {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > n ? `${s.slice(0, n)}...` : s;
}

export function reporter(label) {
  const prefix = label ? `${label}: ` : '';
  const r = {
    failed: 0,
    check(cond, desc, diag = []) {
      if (cond) {
        console.log(`ok - ${prefix}${desc}`);
      } else {
        r.failed++;
        console.log(`not ok - ${prefix}${desc}`);
        for (const d of diag) for (const line of String(d).split('\n')) console.log(`#   ${line}`);
      }
      return !!cond;
    },
  };
  return r;
}

export async function runBrowser(chromiumPath, body) {
  const scratch = mkdtempSync(join(tmpdir(), 's3cors-chromium-'));
  let browser;
  let exitCode = 2;
  try {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      timeout: 20000,
      env: { ...process.env, XDG_CONFIG_HOME: scratch, XDG_CACHE_HOME: scratch },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
    });
    exitCode = (await body(browser)) ? 0 : 1;
  } catch (e) {
    console.log('not ok - browser harness runs');
    for (const line of String(e && e.stack ? e.stack : e).split('\n')) console.log(`#   ${line}`);
    exitCode = 2;
  } finally {
    if (browser) await browser.close().catch(() => {});
    rmSync(scratch, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

export async function openPage(browser, watchOrigin) {
  const context = await browser.newContext({ viewport: { width: 660, height: 420 } });
  const consoleMsgs = [];
  const net = [];
  const page = await context.newPage();
  page.on('console', (m) => consoleMsgs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleMsgs.push(`pageerror: ${e}`));
  page.on('requestfinished', (req) => {
    if (req.url().startsWith(watchOrigin)) net.push(`${req.method()} ${new URL(req.url()).pathname} finished`);
  });
  page.on('requestfailed', (req) => {
    if (req.url().startsWith(watchOrigin)) {
      net.push(`${req.method()} ${new URL(req.url()).pathname} failed: ${req.failure()?.errorText}`);
    }
  });
  return { context, page, consoleMsgs, net, close: () => context.close().catch(() => {}) };
}
