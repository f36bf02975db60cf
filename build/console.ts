// Builds the console (`tsx build/console.ts`, run by `npm run build`) into dist/console: index.html
// and its hashed assets (assets/*.js, *.css), served by server/routes/console-page.ts at /console.
// Its own bundle: nothing of it reaches the widget's files. Prints each file's gzip size.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { gzipSize, widgetChecks } from './widget-checks';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'console');

fs.rmSync(out, { recursive: true, force: true });
await build({
  configFile: false,
  root: path.join(root, 'console'),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // The widget's guard: no server module may reach a browser bundle.
  plugins: [widgetChecks()],
  build: {
    outDir: out,
    emptyOutDir: true,
    target: 'es2022',
    // The page's CSP allows no inline script or style: every asset is a file, none inlined as data.
    assetsInlineLimit: 0,
    // One small entry: no preload helper (it would also need an inline script in older modes).
    modulePreload: false,
  },
});

const files = fs.readdirSync(path.join(out, 'assets')).map((f) => `assets/${f}`);
const sizes = ['index.html', ...files].map((file) => ({ file, bytes: gzipSize(fs.readFileSync(path.join(out, file))) }));
console.log('console (gzip -9)                  bytes');
for (const { file, bytes } of sizes) console.log(`${file.padEnd(32)}${String(bytes).padStart(9)}`);
console.log(`${'total'.padEnd(32)}${String(sizes.reduce((n, s) => n + s.bytes, 0)).padStart(9)}`);
