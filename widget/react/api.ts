import { Alloy } from '../index';
import type { AlloyApi } from '../types';

/**
 * The API as `window.Alloy` has it (callable, with every method), over the ES loader's one session:
 * the package's `react.mjs` imports `./alloy.mjs`, so the bindings and the page's own
 * `import { install } from '…/widget'` share one token and one outbox. Typed with the public types:
 * this assignment also fails `tsc` when they drift from the implementation.
 */
export const alloy: AlloyApi = Object.assign(() => Alloy(), Alloy());
