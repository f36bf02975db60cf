import { describe, expect, it } from 'vitest';
import { OptionsCache } from '../../server/domain/options-cache';

/** A cache on a clock the test moves, and a loader that counts its calls. */
function setup(ttlMs = 60_000, maxEntries = 3) {
  let now = 0;
  const cache = new OptionsCache(ttlMs, maxEntries, () => now);
  const calls: string[] = [];
  const load = (key: string) =>
    cache.get(key, async () => {
      calls.push(key);
      return [{ label: key, value: `${key}:${calls.length}` }];
    });
  return { cache, calls, load, advance: (ms: number) => (now += ms) };
}

describe('the options cache', () => {
  it('answers a repeat within the time to live from the cache, and loads again after it', async () => {
    const { calls, load, advance } = setup();
    const first = await load('a');
    advance(59_999);
    expect(await load('a')).toBe(first);
    advance(1);
    expect(await load('a')).not.toBe(first);
    expect(calls).toEqual(['a', 'a']);
  });

  it('shares one load between callers that ask at the same time', async () => {
    const { calls, load } = setup();
    const [a, b] = await Promise.all([load('a'), load('a')]);
    expect(a).toBe(b);
    expect(calls).toEqual(['a']);
  });

  it('keeps no failure: the next call loads again', async () => {
    const { cache } = setup();
    let attempts = 0;
    const flaky = () =>
      cache.get('k', async () => {
        attempts++;
        if (attempts === 1) throw new Error('the app is down');
        return [{ label: 'ok', value: 'ok' }];
      });
    await expect(flaky()).rejects.toThrow('the app is down');
    expect(await flaky()).toEqual([{ label: 'ok', value: 'ok' }]);
    expect(cache.size).toBe(1);
  });

  it('holds at most maxEntries, dropping the least recently used', async () => {
    const { cache, calls, load } = setup(60_000, 3);
    for (const key of ['a', 'b', 'c']) await load(key);
    await load('a'); // a is now the most recently used
    await load('d'); // b goes
    expect(cache.size).toBe(3);
    await load('a');
    await load('c');
    await load('b');
    expect(calls).toEqual(['a', 'b', 'c', 'd', 'b']);
  });
});
