import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, storeKind, type TestServer } from '../helpers/server';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const bin = (name: string) => path.join(root, 'node_modules/.bin', name);

/** Runs a linter; its exit code and everything it printed, whether it passed or not. */
async function lint(command: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(bin(command), args, {
      cwd: root,
      // No telemetry or update check: the tests run offline.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', SCARF_ANALYTICS: 'false', NO_COLOR: '1' },
      timeout: 60_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

describe(`the OpenAPI document passes both linters (${storeKind})`, () => {
  let server: TestServer;
  let file: string;
  beforeAll(async () => {
    // A real-looking public URL: Redocly warns about a server on localhost or example.com.
    server = await startTestServer({ env: { PUBLIC_URL: 'https://integrations.acme.test' } });
    const res = await server.request('GET', '/openapi.json', { apiKey: null });
    expect(res.status).toBe(200);
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-openapi-')), 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(res.body, null, 2));
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('has no Spectral (spectral:oas) error, warning, info or hint', async () => {
    const { code, output } = await lint('spectral', ['lint', '--ruleset', path.join(root, '.spectral.yaml'), '--fail-severity=hint', file]);
    expect(output).toContain('No results with a severity of');
    expect(code, output).toBe(0);
  }, 60_000);

  it('has no Redocly (recommended) error or warning', async () => {
    const { code, output } = await lint('redocly', ['lint', '--config', path.join(root, 'redocly.yaml'), '--format=stylish', file]);
    // Problems print as `line:col  warning  rule-id  message`. (On Node 20 Redocly also prints a
    // "Deprecation warning" banner about Node 20 itself, which says nothing about the document.)
    expect(output).not.toMatch(/^\s*\d+:\d+\s+(error|warning)\b/m);
    expect(output).toContain('Your API description is valid');
    expect(output).not.toMatch(/You have \d+ warnings?/);
    expect(code, output).toBe(0);
  }, 60_000);
});
