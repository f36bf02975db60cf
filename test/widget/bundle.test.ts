import fs from 'node:fs';
import path from 'node:path';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { BUDGETS, gzipSize, widgetChecks } from '../../build/widget-checks';

const root = path.resolve(import.meta.dirname, '../..');
const dist = (file: string) => path.join(root, 'dist/widget', file);
const size = (file: string) => gzipSize(fs.readFileSync(dist(file)));

/** Builds a one-off entry with the widget's checks; resolves with the build or rejects with its error. */
function buildWith(source: string, ui = false) {
  // Inside the project, so packages resolve from its node_modules as the widget's imports would.
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(root, 'dist', 'bleed-'));
  const entry = path.join(dir, 'entry.ts');
  fs.writeFileSync(entry, source);
  return build({
    configFile: false,
    logLevel: 'silent',
    root,
    plugins: [widgetChecks({ ui })],
    build: { write: false, lib: { entry, name: 'Leak', formats: ['es'], fileName: () => 'alloy-ui.js' } },
  }).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

// `npm test` builds the widget before running the tests (see package.json).
describe('the widget bundles', () => {
  it('keep the loader within 3 KB gzip and the loader with the UI within 16 KB', () => {
    expect(size('alloy.js')).toBeLessThanOrEqual(BUDGETS.loader.budget);
    expect(size('alloy.js') + size('alloy-ui.js')).toBeLessThanOrEqual(BUDGETS.total.budget);
  });

  it('hold no UI in the loader: no Preact, no modal', () => {
    const loader = fs.readFileSync(dist('alloy.js'), 'utf8');
    expect(loader).not.toMatch(/alloy-embedded|aria-modal|__k/);
  });

  it('define window.Alloy, itself the alloy-frontend factory, with the public methods', () => {
    const code = fs.readFileSync(dist('alloy.js'), 'utf8');
    const sandbox: Record<string, unknown> = { addEventListener: () => undefined };
    new Function('window', 'self', 'globalThis', `${code};window.Alloy=Alloy`)(sandbox, sandbox, sandbox);
    const api = sandbox.Alloy as (() => Record<string, unknown>) & Record<string, unknown>;
    const methods = [
      'setToken',
      'setTokenProvider',
      'setBaseUrl',
      'setRegion',
      'install',
      'edit',
      'update',
      'authenticate',
      'close',
      'getIntegrations',
      'getWorkflows',
      'deactivate',
      'reactivate',
      'uninstall',
      'sendAppEvent',
      'flushOutbox',
      'renderIntegrations',
      'subscribe',
      'preload',
    ];
    for (const name of methods) expect(typeof api[name], name).toBe('function');
    expect(typeof api).toBe('function');
    const instance = api();
    for (const name of methods) expect(typeof instance[name], `Alloy().${name}`).toBe('function');
  });

  it('fails the build when server-only code reaches a bundle', async () => {
    await expect(buildWith("import { SignJWT } from 'jose';\nexport const leak = SignJWT;\n")).rejects.toThrow(/server-only code reached alloy-ui\.js: .*jose/);
  });

  it("fails the UI build when it holds a copy of the loader's session", async () => {
    const session = path.join(root, 'widget/session.ts').replace(/\\/g, '/');
    await expect(buildWith(`import { setToken } from '${session}';\nexport const copy = setToken;\n`, true)).rejects.toThrow(/loader's modules reached alloy-ui\.js/);
  });
});
