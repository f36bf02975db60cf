import { DefinitionError } from '../../definitions/event-schema';
import { jsonFilesIn, readJsonFile } from '../../definitions/json-files';
import type { Connector } from '../types';
import { parseAnswerPath, templatePaths } from './paths';
import { compileConnector } from './runtime';
import { ConnectorSpec } from './schema';

type Path = (string | number)[];

/** Every template string in a JSON value, with its path. */
function strings(value: unknown, path: Path, out: Array<{ text: string; path: Path }> = []) {
  if (typeof value === 'string') out.push({ text: value, path });
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, [...path, k], out);
  return out;
}

/**
 * The mistakes the schema alone cannot see: a `{{…}}` whose root is not in scope where it is used
 * (`{{input.x}}` in an option source), an action input that its request names but does not declare,
 * a parameter an option source uses but does not take, a throttle of no action.
 */
function checkScopes(spec: ConnectorSpec): Array<{ path: Path; message: string }> {
  const problems: Array<{ path: Path; message: string }> = [];
  const check = (value: unknown, path: Path, roots: string[], more?: (segments: (string | number)[], at: Path, text: string) => string | undefined) => {
    for (const { text, path: at } of strings(value, path)) {
      for (const p of templatePaths(text)) {
        const segments = parseAnswerPath(p);
        if (!segments?.length) continue; // the schema reported it
        const root = String(segments[0]);
        if (!roots.includes(root)) problems.push({ path: at, message: `"{{${p}}}": ${root} is not in scope here (${roots.join(', ')} are)` });
        else {
          const why = more?.(segments, at, text);
          if (why) problems.push({ path: at, message: why });
        }
      }
    }
  };
  check(spec.baseUrl.default, ['baseUrl', 'default'], ['credential']);
  spec.auth.forEach((a, i) => a.type !== 'none' && check(a.apply, ['auth', i, 'apply'], ['credential']));
  check(spec.headers, ['headers'], ['credential']);
  if (spec.test) check(spec.test.request, ['test', 'request'], ['credential']);
  for (const [name, action] of Object.entries(spec.actions)) {
    const declared = new Set(Object.keys(action.input).map((k) => k.replace(/\?$/, '')));
    check(action.request, ['actions', name, 'request'], ['input', 'credential'], (segments) =>
      segments[0] === 'input' && segments.length > 1 && !declared.has(String(segments[1])) ? `"{{input.${String(segments[1])}}}" is not in the action's input` : undefined,
    );
  }
  for (const [name, source] of Object.entries(spec.optionSources)) {
    check(source.request, ['optionSources', name, 'request'], ['credential', 'params'], (segments) =>
      segments[0] === 'params' && !source.params.includes(String(segments[1])) ? `"{{params.${String(segments[1])}}}" is not one of the source's params` : undefined,
    );
    if (source.label.includes('{{')) check(source.label, ['optionSources', name, 'label'], ['item']);
  }
  for (const [name, source] of Object.entries(spec.listSources)) {
    check(source.request, ['listSources', name, 'request'], ['credential', 'checkpoint', 'params'], (segments) =>
      segments[0] === 'params' && !source.params.includes(String(segments[1])) ? `"{{params.${String(segments[1])}}}" is not one of the source's params` : undefined,
    );
    check(source.initial, ['listSources', name, 'initial'], ['now']);
  }
  if (spec.webhooks) {
    check(spec.webhooks.subscribe.request, ['webhooks', 'subscribe', 'request'], ['credential', 'subscription']);
    check(spec.webhooks.unsubscribe.request, ['webhooks', 'unsubscribe', 'request'], ['credential', 'subscriptionId']);
    if (spec.webhooks.fetch) check(spec.webhooks.fetch.request, ['webhooks', 'fetch', 'request'], ['credential', 'payload', 'event']);
    if (spec.webhooks.verify.type === 'hmac') check(spec.webhooks.verify.signed, ['webhooks', 'verify', 'signed'], ['body', 'headers', 'pairs']);
  }
  for (const [name, throttle] of Object.entries(spec.throttles)) {
    if (!spec.actions[name]) problems.push({ path: ['throttles', name], message: `no action "${name}"` });
    check(throttle.key, ['throttles', name, 'key'], ['input', 'credential', 'account']);
  }
  return problems;
}

/** A connector file's JSON checked and compiled; a mistake is a `DefinitionError` naming the file, the path in it and the reason. */
export function parseConnector(json: unknown, file?: string): Connector {
  const parsed = ConnectorSpec.safeParse(json);
  if (!parsed.success) {
    const [first, ...rest] = parsed.error.issues;
    const more = rest
      .slice(0, 4)
      .map((i) => `; ${i.path.join('.')}: ${i.message}`)
      .join('');
    throw new DefinitionError(`${first!.message}${more}`, file, first!.path as Path);
  }
  const [problem, ...others] = checkScopes(parsed.data);
  if (problem) {
    const more = others
      .slice(0, 4)
      .map((p) => `; ${p.path.join('.')}: ${p.message}`)
      .join('');
    throw new DefinitionError(`${problem.message}${more}`, file, problem.path);
  }
  try {
    return compileConnector(parsed.data);
  } catch (err) {
    if (err instanceof DefinitionError) throw new DefinitionError(err.reason, file, err.path);
    throw err;
  }
}

/** Reads and compiles one connector file. */
export function loadConnectorFile(file: string): Connector {
  return parseConnector(readJsonFile(file), file);
}

/** Every `*.json` connector of a directory, sorted by file name; a directory that does not exist holds none. */
export function loadConnectorDir(dir: string): Connector[] {
  return (jsonFilesIn(dir) ?? []).map(loadConnectorFile);
}
