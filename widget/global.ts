import { Alloy } from './index';

/**
 * The script tag's `window.Alloy`: every method of the API, and itself Alloy's factory, so code
 * written for alloy-frontend's `const alloy = Alloy()` works as it is.
 */
export default Object.assign(Alloy, Alloy());
