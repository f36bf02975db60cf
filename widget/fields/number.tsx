import { inputField } from './input';

/** `number`: the browser keeps the input a valid number or "" (it sanitizes what is typed). */
export const number = inputField('number', Number);
