import { inputField } from './input';

/** `date`: the browser's date picker, whose value is already ISO `YYYY-MM-DD`. */
export const date = inputField('date');
