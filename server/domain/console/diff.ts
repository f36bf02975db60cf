export interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
}

/**
 * The most cells the longest-common-subsequence table may have (16 MB of counts: two versions of
 * 2,000 changed lines each). Past it the changed middle is shown as removed, then added: still a
 * true diff, only not the shortest.
 */
const MAX_CELLS = 4_000_000;

/**
 * A line diff of two texts: lines of both (' '), only in `before` ('-'), only in `after` ('+'),
 * in order, the fewest changes (a longest common subsequence). The common head and tail are
 * taken off first, so the table covers only what changed between them.
 *
 * @example lineDiff(['a', 'b'], ['a', 'c']) // [{ op: ' ', text: 'a' }, { op: '-', text: 'b' }, { op: '+', text: 'c' }]
 */
export function lineDiff(before: readonly string[], after: readonly string[]): DiffLine[] {
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > head && endAfter > head && before[endBefore - 1] === after[endAfter - 1]) (endBefore--, endAfter--);
  const a = before.slice(head, endBefore);
  const b = after.slice(head, endAfter);
  const middle = a.length * b.length > MAX_CELLS ? [...a.map((text) => line('-', text)), ...b.map((text) => line('+', text))] : subsequenceDiff(a, b);
  return [...before.slice(0, head).map((text) => line(' ', text)), ...middle, ...before.slice(endBefore).map((text) => line(' ', text))];
}

const line = (op: DiffLine['op'], text: string): DiffLine => ({ op, text });

function subsequenceDiff(a: readonly string[], b: readonly string[]): DiffLine[] {
  const width = b.length + 1;
  // common[i * width + j]: the length of the longest common subsequence of a[i..] and b[j..].
  const common = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i * width + j] = a[i] === b[j] ? common[(i + 1) * width + j + 1]! + 1 : Math.max(common[(i + 1) * width + j]!, common[i * width + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push(line(' ', a[i]!));
      i++;
      j++;
    } else if (common[(i + 1) * width + j]! >= common[i * width + j + 1]!) out.push(line('-', a[i++]!));
    else out.push(line('+', b[j++]!));
  }
  while (i < a.length) out.push(line('-', a[i++]!));
  while (j < b.length) out.push(line('+', b[j++]!));
  return out;
}

/** A definition as the diff shows it: pretty JSON, keys in the order stored (sorted: server/store/versions.ts). */
export const prettyLines = (definition: unknown): string[] => JSON.stringify(definition, null, 2).split('\n');
