import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { compileEventSchema } from '../../definitions/event-schema';
import { NonRetriableError, RetryAfterError } from '../../engine/errors';
import type { HttpRequest, HttpResponse } from '../../engine/http';
import { sameText } from '../../engine/webhook-signature';
import { apiRequestUrl } from '../http-action';
import {
  defineAction,
  HEADER_TOKEN,
  type ApiContext,
  type Connector,
  type ConnectorAction,
  type ConnectorApi,
  type ConnectorAuth,
  type ConnectorWebhooks,
  type FieldOption,
  type ListSource,
  type OptionContext,
  type OptionSource,
} from '../types';
import { MissingValue, renderText, renderValue, templatePaths, valueAtPath, wholeTemplatePath } from './paths';
import type { AuthSpec, ConnectorSpec, ErrorSpec, PaginationSpec, RequestSpec, VerifySpec } from './schema';

/**
 * Turns a connector described as data (schema.ts) into a `Connector`: the same interface the
 * TypeScript connectors implement, so the engine, the widget and the test kit cannot tell them apart.
 */

type Scope = Record<string, unknown>;

/** A host label: what a credential may put into a base URL's host (`{{credential.shop}}.myshopify.com`). */
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Where the next page starts: a cursor, a URL, or an offset. */
type PageState = { cursor?: string; url?: string; offset?: number };

/** The most items a paginated action or option source gathers, whatever its pages say. */
const MAX_ITEMS = 10_000;

export function compileConnector(spec: ConnectorSpec): Connector {
  const { id, name } = spec;

  // ----- where and how a call goes ------------------------------------------------------------

  const baseUrl = (ctx: ApiContext): string => {
    const configured = ctx.settings.apiUrls[id] ?? spec.baseUrl.default;
    const whole = wholeTemplatePath(configured);
    try {
      if (whole !== undefined) {
        // The whole base from the account (Salesforce's `instance_url` from the token answer).
        const url = renderText(configured, { credential: ctx.credential ?? {} });
        if (!/^https?:\/\//.test(url)) throw new NonRetriableError(`${name}: the account's API URL ${JSON.stringify(url)} is not an http(s) URL; reconnect the account`);
        return url.replace(/\/+$/, '');
      }
      return renderText(configured, { credential: ctx.credential ?? {} }, (label) => {
        if (!HOST_LABEL.test(label)) throw new NonRetriableError(`${name}: ${JSON.stringify(label)} is not a host name part`);
        return label;
      }).replace(/\/+$/, '');
    } catch (err) {
      if (err instanceof MissingValue) throw new NonRetriableError(`${name}: the account has no ${err.path.replace(/^credential\./, '')}; reconnect it`);
      throw err;
    }
  };

  // Each way to authenticate, with the credential paths it reads: the first whose fields a credential has is the one it applies.
  const needs = spec.auth.flatMap((auth) => (auth.type === 'none' ? [] : [{ auth, paths: applyPaths(auth) }]));

  /** The auth way whose credential fields are present, applied: headers and query parameters. */
  const applyAuth = (ctx: ApiContext): { headers: Record<string, string>; query: Record<string, string> } => {
    const credential = ctx.credential;
    const headers: Record<string, string> = {};
    const query: Record<string, string> = {};
    if (!credential) return { headers, query };
    const usable = needs.find(({ paths }) => paths.every((p) => valueAtPath({ credential }, p) != null))?.auth;
    if (!usable) throw new NonRetriableError(`${name}: the account lacks what its calls need; reconnect it`);
    const scope = { credential };
    for (const [k, v] of Object.entries(usable.apply.headers ?? {})) headers[k.toLowerCase()] = renderText(v, scope);
    for (const [k, v] of Object.entries(usable.apply.query ?? {})) query[k] = renderText(v, scope);
    if (usable.apply.basic) {
      const user = renderText(usable.apply.basic.username, scope);
      const pass = renderText(usable.apply.basic.password, scope);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    }
    return { headers, query };
  };

  const commonHeaders = (ctx: ApiContext) =>
    Object.fromEntries(Object.entries(spec.headers).map(([k, v]) => [k.toLowerCase(), renderText(v, { credential: ctx.credential ?? {} })]));

  /** The app's own words in an error answer, from `errors.message`. */
  const says = (body: unknown): string | undefined => {
    for (const path of spec.errors.message) {
      const said = valueAtPath(body, path);
      if (typeof said === 'string' && said.trim()) return said.trim();
    }
    return undefined;
  };

  /** An error answer as the error to throw: in the app's words, retried as `errors.rules` say. */
  const errorOf = (what: string, err: unknown): Error => {
    if (!(err instanceof NonRetriableError) && !(err instanceof RetryAfterError)) return err as Error;
    const { status, responseText } = err as { status?: number; responseText?: string };
    if (status === undefined) {
      // The app could not be reached or answered nonsense: keep the class, name the app.
      const message = `${name}: ${what ? `${what}: ` : ''}${err.message.replace(/^(?:GET|POST|PUT|PATCH|DELETE) \S+: /, '')}`;
      return err instanceof RetryAfterError ? new RetryAfterError(message, err.retryAfterMs, { cause: err }) : new NonRetriableError(message, { cause: err });
    }
    let body: unknown = responseText ?? '';
    try {
      body = JSON.parse(responseText ?? '');
    } catch {
      // not JSON: the text is the body
    }
    const words = says(body) ?? (typeof body === 'string' ? body.slice(0, 300) : JSON.stringify(body).slice(0, 300));
    const message = `${name}: ${what ? `${what}: ` : ''}HTTP ${status}${words ? ` ${words}` : ''}`;
    const rule = matchRule(spec.errors, status, body);
    const retry = rule ? rule.retry : err instanceof RetryAfterError;
    const out = retry
      ? new RetryAfterError(message, err instanceof RetryAfterError ? err.retryAfterMs : undefined, { cause: err })
      : new NonRetriableError(message, { cause: err });
    return Object.assign(out, { status });
  };

  /** Renders and sends one request; answers the response, or throws in the app's words. */
  const send = async (ctx: OptionContext, what: string, req: RequestSpec, scope: Scope, page?: { pagination: PaginationSpec; state: PageState }): Promise<HttpResponse> => {
    let request: HttpRequest;
    try {
      request = build(ctx, req, scope, page);
    } catch (err) {
      if (err instanceof MissingValue) throw new NonRetriableError(`${name}: ${what}: ${err.message}`);
      throw err;
    }
    let res: HttpResponse;
    try {
      res = await ctx.http.send(request);
    } catch (err) {
      throw errorOf(what, err);
    }
    const failure = spec.errors.failure;
    if (failure && failure.body.in.includes(valueAtPath(res.body, failure.body.path) as never)) {
      const message = `${name}: ${what}: ${says(res.body) ?? 'the app reports a failure'}`;
      throw failure.retry ? new RetryAfterError(message) : new NonRetriableError(message);
    }
    return res;
  };

  const build = (ctx: OptionContext, req: RequestSpec, scope: Scope, page?: { pagination: PaginationSpec; state: PageState }): HttpRequest => {
    const auth = applyAuth(ctx);
    const headers: Record<string, string> = { accept: 'application/json', ...commonHeaders(ctx) };
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = renderText(v, scope);
    Object.assign(headers, auth.headers);
    if (page?.state.url) {
      // The next page's URL as the app gave it: only on the base URL's origin.
      const base = new URL(baseUrl(ctx));
      const next = new URL(page.state.url, base);
      if (next.origin !== base.origin) throw new NonRetriableError(`${name}: the next page's URL ${next.origin} is not on the API's origin ${base.origin}`);
      for (const [k, v] of Object.entries(auth.query)) if (!next.searchParams.has(k)) next.searchParams.set(k, v);
      return { method: req.method, url: next.href, headers };
    }
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.query ?? {})) {
      const rendered = renderValue(v, scope);
      if (typeof rendered === 'symbol') continue;
      query[k] = typeof rendered === 'string' ? rendered : typeof rendered === 'object' ? JSON.stringify(rendered) : String(rendered);
    }
    let body = req.body === undefined ? undefined : renderValue(req.body, scope);
    if (typeof body === 'symbol') body = undefined;
    if (page) {
      const { pagination, state } = page;
      const put = (key: string, value: string | number, where: 'query' | 'body') => {
        if (where === 'query') query[key] = String(value);
        else body = { ...(body && typeof body === 'object' ? body : {}), [key]: value };
      };
      if (pagination.type === 'cursor' && state.cursor !== undefined) put(pagination.param, state.cursor, pagination.in);
      if (pagination.type === 'offset') {
        const at = state.offset ?? pagination.start;
        put(pagination.param, at, pagination.in);
        if (pagination.limitParam) put(pagination.limitParam, pagination.size, pagination.in);
      }
    }
    Object.assign(query, auth.query);
    const path = renderText(req.path, scope, encodeURIComponent);
    const url = apiRequestUrl(baseUrl(ctx), path, query).href;
    if (body === undefined) return { method: req.method, url, headers };
    if (req.bodyType === 'form') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      return { method: req.method, url, headers, body: formEncode(body) };
    }
    headers['content-type'] = 'application/json';
    return { method: req.method, url, headers, body: JSON.stringify(body) };
  };

  /** Every page of a list (up to `maxPages` and MAX_ITEMS), the items at `itemsPath` of each. */
  const allPages = async (ctx: OptionContext, what: string, req: RequestSpec, scope: Scope, itemsPath: string, pagination: PaginationSpec | undefined): Promise<unknown[]> => {
    const items: unknown[] = [];
    let state: PageState | undefined = {};
    for (let n = 0; state && n < (pagination?.maxPages ?? 1) && items.length < MAX_ITEMS; n++) {
      const res = await send(ctx, what, req, scope, pagination ? { pagination, state } : undefined);
      const page = listAt(res.body, itemsPath);
      items.push(...page);
      state = pagination ? nextPage(pagination, state, res, page) : undefined;
    }
    return items.slice(0, MAX_ITEMS);
  };

  // ----- the Connector ---------------------------------------------------------------------------

  const actions: Record<string, ConnectorAction> = {};
  for (const [actionName, action] of Object.entries(spec.actions)) {
    const throttle = spec.throttles[actionName];
    actions[actionName] = defineAction({
      description: action.description,
      input: compileEventSchema(action.input, ['actions', actionName, 'input']),
      ...(throttle
        ? {
            throttle: {
              key: (input: unknown, credential: { id: string; data: Record<string, string> } | undefined) =>
                renderText(throttle.key, { input, credential: credential?.data ?? {}, account: { id: credential?.id ?? '-' } }),
              everyMs: throttle.everyMs,
            },
          }
        : {}),
      async run(input, ctx) {
        const scope = { input, credential: ctx.credential ?? {} };
        if (action.pagination) return allPages(ctx, actionName, action.request, scope, action.output ?? '', action.pagination);
        const res = await send(ctx, actionName, action.request, scope);
        // A 204 (or any empty answer) is null, not an empty string.
        const body = res.body === '' ? null : res.body;
        return action.output ? (valueAtPath(body, action.output) ?? null) : (body ?? null);
      },
    });
  }

  const optionSources: Record<string, OptionSource> = {};
  for (const [sourceName, source] of Object.entries(spec.optionSources)) {
    const params = source.params.length ? z.object(Object.fromEntries(source.params.map((p) => [p, z.string().min(1, 'is required')]))) : undefined;
    const load = async (ctx: OptionContext, given: Record<string, string> = {}): Promise<FieldOption[]> => {
      const parsed = params ? params.parse(given) : {};
      const items = await allPages(ctx, sourceName, source.request, { credential: ctx.credential ?? {}, params: parsed }, source.items, source.pagination);
      const options: FieldOption[] = [];
      for (const item of items) {
        const value = valueAtPath(item, source.value);
        if (value === undefined || value === null) continue;
        let label: unknown;
        try {
          label = source.label.includes('{{') ? renderText(source.label, { item }) : valueAtPath(item, source.label);
        } catch {
          label = undefined;
        }
        options.push({ label: label === undefined || label === null ? String(value) : String(label), value: String(value) });
      }
      return options;
    };
    optionSources[sourceName] = params ? Object.assign(load, { params }) : load;
  }

  const listSources: Record<string, ListSource> = {};
  for (const [sourceName, source] of Object.entries(spec.listSources)) {
    const params = source.params.length ? z.object(Object.fromEntries(source.params.map((p) => [p, z.string().min(1, 'is required')]))) : undefined;
    listSources[sourceName] = {
      label: source.label,
      ...(params ? { params } : {}),
      async list(ctx, checkpoint, given) {
        const now = Date.now();
        const initial = renderText(source.initial, { now: { iso: new Date(now).toISOString(), unix: Math.floor(now / 1000), ms: now } });
        const state = readCheckpoint(checkpoint, initial);
        const scope = { credential: ctx.credential ?? {}, checkpoint: state.since, params: given ?? {} };
        const res = await send(ctx, sourceName, source.request, scope, source.pagination ? { pagination: source.pagination, state: state.page ?? {} } : undefined);
        const items = listAt(res.body, source.records);
        let max = state.max;
        const records = [];
        for (const item of items) {
          const key = valueAtPath(item, source.key);
          const version = valueAtPath(item, source.version);
          if (key === undefined || key === null || key === '' || typeof item !== 'object' || item === null || Array.isArray(item)) continue;
          const v = version === undefined || version === null ? '' : String(version);
          if (v > max) max = v;
          records.push({ key: String(key), version: v, data: item as Record<string, unknown> });
        }
        const next = source.pagination && items.length > 0 ? nextPage(source.pagination, state.page ?? {}, res, items) : undefined;
        if (next) return { records, checkpoint: JSON.stringify({ since: state.since, max, page: next }), hasMore: true };
        return { records, checkpoint: JSON.stringify({ since: max, max }), hasMore: false };
      },
    };
  }

  const apiKeyAuth = spec.auth.filter((a): a is Extract<AuthSpec, { type: 'apiKey' }> => a.type === 'apiKey');
  const oauth = spec.auth.find((a): a is Extract<AuthSpec, { type: 'oauth2' }> => a.type === 'oauth2');
  const auth: ConnectorAuth[] = spec.auth.flatMap((a): ConnectorAuth[] => {
    if (a.type === 'apiKey') return [{ type: 'apiKey', fields: a.fields.map(({ pattern: _p, patternMessage: _m, ...field }) => field) }];
    if (a.type === 'oauth2') return [{ type: 'oauth2', scopes: a.scopes }];
    return [];
  });

  // Shape checks of what the user types: a declared pattern, a host label where the base URL takes
  // the value, printable ASCII where a header carries it.
  const credentialChecks: Record<string, z.ZodType<string, string>> = {};
  const hostFields = new Set(templatePaths(spec.baseUrl.default).map((p) => p.replace(/^credential\./, '')));
  for (const a of apiKeyAuth) {
    const headerFields = new Set(Object.values(a.apply.headers ?? {}).flatMap((t) => templatePaths(t).map((p) => p.replace(/^credential\./, ''))));
    for (const f of a.fields) {
      let check: z.ZodType<string, string> | undefined;
      if (f.pattern) check = z.string().regex(new RegExp(f.pattern), f.patternMessage ?? `must match ${f.pattern}`);
      else if (hostFields.has(f.name) && wholeTemplatePath(spec.baseUrl.default) === undefined)
        check = z.string().regex(HOST_LABEL, 'must be a host name part (letters, digits and dashes)');
      else if (headerFields.has(f.name)) check = HEADER_TOKEN;
      if (check) credentialChecks[f.name] = check;
    }
  }

  // The API proxy (`http` action) only where the auth is all headers: a query-string key would leak
  // into logged URLs, and an app whose secret is in the path (Discord's webhook token) has none to add.
  const headerOnly = spec.auth.every((a) => a.type === 'none' || (!a.apply.query && (Object.keys(a.apply.headers ?? {}).length > 0 || a.apply.basic)));
  const api: ConnectorApi | undefined = headerOnly ? { baseUrl, authorize: (ctx) => ({ ...commonHeaders(ctx), ...applyAuth(ctx).headers }), says } : undefined;

  const connector: Connector = {
    id,
    name,
    icon: spec.icon,
    auth,
    apiUrl: { env: spec.baseUrl.env, default: spec.baseUrl.default },
    ...(api ? { api } : {}),
    actions,
    optionSources,
    listSources,
    credentialChecks,
    ...(oauth
      ? {
          oauth: {
            env: oauth.env,
            authorizeUrl: oauth.authorizeUrl,
            tokenUrl: (settings) => (oauth.tokenUrl.startsWith('/') ? `${settings.apiUrls[id] ?? spec.baseUrl.default}${oauth.tokenUrl}` : oauth.tokenUrl),
            scopeSeparator: oauth.scopeSeparator,
            tokenFields: oauth.tokenFields,
            authorizeParams: oauth.authorizeParams,
          },
        }
      : {}),
  };

  if (spec.test) {
    const test = spec.test;
    connector.test = async (ctx) => {
      // No `what`: the refusal reads as the app's own answer (`HubSpot says: HTTP 401 …`), as the code connectors' do.
      const res = await send(ctx, '', test.request, { credential: ctx.credential ?? {} });
      const named = test.displayName ? valueAtPath(res.body, test.displayName) : undefined;
      return { displayName: typeof named === 'string' && named.trim() ? named.trim() : typeof named === 'number' ? String(named) : null };
    };
  }

  if (spec.webhooks) connector.webhooks = compileWebhooks(spec.webhooks, send);
  return connector;
}

type Send = (ctx: OptionContext, what: string, req: RequestSpec, scope: Scope) => Promise<HttpResponse>;

function compileWebhooks(spec: NonNullable<ConnectorSpec['webhooks']>, send: Send): ConnectorWebhooks {
  const secretOf = (answer: unknown, credential: Record<string, string> | undefined): string | undefined => {
    if (spec.secret.from === 'answer') {
      const s = valueAtPath(answer, spec.secret.path);
      if (typeof s !== 'string' || !s) throw new Error('the subscribe answer holds no signing secret'); // retried: the next try takes the subscription over
      return s;
    }
    if (spec.secret.from === 'credential') {
      const s = credential?.[spec.secret.field];
      if (!s) throw new NonRetriableError(`the account has no ${spec.secret.field}, which signs the app's deliveries; reconnect it`);
      return s;
    }
    return undefined;
  };
  return {
    events: spec.events,
    secretHeader: spec.verify.header,
    async subscribe(ctx, subscription) {
      const res = await send(ctx, `subscribing to ${subscription.event}`, spec.subscribe.request, { credential: ctx.credential ?? {}, subscription });
      const id = valueAtPath(res.body, spec.subscribe.id);
      if (id === undefined || id === null || id === '') throw new Error(`subscribing to ${subscription.event}: the answer names no subscription id`);
      const secret = secretOf(res.body, ctx.credential);
      return { subscriptionId: String(id), ...(secret ? { secret } : {}) };
    },
    async unsubscribe(ctx, subscriptionId) {
      try {
        await send(ctx, `removing subscription ${subscriptionId}`, spec.unsubscribe.request, { credential: ctx.credential ?? {}, subscriptionId });
      } catch (err) {
        if ((err as { status?: unknown }).status === 404) return; // gone already
        throw err;
      }
    },
    verify: ({ headers, rawBody, secret }) => verifyDelivery(spec.verify, headers, rawBody, secret),
    deliveryId(payload, headers) {
      const from = spec.deliveryId;
      if (!from) return undefined;
      const id = 'path' in from ? valueAtPath(payload, from.path) : headers?.[from.header];
      const text = typeof id === 'number' ? String(id) : id;
      return typeof text === 'string' && text.length > 0 && text.length <= 255 ? text : undefined;
    },
    async fetch(ctx, event, payload) {
      if (!spec.fetch) return payload;
      const res = await send(ctx, `fetching what the ${event} delivery names`, spec.fetch.request, { credential: ctx.credential ?? {}, payload, event });
      return spec.fetch.output ? valueAtPath(res.body, spec.fetch.output) : res.body;
    },
  };
}

/** Whether a delivery carries the proof `verify` describes, made with `secret`. */
export function verifyDelivery(verify: VerifySpec, headers: Record<string, string | undefined>, rawBody: string, secret: string, nowMs = Date.now()): boolean {
  const given = headers[verify.header];
  if (typeof given !== 'string' || given === '') return false;
  if (verify.type === 'secret') return sameText(given, secret);
  let signatures = [given];
  const pairs: Record<string, string> = {};
  if (verify.pairs) {
    signatures = [];
    for (const part of given.split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const k = part.slice(0, eq).trim();
      const v = part.slice(eq + 1).trim();
      if (k === verify.pairs.signature) signatures.push(v);
      else pairs[k] ??= v;
    }
    if (verify.pairs.timestamp) {
      const t = Number(pairs[verify.pairs.timestamp]);
      if (!Number.isFinite(t) || Math.abs(nowMs / 1000 - t) > verify.pairs.toleranceSeconds) return false;
    }
  }
  let signed: string;
  try {
    signed = renderText(verify.signed, { body: rawBody, headers, pairs });
  } catch {
    return false;
  }
  const expected = verify.prefix + createHmac(verify.algorithm, secret).update(signed, 'utf8').digest(verify.encoding);
  return signatures.some((s) => sameText(s, expected));
}

function matchRule(errors: ErrorSpec, status: number, body: unknown) {
  return errors.rules.find((r) => {
    if (r.status !== undefined && !(Array.isArray(r.status) ? r.status : [r.status]).includes(status)) return false;
    if (r.body && !r.body.in.includes(valueAtPath(body, r.body.path) as never)) return false;
    return true;
  });
}

/** The credential paths an auth's `apply` reads: the fields that must be present to use it. */
function applyPaths(a: Exclude<AuthSpec, { type: 'none' }>): string[] {
  const templates = [...Object.values(a.apply.headers ?? {}), ...Object.values(a.apply.query ?? {}), ...(a.apply.basic ? [a.apply.basic.username, a.apply.basic.password] : [])];
  return templates.flatMap(templatePaths);
}

/** The list at `path` of an answer (`""`: the answer itself); anything else is an empty list. */
function listAt(body: unknown, path: string): unknown[] {
  const list = path === '' ? body : valueAtPath(body, path);
  return Array.isArray(list) ? list : [];
}

/** Where the page after this one starts, or undefined when this was the last. */
function nextPage(p: PaginationSpec, state: PageState, res: HttpResponse, items: unknown[]): PageState | undefined {
  switch (p.type) {
    case 'cursor': {
      if (p.more && valueAtPath(res.body, p.more) !== true) return undefined;
      if (p.done && valueAtPath(res.body, p.done) === true) return undefined;
      const cursor = p.from === 'lastItem' ? valueAtPath(items[items.length - 1], p.cursor) : valueAtPath(res.body, p.cursor);
      if (cursor === undefined || cursor === null || cursor === '' || cursor === state.cursor) return undefined;
      return { cursor: String(cursor) };
    }
    case 'nextUrl': {
      if (p.done && valueAtPath(res.body, p.done) === true) return undefined;
      const next = valueAtPath(res.body, p.next);
      return typeof next === 'string' && next !== '' && next !== state.url ? { url: next } : undefined;
    }
    case 'link': {
      const link = res.headers.link;
      const text = Array.isArray(link) ? link.join(',') : link;
      const next = text?.split(/,(?=\s*<)/).find((part) => /;\s*rel="?next"?/i.test(part));
      const url = next?.match(/<([^>]*)>/)?.[1];
      return url && url !== state.url ? { url } : undefined;
    }
    case 'offset': {
      if (items.length < p.size) return undefined;
      const at = state.offset ?? p.start;
      return { offset: at + (p.unit === 'items' ? items.length : 1) };
    }
  }
}

/** A list source's checkpoint: the version the round starts from, the greatest seen, and the next page within a round. */
function readCheckpoint(checkpoint: string | null, initial: string): { since: string; max: string; page?: PageState } {
  if (checkpoint === null) return { since: initial, max: initial };
  try {
    const parsed = JSON.parse(checkpoint) as { since?: unknown; max?: unknown; page?: PageState };
    const since = typeof parsed.since === 'string' ? parsed.since : initial;
    return { since, max: typeof parsed.max === 'string' ? parsed.max : since, page: parsed.page };
  } catch {
    return { since: initial, max: initial };
  }
}

/** A body as `application/x-www-form-urlencoded`: nested objects as `a[b]=`, arrays as repeated keys (`a[]` if the key says so). */
export function formEncode(body: unknown): string {
  const params = new URLSearchParams();
  const add = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      for (const v of value) add(key, v);
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) add(`${key}[${k}]`, v);
    } else params.append(key, String(value));
  };
  if (body && typeof body === 'object' && !Array.isArray(body)) for (const [k, v] of Object.entries(body)) add(k, v);
  return params.toString();
}
