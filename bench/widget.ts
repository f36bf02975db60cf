/**
 * The widget's benchmark (the widget in two bundles, docs/widget.md): what `npm run bench`
 * measures of the widget. `npx tsx bench/widget.ts` prints these rows alone (with
 * the date and the machine); bench/run.ts puts them in its table.
 *
 * 1. Size, gzip level 9 (`gzipSize` of build/widget-checks.ts), of what `npx tsx build/widget.ts`
 *    writes to dist/widget/, against its `BUDGETS`: the loader (alloy.js, the IIFE every page with
 *    the script tag pays; budget 3,072 B, goal 2,048 B, and beside alloy-frontend 2.1.1's, measured
 *    in the same run), the UI (alloy-ui.js, fetched on first use), the loader and the UI together
 *    (what a page that opens the modal pays; budget 16,384 B, goal 12,288 B), each locale
 *    (alloy-locale-<name>.json, ≤ 1,024 B) and the loader as an ES module (alloy.mjs). The peers'
 *    browser packages are loaders too (their UI is an iframe from the vendor), so they are set
 *    beside our loader, bundled as build/widget.ts bundles it: a Vite lib build to an IIFE, target
 *    es2022, minified (`minify: true` and Rolldown's output minifier), everything bundled, browser
 *    resolution (Vite's default client conditions and main fields), of an entry that keeps the
 *    package's whole main export alive (`import * as m from 'pkg'; window.__peer = m`). Our loader
 *    goes through the same function: the same bytes as dist/ shows the settings match (else dist/ is
 *    stale). The peers are installed at bench time into bench/.peers/ (git-ignored, a package.json of
 *    its own), never into the product's dependencies; their versions are pinned below. Each peer
 *    bundle is then run in Chromium: one that throws on load is reported as such.
 * 2. Time to an interactive modal: our server (WORKERS=off, DEMO=off, an API key), one user and
 *    their token, a host page on another origin (as an ISV's page would be) that loads
 *    /widget/alloy.js from our server and calls `Alloy.setToken`. In headless Chromium, in the page,
 *    100 ms after its load: `performance.now()`, `Alloy.install({ integrationId: 'slack' })`, then the
 *    time at which the dialog is in the shadow DOM, past loading (`aria-busy="false"`), with an
 *    enabled control of its body focused (Modal.tsx focuses the step's first control), seen from a
 *    MutationObserver, a focusin listener and a requestAnimationFrame poll, whichever comes first.
 *    Every run is a fresh navigation to the host page (a new document: the loader parsed and run
 *    anew, no state), the loader from the HTTP cache, the user's integration fetched from the server.
 *    Measured twice, the two kinds of run taking turns:
 *    - cold: the UI not loaded yet, so `install` fetches alloy-ui.js and runs it within the measured
 *      time. The server lets a browser keep it 300 s (`max-age=300, must-revalidate`), so after the
 *      first run Chromium serves it from its cache (each run says from where, seen over CDP: its
 *      memory cache, here): those runs parse and start the UI anew but do not download it.
 *      Target: median ≤ 100 ms.
 *    - preloaded: `await Alloy.preload()` (the UI fetched and started) before the 100 ms and
 *      `performance.now()`. Target: median ≤ 50 ms.
 *    One first run, cold (the UI's download, the CORS preflight, which is then cached for 600 s,
 *    the server's first such request), is reported apart; then 20 runs of each: median, p90, min,
 *    max. A run whose modal is not interactive after 10 s is not an error of the bench but a result:
 *    counted in a row of its own, with what the modal showed and the requests made, and as stuck
 *    (∞) in the figures. A row says how busy the machine was meanwhile (from /proc): these runs,
 *    and everything else, which on a shared machine slows the figures.
 */
import { execFileSync, execSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type CDPSession } from 'playwright-core';
import { build, defaultClientConditions, defaultClientMainFields, type InlineConfig, type Rolldown } from 'vite';
import { BUDGETS, gzipSize } from '../build/widget-checks';
import { LOCALES } from '../widget/locales/types';
import { root, startServer } from './process';

/** One row of the results table: figure, measured, reference, target, ✓/✗ (as bench/run.ts builds them). */
export type Row = [figure: string, measured: string, reference: string, target: string, mark: string];

/** Issue 23: from `Alloy.install` to an interactive modal, the UI fetched on demand (cold) or preloaded. */
const TARGET_COLD_MS = 100;
const TARGET_PRELOADED_MS = 50;
const RUNS = 20;
/** A run with no interactive modal after this long is counted as stuck (and as Infinity in the figures). */
const STUCK_MS = 10_000;
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
const LOCALE_FILES = LOCALES.filter((l) => l !== 'en').map((l) => `alloy-locale-${l}.json`);
/** What build/widget.ts writes, and this file measures. */
const BUILT = ['alloy.js', 'alloy.mjs', 'alloy-ui.js', ...LOCALE_FILES];
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const bytes = (n: number) => `${int(n)} B (${(n / 1024).toFixed(2)} KB)`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');
/** The mark of a size against a budget and its goal. */
const budgetMark = (size: number, { budget, goal }: { budget: number; goal: number }) =>
  size > budget ? `✗ (${int(size - budget)} B over)` : size <= goal ? '✓ (goal met)' : `✓ (goal ✗: ${int(size - goal)} B over)`;

/** Builds dist/widget when a file is missing, as `npm run build` does. */
function ensureBuilt(): void {
  if (BUILT.every((f) => fs.existsSync(dist(f)))) return;
  console.log('  dist/widget incomplete: npx tsx build/widget.ts');
  execSync('npx tsx build/widget.ts', { cwd: root, stdio: 'inherit' });
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
  const manifest = {
    name: 'alloy-bench-peers',
    private: true,
    description: 'Generated by bench/widget.ts: the peers measured beside our widget. Not a dependency of the product.',
  };
  fs.writeFileSync(path.join(PEERS_DIR, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  const specs = PEERS.map((p) => `${p.name}@${p.version}`);
  console.log(`  installing the peers into bench/.peers: ${specs.join(' ')}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--save-exact', '--prefix', PEERS_DIR, ...specs], { cwd: root, stdio: 'inherit' });
}

/**
 * Vite lib build of one entry to a minified IIFE, in memory, with build/widget.ts's settings (its
 * target, minifiers and JSX options; nothing external). `alias` is build/widget.ts's too, for our loader.
 */
async function bundleIife(entry: string, projectRoot: string, name = 'Peer', alias: NonNullable<InlineConfig['resolve']>['alias'] = []): Promise<Rolldown.OutputChunk> {
  const config: InlineConfig = {
    configFile: false,
    root: projectRoot,
    logLevel: 'error',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    // Vite's defaults for a browser build, spelled out: the "browser" condition and field win.
    resolve: { alias, conditions: [...defaultClientConditions], mainFields: [...defaultClientMainFields] },
    build: {
      write: false,
      target: 'es2022',
      minify: true,
      rolldownOptions: { output: { minify: true } },
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

interface PeerSize {
  peer: (typeof PEERS)[number];
  /** Gzip bytes, when it bundled for the browser. */
  size?: number;
  /** Why it did not bundle, or the error it threw on load. */
  problem?: string;
}

/** Each peer bundled as our loader is, and run once in Chromium. */
async function peerSizes(): Promise<PeerSize[]> {
  ensurePeers();
  console.log(`  peers: ${PEERS.map((p) => `${p.name}@${p.version}`).join(', ')}`);
  const entries = path.join(PEERS_DIR, 'entries');
  fs.mkdirSync(entries, { recursive: true });
  const out: PeerSize[] = [];
  const browser = await launchBrowser();
  try {
    for (const peer of PEERS) {
      const entry = path.join(entries, `${peer.name.replace(/[@/]/g, '_')}.js`);
      fs.writeFileSync(entry, `import * as m from '${peer.name}';\nwindow.__peer = m;\n`);
      let chunk: Rolldown.OutputChunk;
      try {
        chunk = await bundleIife(entry, PEERS_DIR);
      } catch (err) {
        out.push({ peer, problem: `not bundled for the browser: ${(err as Error).message.split('\n')[0]}` });
        continue;
      }
      const stubs = stubbedBuiltins(chunk);
      if (stubs.length) {
        out.push({ peer, problem: `not bundled for the browser: imports Node builtins (${stubs.join(', ')}), which Vite replaces by empty modules` });
        continue;
      }
      const thrown = await throwsInBrowser(browser, chunk.code);
      out.push({ peer, size: gzipSize(chunk.code), problem: thrown && `it throws on load in Chromium: ${thrown}` });
    }
  } finally {
    await browser.close();
  }
  return out;
}

/** Rows 1: our bundles' sizes, and the peers' beside our loader, bundled the same way. */
export async function widgetSizeRows(): Promise<Row[]> {
  ensureBuilt();
  const size = (file: string) => gzipSize(fs.readFileSync(dist(file)));
  const loader = size('alloy.js');
  const ui = size('alloy-ui.js');
  const esm = size('alloy.mjs');
  // Our loader through the same function as the peers: the same bytes as dist/ shows the settings match.
  const again = gzipSize(
    (await bundleIife(path.join(root, 'widget/global.ts'), root, 'Alloy', [{ find: /^\.\/load-ui$/, replacement: path.join(root, 'widget/load-ui.browser.ts') }])).code,
  );
  const peers = await peerSizes();
  const alloyFrontend = peers.find((p) => p.peer.name === 'alloy-frontend');
  const versusAlloy = alloyFrontend?.size
    ? `alloy-frontend ${alloyFrontend.peer.version} built the same way in this run: ${int(alloyFrontend.size)} B (ours is ${(loader / alloyFrontend.size).toFixed(2)}× it, ${loader >= alloyFrontend.size ? '+' : ''}${int(loader - alloyFrontend.size)} B)`
    : `alloy-frontend: ${alloyFrontend?.problem ?? 'not measured'}`;
  const stale = again === loader ? '' : `; built again as the peers are: ${bytes(again)} (dist/widget is stale? npx tsx build/widget.ts)`;
  const { loader: loaderBudget, total: totalBudget, locale: localeBudget } = BUDGETS;
  const limit = ({ budget, goal }: { budget: number; goal: number }) => (budget === goal ? `≤ ${int(budget)} B` : `≤ ${int(budget)} B (goal ${int(goal)} B)`);
  const rows: Row[] = [
    [
      'widget: loader gzip (dist/widget/alloy.js, IIFE, level 9)',
      bytes(loader),
      `what every page with the script tag pays; ${versusAlloy}${stale}`,
      limit(loaderBudget),
      budgetMark(loader, loaderBudget),
    ],
    ['widget: UI gzip (dist/widget/alloy-ui.js, ES module, level 9)', bytes(ui), 'fetched by the loader on the first install or renderIntegrations, or by Alloy.preload()', '', ''],
    ['widget: loader + UI gzip', bytes(loader + ui), 'what a page that opens the modal pays', limit(totalBudget), budgetMark(loader + ui, totalBudget)],
    ...LOCALE_FILES.map((file): Row => {
      const n = size(file);
      return [
        `widget: locale ${file.slice('alloy-locale-'.length, -'.json'.length)} gzip (dist/widget/${file}, level 9)`,
        bytes(n),
        'fetched only by a page that uses it (English is in the UI)',
        limit(localeBudget),
        mark(n <= localeBudget.budget),
      ];
    }),
    [
      'widget: loader as an ES module gzip (dist/widget/alloy.mjs, level 9)',
      bytes(esm),
      "for bundlers (the host's bundler minifies it again); fetches alloy-ui.js from setBaseUrl",
      '',
      '',
    ],
  ];
  for (const { peer, size: n, problem } of peers) {
    const figure = `widget peer: ${peer.name} ${peer.version}, IIFE gzip (built as our loader)`;
    const measured = n === undefined ? problem! : problem ? `${bytes(n)}, but ${problem}` : `${bytes(n)}; our loader is ${(loader / n).toFixed(2)}× this`;
    rows.push([figure, measured, peer.ui, '', '']);
  }
  return rows;
}

// ---- time to an interactive modal -------------------------------------------------------------

/**
 * Runs in the page (as a string: tsx's helpers must not leak into it). Resolves with the time from
 * `Alloy.install` to an interactive modal, what saw it first and what had the focus. `preload`:
 * `await Alloy.preload()` first, outside the measured time.
 */
const MEASURE = `async (integrationId, preload, STUCK_MS) => {
  if (preload) await window.Alloy.preload();
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
    // A request made within the measured time, from the resource timings (start and end are given cross-origin too).
    const entry = (part) => performance.getEntriesByType('resource').filter((e) => e.name.includes(part) && e.startTime >= t0).at(-1);
    const fetched = (part) => {
      const e = entry(part);
      return e ? e.responseEnd - e.startTime : -1;
    };
    const startedAt = (part) => {
      const e = entry(part);
      return e ? e.startTime - t0 : -1;
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
      resolve({ ms, fetchMs: fetched('/me/integrations/'), fetchAt: startedAt('/me/integrations/'), uiMs: fetched('/widget/alloy-ui.js'), how, focused: active.tagName.toLowerCase() + (active.id ? '#' + active.id : '') });
    };
    const poll = () => {
      check('raf');
      if (!done) requestAnimationFrame(poll);
    };
    const timer = setTimeout(() => {
      // Reported, not thrown: a modal that never becomes interactive is a result (counted apart).
      const root = document.querySelector('alloy-embedded')?.shadowRoot;
      const body = root?.querySelector('[role="dialog"] .body');
      const requests = performance.getEntriesByType('resource').filter((e) => e.startTime >= t0).map((e) => new URL(e.name).pathname + ' ' + (e.responseEnd ? Math.round(e.responseEnd - e.startTime) + ' ms' : 'unfinished'));
      const state = !root ? 'no modal' : !body ? 'no dialog body' : 'aria-busy="' + body.getAttribute('aria-busy') + '", "' + body.textContent.trim().slice(0, 60) + '", focus on ' + (root.activeElement?.tagName.toLowerCase() ?? 'nothing');
      finish();
      resolve({ ms: -1, stuck: state + '; requests since install: ' + (requests.join(', ') || 'none'), fetchMs: fetched('/me/integrations/'), fetchAt: startedAt('/me/integrations/'), uiMs: fetched('/widget/alloy-ui.js'), how: 'timeout', focused: '' });
    }, STUCK_MS);
    bodyObserver.observe(document.body, { childList: true });
    document.addEventListener('focusin', onFocus, true);
    const t0 = performance.now();
    window.Alloy.install({ integrationId, onError: (err) => { finish(); reject(err); } });
    check('sync');
    requestAnimationFrame(poll);
  });
}`;

type Mode = 'cold' | 'preloaded';

interface Sample {
  /** Infinity: no interactive modal after STUCK_MS. */
  ms: number;
  /** Why not, when the modal never became interactive: what it showed, the requests made. */
  stuck?: string;
  /** Of which the request for the integration (GET /me/integrations/:id), start to response end. */
  fetchMs: number;
  /** When that request started, after `Alloy.install`. */
  fetchAt: number;
  /** Of which the request for alloy-ui.js, start to response end (-1: none within the measured time). */
  uiMs: number;
  /** Where alloy-ui.js came from in this page, seen over CDP ('' when it was not requested). */
  uiFrom: string;
  how: string;
  focused: string;
}

export interface InstallTiming {
  /**
   * The machine while the runs ran: CPU busy, and of it this process and its descendants (0–1 of
   * all cores; NaN off Linux), the 1-minute load average before and after.
   */
  machine: { busy: number; own: number; load: [number, number] };
  /** Runs whose modal never became interactive, in order. */
  stuck: string[];
  /** The very first run, cold: nothing in the HTTP cache. */
  first: Sample;
  cold: Sample[];
  preloaded: Sample[];
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

/** The machine's CPU time so far, from /proc/stat (Linux): busy and total, in ticks. */
function cpuTicks(): { busy: number; total: number } | undefined {
  try {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + steal!;
    return { busy, total: busy + idle! + iowait! };
  } catch {
    return undefined;
  }
}

/**
 * CPU ticks of this process and all its descendants (Chromium's processes, the server), from /proc:
 * each one's user and system time, and that of its children already gone (cutime, cstime).
 */
function ownTicks(): number | undefined {
  try {
    const procs = new Map<number, { ppid: number; ticks: number }>();
    for (const dir of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(dir)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${dir}/stat`, 'utf8');
        // After the command's closing parenthesis: state, ppid, …, utime (14th field), stime, cutime, cstime.
        const f = stat
          .slice(stat.lastIndexOf(')') + 2)
          .split(' ')
          .map(Number);
        procs.set(Number(dir), { ppid: f[1]!, ticks: f[11]! + f[12]! + f[13]! + f[14]! });
      } catch {
        // gone meanwhile
      }
    }
    let ticks = 0;
    const queue = [process.pid];
    for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
      ticks += procs.get(pid)?.ticks ?? 0;
      for (const [child, p] of procs) if (p.ppid === pid) queue.push(child);
    }
    return ticks;
  } catch {
    return undefined;
  }
}

/** Where each page's alloy-ui.js came from: the network, a revalidation (304), or a cache. */
async function watchUiSource(cdp: CDPSession): Promise<{ reset(): void; from(): string }> {
  let id: string | undefined;
  let from = '';
  await cdp.send('Network.enable');
  cdp.on('Network.requestWillBeSent', (e) => {
    if (!e.request.url.endsWith('/widget/alloy-ui.js')) return;
    id = e.requestId;
    from = 'network';
  });
  cdp.on('Network.requestServedFromCache', (e) => {
    if (e.requestId === id) from = 'memory cache';
  });
  cdp.on('Network.responseReceived', (e) => {
    if (e.requestId !== id || from === 'memory cache') return;
    from = e.response.fromDiskCache ? 'disk cache' : e.response.status === 304 ? 'revalidated (304)' : 'network';
  });
  return {
    reset: () => ((id = undefined), (from = '')),
    from: () => from,
  };
}

/** Measures `Alloy.install` to an interactive modal: one first run, then `runs` cold and `runs` preloaded, taking turns. */
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
    const ui = await watchUiSource(await tab.context().newCDPSession(tab));
    let run = 0;
    const once = async (mode: Mode): Promise<Sample> => {
      ui.reset();
      run++;
      await tab.goto(hostUrl, { waitUntil: 'load' });
      const sample = (await tab.evaluate(`(${MEASURE})(${JSON.stringify(INTEGRATION_ID)}, ${mode === 'preloaded'}, ${STUCK_MS})`).catch((err: Error) => {
        throw new Error(`run ${run} (${mode}, alloy-ui.js from ${ui.from() || 'nowhere'}): ${err.message}`);
      })) as Omit<Sample, 'uiFrom'>;
      await tab.evaluate('window.Alloy.close()');
      if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
      if (sample.stuck) {
        sample.stuck = `run ${run} (${mode}): ${sample.stuck}`;
        sample.ms = Infinity;
        console.log(`\n  no interactive modal after ${STUCK_MS / 1000} s: ${sample.stuck}`);
      }
      return { ...sample, uiFrom: ui.from() };
    };
    process.stdout.write(`  widget: Alloy.install → interactive modal, 1 + ${runs} cold and ${runs} preloaded runs… `);
    const cpuBefore = cpuTicks();
    const ownBefore = ownTicks();
    const loadBefore = os.loadavg()[0]!;
    const first = await once('cold');
    const cold: Sample[] = [];
    const preloaded: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      cold.push(await once('cold'));
      preloaded.push(await once('preloaded'));
    }
    const med = (samples: Sample[]) => median(samples.map((s) => s.ms).sort((a, b) => a - b)).toFixed(1);
    console.log(`median cold ${med(cold)} ms, preloaded ${med(preloaded)} ms (first ${first.ms.toFixed(1)} ms)`);
    const cpuAfter = cpuTicks();
    const ownAfter = ownTicks();
    const total = cpuBefore && cpuAfter ? cpuAfter.total - cpuBefore.total : NaN;
    const busy = cpuBefore && cpuAfter ? (cpuAfter.busy - cpuBefore.busy) / total : NaN;
    const own = ownBefore !== undefined && ownAfter !== undefined ? (ownAfter - ownBefore) / total : NaN;
    const machine = { busy, own, load: [loadBefore, os.loadavg()[0]!] as [number, number] };
    const stuck = [first, ...cold, ...preloaded].flatMap((s) => (s.stuck ? [s.stuck] : [])).sort((a, b) => Number(a.split(' ')[1]) - Number(b.split(' ')[1]));
    return { first, cold, preloaded, stuck, machine };
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

const pct = (n: number) => (Number.isNaN(n) ? '?' : `${Math.round(n * 100)}%`);
const fmt = (n: number) => (n === Infinity ? `stuck (> ${STUCK_MS / 1000} s)` : `${n.toFixed(1)} ms`);
/** "18 disk cache, 2 network" */
const tally = (values: string[]) =>
  Object.entries(values.reduce<Record<string, number>>((n, v) => ((n[v] = (n[v] ?? 0) + 1), n), {}))
    .map(([v, n]) => `${n} ${v}`)
    .join(', ');

/** The rows of one kind of run. */
function timeRows(mode: Mode, samples: Sample[], target: number): Row[] {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const med = median(sorted);
  const done = samples.filter((s) => !s.stuck);
  const seen = [...new Set(done.map((s) => s.how))].join(', ');
  const focused = [...new Set(done.map((s) => s.focused))].join(', ');
  const label = `widget: Alloy.install → interactive modal, ${mode}`;
  const how =
    mode === 'cold'
      ? 'the UI not loaded: install fetches alloy-ui.js and runs it within the measured time'
      : 'await Alloy.preload() before the clock starts: the UI fetched and started';
  const rows: Row[] = [
    [`${label}, median of ${samples.length} (${INTEGRATION_ID}, headless Chromium, fresh page each run)`, fmt(med), how, `≤ ${target} ms`, mark(med <= target)],
    [
      `${label}, p90 / min / max`,
      `${fmt(percentile(sorted, 90))} / ${fmt(sorted[0]!)} / ${fmt(sorted.at(-1)!)}`,
      `interactive: dialog past loading, ${focused} focused and enabled (seen by ${seen})`,
      '',
      '',
    ],
  ];
  if (mode === 'cold') {
    const uiSorted = samples.map((s) => s.uiMs).sort((a, b) => a - b);
    rows.push([
      `${label}, of which fetching alloy-ui.js (median)`,
      fmt(median(uiSorted)),
      `alloy-ui.js from: ${tally(samples.map((s) => s.uiFrom || 'not requested'))} (the server lets a browser keep it 300 s: after the first run, it is parsed and run anew, not downloaded)`,
      '',
      '',
    ]);
  } else {
    const late = samples.filter((s) => s.uiMs >= 0).length;
    rows.push([
      `${label}, alloy-ui.js requested within the measured time`,
      `${late} of ${samples.length}`,
      `preload() got it from: ${tally(samples.map((s) => s.uiFrom || 'not requested'))}`,
      '0',
      mark(late === 0),
    ]);
  }
  const medOf = (values: number[]) => fmt(median(values.sort((a, b) => a - b)));
  rows.push([
    `${label}, of which GET /me/integrations/:id (median)`,
    medOf(samples.map((s) => s.fetchMs)),
    `start of the request to the end of its response, from the page's resource timings; it starts ${medOf(samples.map((s) => s.fetchAt))} after install, and the modal is interactive ${medOf(done.map((s) => s.ms - s.fetchAt - s.fetchMs))} after its response (medians)`,
    '',
    '',
  ]);
  return rows;
}

/** Rows 2: time from `Alloy.install` to an interactive modal, cold and preloaded. */
export async function widgetTimeRows(): Promise<Row[]> {
  const { first, cold, preloaded, stuck, machine } = await measureInstall();
  const all = 1 + cold.length + preloaded.length;
  return [
    [
      'widget: the machine during the Alloy.install runs',
      Number.isNaN(machine.busy)
        ? 'not measured (no /proc)'
        : `CPU ${pct(machine.busy)} busy (of all ${os.cpus().length} cores): these runs ${pct(machine.own)}, everything else ${pct(machine.busy - machine.own)}; load average ${machine.load.map((l) => l.toFixed(2)).join(' → ')}`,
      "from /proc: these runs are this process and its descendants (Chromium's processes, the server), one page at a time; everything else is the rest of the machine (other work on it slows the figures below)",
      '',
      '',
    ],
    [
      `widget: Alloy.install runs with no interactive modal after ${STUCK_MS / 1000} s`,
      `${stuck.length} of ${all}`,
      stuck.length ? `counted as stuck in the figures below; ${stuck.join(' · ')}` : '',
      '0',
      mark(stuck.length === 0),
    ],
    ...timeRows('cold', cold, TARGET_COLD_MS),
    [
      "widget: the same, cold, very first run (the UI downloaded, the CORS preflight, the server's first such request)",
      fmt(first.ms),
      `not in the median; of which alloy-ui.js (from the ${first.uiFrom || '?'}) ${fmt(first.uiMs)}, GET /me/integrations/:id ${fmt(first.fetchMs)}`,
      '',
      '',
    ],
    ...timeRows('preloaded', preloaded, TARGET_PRELOADED_MS),
  ];
}

/** All the widget's rows, for bench/run.ts. */
export async function widgetRows(): Promise<Row[]> {
  return [...(await widgetSizeRows()), ...(await widgetTimeRows())];
}

// `npx tsx bench/widget.ts`: these rows alone, with the date and the machine.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const cpus = os.cpus();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const machine = `node ${process.version} · ${cpus.length} CPU${cpus.length === 1 ? '' : 's'} (${cpus[0]?.model ?? 'unknown'}) · ${os.platform()} ${os.release()}`;
  const load = () => os.loadavg()[0]!.toFixed(2);
  const loadBefore = load();
  const rows = await widgetRows();
  const header = ['figure', 'measured', 'reference', 'target', ''];
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  console.log(
    `\n\`npx tsx bench/widget.ts\`: ${date} · ${machine} · load average (1 min) ${loadBefore} before, ${load()} after · the host page, the server and Chromium on this machine, over loopback`,
  );
  console.log('\n' + [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n'));
}
