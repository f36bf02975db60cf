import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** The widget's size budgets in gzip bytes (level 9), and the goals printed beside them. */
export const BUDGETS = {
  /** `alloy.js`: what every page with the script tag pays. alloy-frontend 2.1.1 is 2,098 B. */
  loader: { budget: 3072, goal: 2048 },
  /** `alloy.js` + `alloy-ui.js`: what a page that opens the modal pays. */
  total: { budget: 16 * 1024, goal: 12 * 1024 },
  /** Each `alloy-locale-<name>.js`. */
  locale: { budget: 1024, goal: 1024 },
} as const;

export const gzipSize = (code: string | Uint8Array) => gzipSync(code, { level: 9 }).length;

/** Server-only code that must never reach a browser bundle. */
const SERVER_ONLY = /[\\/](node_modules[\\/](hono|@hono|jose|better-sqlite3|pg|pg-[\w-]+|mysql2|undici|zod)[\\/]|server[\\/])/;
/** The loader's own modules: the UI bundle borrows them from the loader (`ui-core.ts`), never holds a copy. */
const LOADER_ONLY = /[\\/](widget[\\/](session|api|outbox|index|errors|events|idb)\.ts|node_modules[\\/]idb-keyval[\\/])/;

/** Fails the build when server code (or, in the UI bundle, the loader's own state) leaked into a browser bundle. */
export function widgetChecks(options: { ui?: boolean } = {}): Plugin {
  return {
    name: 'alloy-widget-checks',
    generateBundle(_, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const ids = Object.keys(chunk.modules);
        const leaked = ids.filter((id) => SERVER_ONLY.test(id));
        if (leaked.length) this.error(`server-only code reached ${chunk.fileName}: ${leaked.join(', ')}`);
        const copied = options.ui ? ids.filter((id) => LOADER_ONLY.test(id)) : [];
        if (copied.length) this.error(`the loader's modules reached ${chunk.fileName} (a second session): ${copied.join(', ')}`);
      }
    },
  };
}
