import { inputField } from './input';

/** `secret`: a password input; the server stores it encrypted and shows `[redacted]`. */
export const secret = inputField('password');
