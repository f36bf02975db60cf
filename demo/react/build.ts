// Builds the React demo (demo/react) into dist/demo-react with Vite's JS API: `tsx demo/react/build.ts`
// (`npm run build` runs it after the widget). No config file: vite.config.ts is the widget's (Preact).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

await build({
  configFile: false,
  root: here,
  // demo/backend.ts serves the page at /react and its files under /react/assets/.
  base: '/react/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: path.join(root, 'dist', 'demo-react'),
    emptyOutDir: true,
    target: 'es2020',
  },
});
console.log('demo React app: dist/demo-react/');
