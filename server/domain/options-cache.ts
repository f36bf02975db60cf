import type { FieldOption } from '../connectors/types';

/**
 * Options loaded from apps, kept briefly: the widget loads a field's options and the install that
 * follows checks the value against them, and both should cost the app one call. Bounded: past
 * `maxEntries` the least recently used entry goes. A load in flight is shared by those asking for
 * the same key; a failed one is not kept.
 */
export class OptionsCache {
  private readonly entries = new Map<string, { expiresAt: number; options: Promise<FieldOption[]> }>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 256,
    private readonly now: () => number = Date.now,
  ) {}

  /** The options under `key`: cached ones younger than the time to live, else what `load` answers. */
  get(key: string, load: () => Promise<FieldOption[]>): Promise<FieldOption[]> {
    const hit = this.entries.get(key);
    this.entries.delete(key);
    if (hit && hit.expiresAt > this.now()) {
      this.entries.set(key, hit);
      return hit.options;
    }
    const entry = { expiresAt: this.now() + this.ttlMs, options: load() };
    this.entries.set(key, entry);
    entry.options.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
    return entry.options;
  }

  /** How many entries it holds (for tests of its bound). */
  get size(): number {
    return this.entries.size;
  }
}
