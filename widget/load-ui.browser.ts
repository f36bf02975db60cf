import { uiUrl } from './session';

/** The browser builds' `load-ui.ts`: the UI is its own file, `alloy-ui.js`, fetched on first use. */
export const importUi = (): Promise<typeof import('./ui')> => import(/* @vite-ignore */ uiUrl());
