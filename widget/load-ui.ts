/**
 * Loads the UI bundle. In the source (tests, bundlers of the source) it is a plain module; the
 * browser builds swap this file for `load-ui.browser.ts`, which fetches `alloy-ui.js` from the server.
 */
export const importUi = (): Promise<typeof import('./ui')> => import('./ui');
