import type { FieldType } from '../schema';
import { boolean } from './boolean';
import { date } from './date';
import { datetime } from './datetime';
import { fieldMapping } from './field-mapping';
import { multiselect } from './multiselect';
import { number } from './number';
import { secret } from './secret';
import { select } from './select';
import { text } from './text';
import { textarea } from './textarea';
import type { FieldModule } from './types';

/** One module per field type of `FIELD_TYPES`: a type without one does not compile. */
export const FIELDS: Record<FieldType, FieldModule> = { text, secret, number, boolean, select, multiselect, textarea, date, datetime, fieldMapping };
