import { inputField } from './input';

/** `textarea`: several lines of text. */
export const textarea = inputField('textarea');
