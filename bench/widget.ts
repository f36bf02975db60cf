/**
 * Issue 6, item 5 "Widget": what `npm run bench` measures of the widget. `npx tsx bench/widget.ts`
 * prints these rows alone; bench/run.ts puts them in its table.
 *
 * 1. Size: the IIFE's gzip bytes (dist/widget/alloy.js, level 9) against its budget, the ES module's,
 *    and the same figure for the peers' browser packages bundled the same way: a Vite lib build to
 *    an IIFE with our build's target and the default minifier, everything bundled, browser
 *    resolution (Vite's default client conditions and main fields), of an entry that keeps the
 *    package's whole main export alive (`import * as m from 'pkg'; window.__peer = m`). The peers
 *    are installed at bench time into bench/.peers/ (git-ignored, a package.json of its own), never
 *    into the product's dependencies; their versions are pinned below. Each peer bundle is then run
 *    in Chromium: one that throws on load is reported as such.
 * 2. Time to an interactive modal: our server (WORKERS=off, DEMO=off, an API key), one user and
 *    their token, a host page on another origin (as an ISV's page would be) that loads
 *    /widget/alloy.js from our server and calls `Alloy.setToken`. In headless Chromium, in the page:
 *    `performance.now()`, `Alloy.install({ integrationId: 'slack' })`, then the time at which the
 *    dialog is in the shadow DOM, past loading (`aria-busy="false"`), with an enabled control of its
 *    body focused (Modal.tsx focuses the step's first control), seen from a MutationObserver, a
 *    focusin listener and a requestAnimationFrame poll, whichever comes first. Every run is a cold
 *    install: a fresh navigation to the host page (a new document: the widget parsed and run anew,
 *    no state), the script from the HTTP cache (ETag), the user's integration fetched from the server.
 *    One first run (script download, CORS preflight, which is then cached for 600 s) is reported
 *    apart; then 20 runs: median, p90, min, max.
 */
import { execFileSync, execSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { build, defaultClientConditions, defaultClientMainFields, type InlineConfig, type Rolldown } from 'vite';
import viteConfig from '../vite.config';
import { root, startServer } from './process';

/** One row of the results table: figure, measured, reference, target, ✓/✗ (as bench/run.ts builds them). */
export type Row = [figure: string, measured: string, reference: string, target: string, mark: string];

/** The widget's budget, as in vite.config.ts (IIFE, gzip level 9, everything included). */
const BUDGET_BYTES = 16 * 1024;
/** Issue 6: from `Alloy.install` to an interactive modal. */
const TARGET_MEDIAN_MS = 50;
const RUNS = 20;
const INTEGRATION_ID = 'slack';
const API_KEY = 'bench_api_key_0123456789abcdef';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The peers, at the versions measured (npm's latest on 2026-11-23), and where the UI they open comes
 * from: each is a loader whose modal or portal is an iframe served by the vendor, not in these bytes.
 */
export const PEERS = [
  { name: 'alloy-frontend', version: '2.1.1', ui: 'loader: the modal is an iframe from embedded.runalloy.com (not counted)' },
  { name: '@useparagon/connect', version: '2.4.0', ui: 'SDK; the Connect Portal is an iframe from connect.useparagon.com (not counted)' },
  { name: '@prismatic-io/embedded', version: '4.14.0', ui: 'loader: the marketplace is an iframe from app.prismatic.io (not counted)' },
  { name: '@nangohq/frontend', version: '0.71.10', ui: 'loader: Connect UI is an iframe from connect.nango.dev (not counted)' },
  { name: '@pipedream/sdk', version: '3.1.6', ui: 'browser client (its "browser" export): API client; Connect is an iframe from pipedream.com (not counted)' },
] as const;

const PEERS_DIR = path.join(root, 'bench/.peers');
const dist = (file: string) => path.join(root, 'dist/widget', file);
const gzip = (code: string | Buffer) => gzipSync(code, { level: 9 }).length;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const bytes = (n: number) => `${int(n)} B (${(n / 1024).toFixed(2)} KB)`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');

/** Builds dist/widget when it is missing, as `npm run build` does. */
function ensureBuilt(): void {
  if (fs.existsSync(dist('alloy.js')) && fs.existsSync(dist('alloy.mjs'))) return;
  console.log('  dist/widget missing: npm run build');
  execSync('npm run build --silent', { cwd: root, stdio: 'inherit' });
}

/** Installs the pinned peers into bench/.peers/ unless they are there already. */
function ensurePeers(): void {
  const installed = (name: string) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(PEERS_DIR, 'node_modules', name, 'package.json'), 'utf8')).version as string;
    } catch {
      return undefined;
    }
  };
  if (PEERS.every((p) => installed(p.name) === p.version)) return;
  fs.mkdirSync(PEERS_DIR, { recursive: true });
  const manifest = { name: 'alloy-bench-peers', private: true, description: 'Generated by bench/widget.ts: the peers measured beside our widget. Not a dependency of the product.' };
  fs.writeFileSync(path.join(PEERS_DIR, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  const specs = PEERS.map((p) => `${p.name}@${p.version}`);
  console.log(`  installing the peers into bench/.peers: ${specs.join(' ')}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--save-exact', '--prefix', PEERS_DIR, ...specs], { cwd: root, stdio: 'inherit' });
}

/**
 * Vite lib build of one entry to a minified IIFE, in memory, with our widget's settings
 * (vite.config.ts: its target and JSX options; the default minifier; nothing external).
 */
async function bundleIife(entry: string, projectRoot: string, name = 'Peer'): Promise<Rolldown.OutputChunk> {
  const config: InlineConfig = {
    configFile: false,
    root: projectRoot,
    logLevel: 'error',
    oxc: viteConfig.oxc,
    // Vite's defaults for a browser build, spelled out: the "browser" condition and field win.
    resolve: { conditions: [...defaultClientConditions], mainFields: [...defaultClientMainFields] },
    build: {
      write: false,
      target: viteConfig.build!.target,
      minify: viteConfig.build!.minify,
      lib: { entry, name, formats: ['iife'], fileName: () => 'bundle.js' },
    },
  };
  // Vite's build sets NODE_ENV=production in this process, which the servers started after would inherit.
  const nodeEnv = process.env.NODE_ENV;
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build(config);
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunk = outputs.flatMap((o) => o.output).find((c): c is Rolldown.OutputChunk => c.type === 'chunk');
  if (!chunk) throw new Error(`no chunk built from ${entry}`);
  return chunk;
}

/** Node builtins Vite stubbed out as empty modules (a package written for Node). */
const stubbedBuiltins = (chunk: Rolldown.OutputChunk) =>
  Object.keys(chunk.modules)
    .filter((id) => id.includes('__vite-browser-external'))
    .map((id) => id.slice(id.indexOf('__vite-browser-external') + '__vite-browser-external'.length).replace(/^:/, '') || '?');

/** Throws, saying how to get one, unless the browser the widget section drives is there (checked before a run starts). */
export function requireChromium(): void {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`The widget section needs Chromium at ${CHROMIUM} (or CHROMIUM_PATH): apt-get install -y chromium`);
}

function launchBrowser(): Promise<Browser> {
  requireChromium();
  // As test/helpers/browser.ts launches it.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

const PEER_PAGE = 'http://peer.bench.test/';

/** Runs an IIFE in an empty page; resolves with the first error it throws, if any. */
async function throwsInBrowser(browser: Browser, code: string): Promise<string | undefined> {
  const page = await browser.newPage();
  try {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    // A page of a real origin (a blank one has none: localStorage would be denied).
    await page.route(PEER_PAGE, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>peer</title><body></body>' }));
    await page.goto(PEER_PAGE);
    await page.addScriptTag({ content: code }).catch((err: Error) => errors.push(err.message));
    const alive = await page.evaluate('typeof window.__peer === "object" && window.__peer !== null');
    if (!alive && !errors.length) errors.push('window.__peer not set');
    return errors[0];
  } finally {
    await page.close();
  }
}

/** Rows 1: our bundle sizes and the peers', bundled the same way. */
export async function widgetSizeRows(): Promise<Row[]> {
  ensureBuilt();
  const iife = gzip(fs.readFileSync(dist('alloy.js')));
  const esm = gzip(fs.readFileSync(dist('alloy.mjs')));
  // Our widget through the same function as the peers: the same bytes as dist/ shows the settings match.
  const again = gzip((await bundleIife(path.join(root, 'widget/index.ts'), root, (viteConfig.build!.lib || undefined)?.name)).code);
  const rows: Row[] = [
    [
      'widget: IIFE gzip (dist/widget/alloy.js, level 9)',
      bytes(iife),
      again === iife ? '' : `built again as the peers are: ${bytes(again)} (dist/widget is stale? npm run build)`,
      `≤ ${BUDGET_BYTES / 1024} KB`,
      mark(iife <= BUDGET_BYTES),
    ],
    ['widget: ES module gzip (dist/widget/alloy.mjs, level 9)', bytes(esm), "Vite's ES lib output keeps its whitespace (the host's bundler minifies it)", '', ''],
  ];

  ensurePeers();
  console.log(`  peers: ${PEERS.map((p) => `${p.name}@${p.version}`).join(', ')}`);
  const entries = path.join(PEERS_DIR, 'entries');
  fs.mkdirSync(entries, { recursive: true });
  const browser = await launchBrowser();
  try {
    for (const peer of PEERS) {
      const figure = `widget peer: ${peer.name} ${peer.version}, IIFE gzip (built as ours)`;
      const entry = path.join(entries, `${peer.name.replace(/[@/]/g, '_')}.js`);
      fs.writeFileSync(entry, `import * as m from '${peer.name}';\nwindow.__peer = m;\n`);
      let chunk: Rolldown.OutputChunk;
      try {
        chunk = await bundleIife(entry, PEERS_DIR);
      } catch (err) {
        rows.push([figure, `not bundled for the browser: ${(err as Error).message.split('\n')[0]}`, peer.ui, '', '']);
        continue;
      }
      const stubs = stubbedBuiltins(chunk);
      if (stubs.length) {
        rows.push([figure, `not bundled for the browser: imports Node builtins (${stubs.join(', ')}), which Vite replaces by empty modules`, peer.ui, '', '']);
        continue;
      }
      const size = gzip(chunk.code);
      const thrown = await throwsInBrowser(browser, chunk.code);
      const versus = `ours is ${(iife / size).toFixed(2)}× this`;
      rows.push([figure, thrown ? `${bytes(size)}, but it throws on load in Chromium: ${thrown}` : `${bytes(size)}; ${versus}`, peer.ui, '', '']);
    }
  } finally {
    await browser.close();
  }
  return rows;
}

// ---- time to an interactive modal -------------------------------------------------------------

/**
 * Runs in the page (as a string: tsx's helpers must not leak into it). Resolves with the time from
 * `Alloy.install` to an interactive modal, what saw it first and what had the focus.
 */
const MEASURE = `async (integrationId) => {
  // Let the page settle after its load (the outbox flush that setToken starts): a user clicks later.
  await new Promise((r) => setTimeout(r, 100));
  return new Promise((resolve, reject) => {
    let done = false;
    let shadowObserver;
    const bodyObserver = new MutationObserver(() => check('mutation'));
    const onFocus = () => check('focusin');
    const finish = () => {
      done = true;
      bodyObserver.disconnect();
      shadowObserver?.disconnect();
      document.removeEventListener('focusin', onFocus, true);
      document.querySelector('alloy-embedded')?.shadowRoot?.removeEventListener('focusin', onFocus, true);
      clearTimeout(timer);
    };
    const check = (how) => {
      if (done) return;
      const root = document.querySelector('alloy-embedded')?.shadowRoot;
      if (!root) return;
      if (!shadowObserver) {
        shadowObserver = new MutationObserver(() => check('mutation'));
        shadowObserver.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
        // A move of the focus inside the shadow root fires focusin there only (the document sees the host).
        root.addEventListener('focusin', onFocus, true);
      }
      const body = root.querySelector('[role="dialog"] .body');
      const active = root.activeElement;
      if (!body || body.getAttribute('aria-busy') !== 'false' || !active || !body.contains(active)) return;
      if (active.disabled || active.getAttribute('aria-disabled') === 'true') return;
      const ms = performance.now() - t0;
      finish();
      // The integration's fetch, from the resource timings (start and end are given cross-origin too).
      const fetched = performance.getEntriesByType('resource').filter((e) => e.name.includes('/me/integrations/') && e.startTime >= t0).at(-1);
      resolve({ ms, fetchMs: fetched ? fetched.responseEnd - fetched.startTime : -1, how, focused: active.tagName.toLowerCase() + (active.id ? '#' + active.id : '') });
    };
    const poll = () => {
      check('raf');
      if (!done) requestAnimationFrame(poll);
    };
    const timer = setTimeout(() => {
      const html = document.querySelector('alloy-embedded')?.shadowRoot?.innerHTML ?? '(no modal)';
      finish();
      reject(new Error('no interactive modal after 10 s: ' + html.slice(-600)));
    }, 10000);
    bodyObserver.observe(document.body, { childList: true });
    document.addEventListener('focusin', onFocus, true);
    const t0 = performance.now();
    window.Alloy.install({ integrationId, onError: (err) => { finish(); reject(err); } });
    check('sync');
    requestAnimationFrame(poll);
  });
}`;

interface Sample {
  ms: number;
  /** Of which the request for the integration (GET /me/integrations/:id), start to response end. */
  fetchMs: number;
  how: string;
  focused: string;
}

export interface InstallTiming {
  first: Sample;
  samples: Sample[];
}

async function api(url: string, method: string, body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', authorization: `bearer ${API_KEY}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Measures `Alloy.install` to an interactive modal: one first run, then RUNS cold installs. */
export async function measureInstall(runs = RUNS): Promise<InstallTiming> {
  ensureBuilt();
  // The ISV's page, on an origin of its own.
  let page = '';
  const host = http.createServer((req, res) => {
    if (req.url !== '/') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  const hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-bench-widget-'));
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let browser: Browser | undefined;
  try {
    server = await startServer('server/index.ts', { WORKERS: 'off', DEMO: 'off', ALLOY_API_KEY: API_KEY, DATA_DIR: dataDir, ALLOY_ALLOWED_ORIGINS: hostUrl });
    const { userId } = await api(`${server.url}/users`, 'POST', { username: 'bench-widget' });
    const { token } = await api(`${server.url}/users/${userId}/token`, 'GET');
    page = [
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget bench</title></head><body>',
      '<button id="connect">Connect Slack</button>',
      `<script src="${server.url}/widget/alloy.js"></script>`,
      `<script>Alloy.setToken(${JSON.stringify(token)});</script>`,
      '</body></html>',
    ].join('\n');

    browser = await launchBrowser();
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (err) => errors.push(err.message));
    const once = async (): Promise<Sample> => {
      await tab.goto(hostUrl, { waitUntil: 'load' });
      const sample = (await tab.evaluate(`(${MEASURE})(${JSON.stringify(INTEGRATION_ID)})`)) as Sample;
      await tab.evaluate('window.Alloy.close()');
      if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
      return sample;
    };
    process.stdout.write(`  widget: Alloy.install → interactive modal, 1 + ${runs} runs… `);
    const first = await once();
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await once());
    const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
    console.log(`median ${median(sorted).toFixed(1)} ms (first ${first.ms.toFixed(1)} ms)`);
    return { first, samples };
  } catch (err) {
    if (server) console.error(server.output());
    throw err;
  } finally {
    await browser?.close();
    await server?.kill();
    await new Promise((resolve) => host.close(resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest rank. */
const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Rows 2: time from `Alloy.install` to an interactive modal. */
export async function widgetTimeRows(): Promise<Row[]> {
  const { first, samples } = await measureInstall();
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const fmt = (n: number) => `${n.toFixed(1)} ms`;
  const med = median(sorted);
  const seen = [...new Set(samples.map((s) => s.how))].join(', ');
  const focused = [...new Set(samples.map((s) => s.focused))].join(', ');
  return [
    [
      `widget: Alloy.install → interactive modal, median of ${samples.length} (${INTEGRATION_ID}, headless Chromium, fresh page each run)`,
      fmt(med),
      '',
      `≤ ${TARGET_MEDIAN_MS} ms`,
      mark(med <= TARGET_MEDIAN_MS),
    ],
    [
      'widget: Alloy.install → interactive modal, of which GET /me/integrations/:id (median)',
      fmt(median(samples.map((s) => s.fetchMs).sort((a, b) => a - b))),
      'start of the request to the end of its response, from the page\'s resource timings',
      '',
      '',
    ],
    [
      'widget: Alloy.install → interactive modal, p90 / min / max',
      `${fmt(percentile(sorted, 90))} / ${fmt(sorted[0]!)} / ${fmt(sorted.at(-1)!)}`,
      `interactive: dialog past loading, ${focused} focused and enabled (seen by ${seen})`,
      '',
      '',
    ],
    ['widget: the same, first run (script download, CORS preflight)', fmt(first.ms), 'not in the median', '', ''],
  ];
}

/** All the widget's rows, for bench/run.ts. */
export async function widgetRows(): Promise<Row[]> {
  return [...(await widgetSizeRows()), ...(await widgetTimeRows())];
}

// `npx tsx bench/widget.ts`: these rows alone.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const rows = await widgetRows();
  const header = ['figure', 'measured', 'reference (issue 6)', 'target', ''];
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  console.log('\n' + [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n'));
}
