import { afterEach, describe, expect, it } from 'vitest';
import { fixed } from '../../../server/store/db';
import { PostgresDb } from '../../../server/store/postgres';
import { storeKind } from '../../helpers/server';

// On PostgreSQL, a statement marked `fixed` is parsed and planned once per connection; any other
// text is sent unnamed, so nothing accumulates on the connection.
describe.runIf(storeKind === 'postgres')('fixed statements are prepared once per connection (postgres)', () => {
  let db: PostgresDb | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('reuses one generic plan for a fixed text, and prepares nothing for other texts', async () => {
    db = new PostgresDb(process.env.TEST_DATABASE_URL!, { max: 1 });
    const lookup = fixed('SELECT n FROM generate_series(1, 5) AS n WHERE n = ANY(?::int[]) ORDER BY n');
    expect(await db.all(lookup, [[2, 4]])).toEqual([{ n: 2 }, { n: 4 }]);
    expect(await db.all(lookup, [[5]])).toEqual([{ n: 5 }]);
    expect(await db.all('SELECT n FROM generate_series(1, 5) AS n WHERE n IN (?, ?) ORDER BY n', [1, 3])).toEqual([{ n: 1 }, { n: 3 }]);

    // One connection (max: 1), so this sees the statements the queries above left on it.
    const prepared = await db.all<{ statement: string; generic_plans: number | string; custom_plans: number | string }>(
      'SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements',
    );
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.statement).toContain('= ANY($1::int[])');
    expect(Number(prepared[0]!.generic_plans)).toBe(2);
    expect(Number(prepared[0]!.custom_plans)).toBe(0);
  });
});
