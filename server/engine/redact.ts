/**
 * Replaces every occurrence of the given secrets in a value (deeply, inside strings too) with
 * "[redacted]", so a step's logged input or output never shows a credential or a secret setting.
 */
export function redact(value: unknown, secrets: readonly string[]): unknown {
  const list = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  if (list.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return list.reduce((text, s) => text.split(s).join('[redacted]'), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}
