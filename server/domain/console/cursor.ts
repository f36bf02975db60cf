import { z } from 'zod';
import { ApiError } from '../../errors';
import { rejectUnstorable } from '../../json-limits';

/**
 * Keys the console hands out and takes back opaque: a list's cursor (the sort key of a page's last
 * row) and an error group's id. Each is base64url JSON, read back through its own schema, so one
 * made up or cut short is a 400 naming its field, never an SQL error; a text in it the store cannot
 * keep (NUL, a lone surrogate) is refused the same way.
 *
 * @example const after = readCursor(query.cursor, TimeIdKey)
 */
export function makeKey(key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key `text` holds, or undefined when it is not one of `schema`'s. */
export function decodeKey<T extends z.ZodType>(text: string, schema: T): z.output<T> | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    if (!parsed.success) return undefined;
    rejectUnstorable(parsed.data);
    return parsed.data;
  } catch {
    return undefined;
  }
}

export function readCursor<T extends z.ZodType>(cursor: string | undefined, schema: T): z.output<T> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const key = decodeKey(cursor, schema);
  if (key === undefined)
    throw new ApiError(400, 'invalid_request', 'Unknown cursor: use nextCursor from the previous page', [{ path: 'cursor', message: 'not a cursor of this list' }]);
  return key;
}

/**
 * A page from `limit + 1` rows read: the first `limit`, and the cursor after the last of them when
 * there was one more (so the last page says so, with no empty page after it).
 */
export function pageOf<T>(rows: readonly T[], limit: number, key: (row: T) => readonly unknown[]): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit);
  return { data, nextCursor: rows.length > limit ? makeKey(key(data[data.length - 1]!)) : null };
}

/** A cursor of (epoch ms, id): the order of every time-ordered list here. */
export const TimeIdKey = z.tuple([z.number().int(), z.string().max(255)]);
