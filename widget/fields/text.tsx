import { inputField } from './input';

/** `text`: one line. */
export const text = inputField('text');
