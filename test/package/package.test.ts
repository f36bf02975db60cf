import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import { launchBrowser, listen } from '../helpers/browser';
import { createUser, startTestServer, userToken, type TestServer } from '../helpers/server';
import { attempt, freshProject, packPackage, root, serveStatic, sh } from './helpers';

// The widget's npm package (build/package.ts) as a stranger gets it: `npm pack`ed, installed from
// the tarball into fresh projects outside this repository (nothing of its node_modules in reach
// but what each project links), type-checked with TypeScript alone, and built into a Vite + React 19
// app that installs Slack in Chromium against a test server.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-package-'));
let packed: Awaited<ReturnType<typeof packPackage>>;
const tsc = (project: string, config: string) => attempt(process.execPath, [path.join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], project);
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
};

beforeAll(async () => {
  packed = await packPackage(tmp);
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the npm package', () => {
  it('packs the loaders, the React bindings, their types, a README and a package.json that exports each', () => {
    expect(packed.name).toBe('@alloy-embedded-kit/widget');
    expect(packed.version).toBe(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
    expect(packed.files).toEqual(expect.arrayContaining(['README.md', 'alloy.js', 'alloy.mjs', 'index.d.ts', 'package.json', 'react.d.ts', 'react.mjs', 'types/react/index.d.ts']));
    // Nothing of the sources, the UI (fetched from the server) or the zod-typed declarations.
    expect(packed.files.filter((f) => !/^(README\.md|package\.json|alloy\.m?js|react\.mjs|(index|react)\.d\.ts|types\/react\/\w+\.d\.ts)$/.test(f))).toEqual([]);

    const dir = path.join(tmp, 'package');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.exports).toEqual({
      '.': { types: './index.d.ts', import: './alloy.mjs', default: './alloy.mjs' },
      './react': { types: './react.d.ts', import: './react.mjs', default: './react.mjs' },
      './alloy.js': './alloy.js',
      './package.json': './package.json',
    });
    expect(manifest.peerDependencies).toEqual({ react: '>=18' });
    expect(manifest.peerDependenciesMeta).toEqual({ react: { optional: true } });

    // react.mjs: the bindings only, the loader imported from beside it (one session), React the app's.
    const react = fs.readFileSync(path.join(dir, 'react.mjs'), 'utf8');
    const imports = [...react.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]).sort();
    expect(imports).toEqual(['./alloy.mjs', 'react', 'react/jsx-runtime']);
    expect(react.startsWith('"use client";')).toBe(true);
    expect(react).not.toMatch(/preact|attachShadow|indexedDB/);
    // The declarations import nothing but each other (and React, for the bindings).
    const dts = packed.files.filter((f) => f.endsWith('.d.ts')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
    expect(dts.join('\n')).not.toMatch(/from ['"](zod|preact|@preact\/signals)/);
    // The UI's URL import is left alone by bundlers: Vite's and webpack's markers.
    expect(fs.readFileSync(path.join(dir, 'alloy.mjs'), 'utf8')).toMatch(/import\(\/\* @vite-ignore \*\/ \/\* webpackIgnore: true \*\/ /);
  });

  it('type-checks a strict consumer with only TypeScript installed, and refuses a wrong one', async () => {
    const project = path.join(tmp, 'consumer');
    await freshProject(project, packed.tarball, ['typescript']);
    expect(
      fs
        .readdirSync(path.join(project, 'node_modules'))
        .filter((f) => !f.startsWith('.'))
        .sort(),
    ).toEqual(['@alloy-embedded-kit', 'typescript']);

    write(
      path.join(project, 'ok.ts'),
      `import Alloy, { AlloyError, getIntegrations, install, setBaseUrl, setToken, subscribe, type AlloyApi, type AlloyErrorCode, type InstallResult, type Integration, type SendResult } from '@alloy-embedded-kit/widget';

declare global {
  interface Window {
    Alloy: AlloyApi;
  }
}

setBaseUrl('https://integrations.acme.test');
setToken('header.payload.signature');

const results: InstallResult[] = [];
await install({
  integrationId: 'slack',
  title: 'Connect Slack',
  theme: { accent: '#0a7', colorScheme: 'dark' },
  strings: { install: 'Add' },
  preFilledValues: [{ name: 'channel', value: 'C100' }],
  callback: (result: InstallResult) => {
    results.push(result);
    if (result.success) console.log(result.installationId?.toUpperCase(), result.workflowIds?.join(','));
  },
  onError: (error) => console.error(error instanceof AlloyError ? error.code : error.message),
});

function advice(code: AlloyErrorCode): string {
  switch (code) {
    case 'no_token':
    case 'token_expired':
      return 'sign in again';
    case 'rate_limited':
      return 'try later';
    default:
      return code;
  }
}

try {
  const integrations: Integration[] = await getIntegrations();
  for (const i of integrations) {
    const words: string = i.app + i.integrationId + (i.description ?? '') + i.icon;
    const usable: boolean = i.installed && !i.needsReconnect;
    const versions: Array<number | null> = i.workflows.map((w) => w.installedVersion);
    console.log(words, usable, versions, i.workflows[0]?.trigger.type);
  }
} catch (error) {
  if (error instanceof AlloyError) console.log(advice(error.code), error.retryAfter ?? 0, error.details?.map((d) => d.path));
}

const alloy = Alloy();
const off: () => void = subscribe('installed', (event) => console.log(event.integrationId, event.installationIds?.length));
off();
const sent: SendResult = await alloy.sendAppEvent('Ticket Created', { id: 1 });
if (sent.status === 'delivered') console.log(sent.eventId, sent.executionIds.length);
await window.Alloy.install({ workflowIds: ['w1'] });
window.Alloy().close();
const remove: () => void = window.Alloy.renderIntegrations(document.body, { theme: { radius: '8px' }, modal: { hide: true } });
remove();
`,
    );
    write(
      path.join(project, 'wrong.ts'),
      `import { AlloyError, getIntegrations, install } from '@alloy-embedded-kit/widget';
await install({ integrationId: 42 });
await install({ integrationId: 'slack', callback: (result: { success: string }) => result.success });
new AlloyError('teapot', 'I am one');
console.log((await getIntegrations())[0]?.nonexistent);
export {};
`,
    );
    // The package's declarations are checked too (skipLibCheck: false); TypeScript's own libraries need not be.
    const options = { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false, skipDefaultLibCheck: true, noUnusedLocals: true };
    // Node's own resolution (the `exports` map, `.js` specifiers in ESM declarations), and a bundler's.
    write(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...options, module: 'NodeNext', moduleResolution: 'NodeNext' }, files: ['ok.ts'] }));
    write(path.join(project, 'tsconfig.bundler.json'), JSON.stringify({ compilerOptions: { ...options, module: 'ESNext', moduleResolution: 'Bundler' }, files: ['ok.ts'] }));
    write(path.join(project, 'tsconfig.wrong.json'), JSON.stringify({ compilerOptions: { ...options, module: 'NodeNext', moduleResolution: 'NodeNext' }, files: ['wrong.ts'] }));

    const [node, bundler, wrong] = await Promise.all([tsc(project, 'tsconfig.json'), tsc(project, 'tsconfig.bundler.json'), tsc(project, 'tsconfig.wrong.json')]);
    expect(node).toEqual({ code: 0, output: '' });
    expect(bundler).toEqual({ code: 0, output: '' });
    // Each wrong line, and only those: the types are not `any`, and every module resolves.
    expect(wrong.code).toBe(2);
    expect(wrong.output).not.toContain('TS2307');
    const errors = [...wrong.output.matchAll(/^wrong\.ts\((\d+),\d+\): error (TS\d+)/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(errors).toEqual(['2 TS2322', expect.stringMatching(/^3 TS23(22|45)$/), '4 TS2345', '5 TS2339']);
  }, 90_000);
});

describe('a Vite + React 19 app built from the package', () => {
  let slack: FakeSlack;
  let server: TestServer;
  let api: Awaited<ReturnType<typeof listen>>;
  let app: Awaited<ReturnType<typeof serveStatic>>;
  let browser: Browser;
  const project = path.join(tmp, 'react-app');

  beforeAll(async () => {
    slack = await startFakeSlack();
    slack.channels.splice(0, slack.channels.length, { id: 'C100', name: 'support' }, { id: 'C200', name: 'sales' });
    server = await startTestServer({ env: { SLACK_API_URL: slack.url } });
    api = await listen(server);
    // React, ReactDOM, Vite and the types from this repository's node_modules, by path: no download.
    await freshProject(project, packed.tarball, ['react', 'react-dom', 'vite', 'typescript', '@types/react', '@types/react-dom']);
    write(
      path.join(project, 'index.html'),
      `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><link rel="icon" href="data:," /><title>Package app</title></head>
  <body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body>
</html>
`,
    );
    write(
      path.join(project, 'src', 'main.tsx'),
      `import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { getIntegrations } from '@alloy-embedded-kit/widget';
import { AlloyProvider, InstallButton, Integrations, useAlloy, useIntegrations, type InstallResult } from '@alloy-embedded-kit/widget/react';

const params = new URLSearchParams(location.search);

function Status() {
  const { data, loading, error } = useIntegrations();
  const slack = data?.find((i) => i.integrationId === 'slack');
  const text = error ? 'error: ' + error.message : !data ? 'loading' : data.length + ' integrations, Slack ' + (slack?.installed ? 'installed' : 'not installed');
  return <p data-testid="status" data-loading={loading}>{text}</p>;
}

/** The main entry's getIntegrations, with no token of its own: it has the provider's (one session). */
function Count() {
  const [count, setCount] = useState('');
  const alloy = useAlloy();
  return (
    <p>
      <button type="button" onClick={() => getIntegrations().then((list) => setCount(String(list.length)), (e: Error) => setCount(e.message))}>Count</button>
      <output data-testid="count">{count}</output>
      <output data-testid="same">{String(alloy().install === alloy.install)}</output>
    </p>
  );
}

function App() {
  const [result, setResult] = useState<InstallResult>();
  return (
    <AlloyProvider token={params.get('token')!} baseUrl={params.get('api')!}>
      <h1>Package app</h1>
      <Status />
      <Count />
      <InstallButton integrationId="slack" className="connect" callback={setResult}>
        {({ installed, integration }) => (installed ? integration!.app + ' is connected' : 'Connect Slack')}
      </InstallButton>
      <pre data-testid="result">{result ? JSON.stringify(result) : ''}</pre>
      <Integrations theme={{ accent: '#0a7' }} strings={{ search: 'Find' }} />
    </AlloyProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
`,
    );
    write(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          jsx: 'react-jsx',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: [],
          skipLibCheck: false,
          skipDefaultLibCheck: true,
        },
        include: ['src'],
      }),
    );
    write(path.join(project, 'vite.config.mjs'), `export default { logLevel: 'warn', oxc: { jsx: { runtime: 'automatic', importSource: 'react' } } };\n`);
    const [checked] = await Promise.all([tsc(project, 'tsconfig.json'), sh(process.execPath, [path.join(project, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], project)]);
    expect(checked).toEqual({ code: 0, output: '' });
    app = await serveStatic(path.join(project, 'dist'));
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await api?.close();
    await server?.close();
    await slack?.close();
  });

  it('bundles the bindings and one loader; the UI stays on the server', () => {
    const assets = path.join(project, 'dist', 'assets');
    const code = fs
      .readdirSync(assets)
      .filter((f) => f.endsWith('.js'))
      .map((f) => fs.readFileSync(path.join(assets, f), 'utf8'))
      .join('\n');
    expect(code.split('/widget/alloy-ui.js').length - 1).toBe(1); // one loader
    expect(code).not.toContain('attachShadow'); // the UI (Preact, the Shadow DOM mount) is fetched, not bundled
  });

  it('renders the integrations page, installs Slack from <InstallButton>, and every view follows without a reload', async () => {
    const userId = await createUser(server, 'react-package');
    const token = await userToken(server, userId);
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && errors.push(`${msg.text()} ${msg.location().url}`));
    page.on('request', (req) => requests.push(req.url()));

    await page.goto(`${app.url}/?${new URLSearchParams({ token, api: api.url })}`);
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'no reload'));
    const status = page.getByTestId('status');
    await status.filter({ hasText: /^\d+ integrations, Slack not installed$/ }).waitFor();

    // <Integrations>: the widget's page in its shadow root, mounted once despite StrictMode's double effects.
    const integrations = page.locator('[data-alloy-integrations]');
    const card = (app: string) => integrations.getByRole('listitem').filter({ has: page.getByRole('heading', { name: app, exact: true }) });
    await card('Slack').getByRole('button', { name: 'Install' }).waitFor();
    expect(await integrations.locator('alloy-embedded').count()).toBe(1);
    expect(requests).toContain(`${api.url}/widget/alloy-ui.js`);

    // One session: the main entry's getIntegrations has the provider's token.
    await page.getByRole('button', { name: 'Count' }).click();
    await page.getByTestId('count').filter({ hasText: /^\d+$/ }).waitFor();
    expect(await page.getByTestId('same').textContent()).toBe('true');

    // <InstallButton>: the modal, Slack's bot token form (the fake Slack), the channel Slack lists.
    const button = page.getByRole('button', { name: 'Connect Slack' });
    expect(await button.getAttribute('data-installed')).toBe('false');
    await button.click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Connect your Slack account' }).waitFor();
    await dialog.getByLabel('Bot token').fill('xoxb-react-package');
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    const channel = dialog.getByLabel('Slack channel');
    await channel.locator('option', { hasText: '#support' }).waitFor({ state: 'attached' });
    await channel.selectOption({ label: '#support' });
    await dialog.getByRole('button', { name: 'Install', exact: true }).click();
    await dialog.getByRole('heading', { name: 'Slack is ready' }).waitFor();

    // The callback's result in React state; the installation on the server.
    const result = page.getByTestId('result');
    await result.filter({ hasText: '"success":true' }).waitFor();
    const { installationId } = JSON.parse((await result.textContent())!) as { installationId: string };
    const installed = await server.request('GET', '/me/installations', { token });
    expect(installed.status).toBe(200);
    expect(installed.body.data).toEqual([expect.objectContaining({ installationId, integrationId: 'slack', userId, config: expect.objectContaining({ channel: 'C100' }) })]);
    expect(slack.requests.some((r) => r.token === 'xoxb-react-package')).toBe(true);

    // useIntegrations refreshed by itself (the `installed` event): the status, the button.
    await status.filter({ hasText: /^\d+ integrations, Slack installed$/ }).waitFor();
    const connected = page.getByRole('button', { name: 'Slack is connected' });
    expect(await connected.getAttribute('data-installed')).toBe('true');
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await expect.poll(() => dialog.count()).toBe(0);
    // <Integrations> rendered the page again after a change made outside it: Slack shows installed.
    await card('Slack').getByText('Installed', { exact: true }).waitFor();
    await card('Slack').getByRole('button', { name: 'Configure' }).waitFor();
    expect(await integrations.locator('alloy-embedded').count()).toBe(1);

    // A change made on the page itself (Uninstall on its card): it reloads itself and is not
    // rendered again (the same host); useIntegrations and the button follow.
    await integrations.locator('alloy-embedded').evaluate((host) => ((host as HTMLElement).dataset.mark = 'same page'));
    await card('Slack').getByRole('button', { name: 'Uninstall' }).click();
    await status.filter({ hasText: /^\d+ integrations, Slack not installed$/ }).waitFor();
    await card('Slack').getByText('Not installed', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Connect Slack' }).waitFor();
    expect(await integrations.locator('alloy-embedded').getAttribute('data-mark')).toBe('same page');
    expect((await server.request('GET', '/me/installations', { token })).body.data).toEqual([]);

    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('no reload');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
