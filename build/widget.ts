// Builds the widget into dist/widget with Vite's JS API (`tsx build/widget.ts`, run by `npm run build`):
//   alloy.js     the loader, IIFE for a script tag: `window.Alloy`, tokens, data calls, the outbox;
//   alloy.mjs    the same loader as an ES module (the npm package);
//   alloy-ui.js  the modal and the integrations page (ES module), fetched by the loader on first use;
//   alloy.css    the UI's stylesheet, for browsers without constructable stylesheets;
//   alloy-locale-<name>.json  each built-in locale but English, fetched when used;
// then prints each file's gzip size against its budget and against the last recorded sizes
// (bench/widget-sizes.json), and fails over budget.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig } from 'vite';
import { BUDGETS, gzipSize, widgetChecks } from './widget-checks';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'widget');
const baselineFile = path.join(root, 'bench', 'widget-sizes.json');

const common = (entry: string, ui = false): InlineConfig => ({
  configFile: false,
  root,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // The loader fetches the UI by URL; the source (tests) imports it as a module.
  resolve: { alias: [{ find: /^\.\/load-ui$/, replacement: path.join(root, 'widget', 'load-ui.browser.ts') }] },
  plugins: [widgetChecks({ ui })],
  build: {
    outDir: out,
    emptyOutDir: false,
    // The widget already calls ES2022 methods (`Array.prototype.at`), so ES2022 syntax costs no
    // browser it did not already need (Chrome 92, Firefox 90, Safari 15.4), and its output is smaller.
    target: 'es2022',
    // Library builds leave ES output unminified by default; every byte here is the user's.
    minify: true,
    rolldownOptions: { output: { minify: true } },
    lib: { entry: path.join(root, entry) },
  },
});

fs.rmSync(out, { recursive: true, force: true });
const bundles: Array<[string, InlineConfig]> = [
  [
    'alloy.js',
    {
      ...common('widget/global.ts'),
      build: { ...common('widget/global.ts').build, lib: { entry: path.join(root, 'widget/global.ts'), name: 'Alloy', formats: ['iife'], fileName: () => 'alloy.js' } },
    },
  ],
  [
    'alloy.mjs',
    {
      ...common('widget/index.ts'),
      build: { ...common('widget/index.ts').build, lib: { entry: path.join(root, 'widget/index.ts'), formats: ['es'], fileName: () => 'alloy.mjs' } },
    },
  ],
  [
    'alloy-ui.js',
    {
      ...common('widget/ui.ts', true),
      build: { ...common('widget/ui.ts', true).build, lib: { entry: path.join(root, 'widget/ui.ts'), formats: ['es'], fileName: () => 'alloy-ui.js' } },
    },
  ],
];
for (const [, config] of bundles) await build(config);

// The stylesheet as a file too, for the `<link>` fallback of browsers without constructable
// stylesheets, and each built-in locale as JSON, fetched only by a page that uses it.
const { css } = await import('../widget/styles');
fs.writeFileSync(path.join(out, 'alloy.css'), css.trim());
const { LOCALES } = await import('../widget/locales/types');
const localeFiles: string[] = [];
for (const name of LOCALES) {
  if (name === 'en') continue; // built into the UI
  const file = `alloy-locale-${name}.json`;
  fs.writeFileSync(path.join(out, file), JSON.stringify((await import(`../widget/locales/${name}.ts`)).default));
  localeFiles.push(file);
}

// The size report, like Preact's CI comment: each file, its budget, and the change since the last record.
const size = (file: string) => gzipSize(fs.readFileSync(path.join(out, file)));
const sizes: Record<string, number> = { 'alloy.js': size('alloy.js'), 'alloy-ui.js': size('alloy-ui.js') };
sizes['alloy.js + alloy-ui.js'] = sizes['alloy.js']! + sizes['alloy-ui.js']!;
const limits: Record<string, { budget: number; goal: number }> = { 'alloy.js': BUDGETS.loader, 'alloy.js + alloy-ui.js': BUDGETS.total };
for (const file of localeFiles) {
  sizes[file] = size(file);
  limits[file] = BUDGETS.locale;
}
const baseline: Record<string, number> = fs.existsSync(baselineFile) ? JSON.parse(fs.readFileSync(baselineFile, 'utf8')) : {};
const rows = Object.entries(sizes).map(([file, bytes]) => {
  const before = baseline[file];
  const delta = before === undefined ? 'new' : bytes === before ? '=' : `${bytes > before ? '+' : ''}${bytes - before} B`;
  const limit = limits[file];
  return { file, bytes, delta, limit, over: limit ? bytes > limit.budget : false };
});
console.log('widget (gzip -9)            bytes   change    budget    goal');
for (const r of rows) {
  console.log(
    `${r.file.padEnd(26)}${String(r.bytes).padStart(7)}${r.delta.padStart(9)}${(r.limit ? String(r.limit.budget) : '').padStart(10)}${(r.limit ? String(r.limit.goal) : '').padStart(8)}${r.over ? '  OVER BUDGET' : ''}`,
  );
}
fs.writeFileSync(path.join(out, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
if (process.argv.includes('--record')) fs.writeFileSync(baselineFile, `${JSON.stringify(sizes, null, 2)}\n`);
const over = rows.filter((r) => r.over);
if (over.length) {
  console.error(`widget over budget: ${over.map((r) => `${r.file} ${r.bytes} B > ${r.limit!.budget} B`).join('; ')}`);
  process.exit(1);
}
