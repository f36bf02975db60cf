import type { eachInstallation, request } from './api';
import type { AlloyError } from './errors';
import type { emit, subscribe } from './events';

/**
 * What the loader (`alloy.js`) lends the UI bundle (`alloy-ui.js`) when it starts it: the one
 * session's calls and the one event stream. The UI never imports the loader's modules itself: a
 * second copy would hold a second token.
 */
export interface Core {
  request: typeof request;
  each: typeof eachInstallation;
  emit: typeof emit;
  subscribe: typeof subscribe;
  /** The loader's error class, so that `error instanceof Alloy.AlloyError` holds for the UI's errors too. */
  AlloyError: typeof AlloyError;
}

/** The loader's parts, set once by `start` before anything renders. */
export let core: Core;

export function bindCore(given: Core): void {
  core = given;
}
