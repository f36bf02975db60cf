import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { widgetChecks } from '../../vite.config';

const root = path.resolve(import.meta.dirname, '../..');
const iife = path.join(root, 'dist/widget/alloy.js');

// `npm test` builds the widget before running the tests (see package.json).
describe('the widget bundle', () => {
  it('is within its 16 KB gzip budget, everything included', () => {
    const gzip = gzipSync(fs.readFileSync(iife), { level: 9 }).length;
    expect(gzip).toBeLessThanOrEqual(16 * 1024);
  });

  it('defines window.Alloy with the public methods', () => {
    const code = fs.readFileSync(iife, 'utf8');
    const sandbox: Record<string, unknown> = { addEventListener: () => undefined };
    new Function('window', 'self', 'globalThis', `${code};window.Alloy=Alloy`)(sandbox, sandbox, sandbox);
    const api = sandbox.Alloy as Record<string, unknown>;
    for (const name of ['setToken', 'setTokenProvider', 'setBaseUrl', 'setRegion', 'install', 'edit', 'update', 'authenticate', 'close', 'getIntegrations', 'getWorkflows', 'deactivate', 'reactivate', 'uninstall', 'sendAppEvent', 'renderIntegrations']) {
      expect(typeof api[name], name).toBe('function');
    }
  });

  it('fails the build when server-only code reaches the bundle', async () => {
    // Inside the project, so `jose` resolves from its node_modules as the widget's imports would.
    fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(root, 'dist', 'bleed-'));
    const entry = path.join(dir, 'entry.ts');
    fs.writeFileSync(entry, "import { SignJWT } from 'jose';\nexport const leak = SignJWT;\n");
    const attempt = build({
      configFile: false,
      logLevel: 'silent',
      root,
      plugins: [widgetChecks()],
      build: { write: false, lib: { entry, name: 'Leak', formats: ['iife'], fileName: () => 'alloy.js' } },
    });
    await expect(attempt).rejects.toThrow(/server-only code reached alloy\.js: .*jose/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
