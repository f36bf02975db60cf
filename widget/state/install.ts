import type { AlloyError } from '../errors';
import type { Field, FieldOption, InstallResult, Integration, IntegrationDetailView } from '../schema';
import { fill, say, type Strings } from '../strings';
import { core } from '../ui-core';
import { cells } from './cells';
import { FIELDS } from '../fields';

export type Step = 'loading' | 'connect' | 'settings' | 'done' | 'error';
/** A field's options from the app: `waiting` while a field they depend on is empty. */
export type OptionsState = { status: 'waiting' | 'loading' } | { status: 'ready'; items: FieldOption[] } | { status: 'error'; message: string };

export interface InstallTarget {
  integrationId: string;
  workflowIds?: string[];
  alwaysShowAuthentication?: boolean;
  /** Only connect an account (Alloy.authenticate): done once connected. */
  authenticateOnly?: boolean;
  /** Values to start with, by field name, over the defaults and the current settings (Alloy's `preFilledValues`). */
  preFilled?: Record<string, unknown>;
  /** Alloy's `versionIds`: the versions asked for; only the published version of a workflow can be installed. */
  versionIds?: number[];
  /** An account of the user's to connect again (the integrations page's Reconnect): the account step for it alone. */
  reconnect?: string;
}

/** A connected account of the user's, with its state (the wire's `ConnectionView`). */
export type Connection = Integration['connections'][number];

/** An account an installation can use: one the app refused (or that is gone) must be connected again first. */
export const usable = (c: Connection) => c.status === 'healthy' || c.status === 'refreshing';

/** The fields of the workflows being installed, once each (workflows of one integration may share one). */
export function fieldsOf(detail: IntegrationDetailView, workflowIds?: string[]): Field[] {
  const byName = new Map<string, Field>();
  for (const w of detail.workflows) if (!workflowIds || workflowIds.includes(w.workflowId)) for (const f of w.fields) if (!byName.has(f.name)) byName.set(f.name, f);
  return [...byName.values()];
}

/** What of a value is among `options`: a select's value or nothing, a multiselect's known items, a mapping's known targets. */
function onlyKnown(value: unknown, options: FieldOption[]): unknown {
  const known = (v: unknown) => options.some((o) => o.value === v);
  if (Array.isArray(value)) return value.filter(known);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([, target]) => known(target)));
  return value === undefined || known(value) ? value : undefined;
}

/** Checks the values as the server will, so the user sees what is missing next to the field. */
export function validate(fields: Field[], values: Record<string, unknown>, strings: Strings): Record<string, string> {
  const errors: Record<string, string> = {};
  // Empty: missing, "" or [] (a checkbox is never empty: it starts as false).
  for (const f of fields) if (f.required && String(values[f.name] ?? '') === '') errors[f.name] = fill(strings.required, { label: f.label });
  return errors;
}

/** The state and actions of one install modal, as cells the components read (the modal re-renders on any change). */
export function createInstallModel(target: InstallTarget, strings: Strings) {
  const { cell, watch } = cells();
  const step = cell<Step>('loading');
  const detail = cell<IntegrationDetailView | undefined>(undefined);
  /** What went wrong last, shown in words and given to `onError` as is (an `AlloyError` with its code). */
  const error = cell<Error | undefined>(undefined);
  const busy = cell(false);
  /** The account the install uses: the user's choice, or the one connected in this modal. */
  const credentialId = cell<string | undefined>(undefined);
  /** The account the connect step connects again, in place (same id, its installations kept), instead of a new one. */
  const reconnecting = cell(target.reconnect);
  const values = cell<Record<string, unknown>>({});
  const fieldErrors = cell<Record<string, string>>({});
  const options = cell<Record<string, OptionsState>>({});
  const result = cell<InstallResult | undefined>(undefined);
  /** `hide: true`: kept out of sight until something needs asking. */
  const hidden = cell(false);
  const fields = () => (detail.value ? fieldsOf(detail.value, target.workflowIds) : []);
  /** Stops an OAuth flow in progress (its message listener and popup watch): the modal closed. */
  let cancelOAuth = () => {};

  // Everything that fails here rejects with an Error (an AlloyError from the server calls).
  const fail = (err: unknown) => {
    error.value = err as Error;
  };

  const setOptions = (name: string, state: OptionsState) => (options.value = { ...options.value, [name]: state });
  /** The query of each field's latest options request: an answer to an older one is dropped. */
  const asked: Record<string, string> = {};

  /**
   * Loads a field's options from the app with the account, and the values of the fields they
   * depend on (`dependsOn`); waits while one of those is empty. A value no longer among the new
   * options is cleared (a channel of another workspace, a category of another tree).
   */
  async function loadOptions(field: Field) {
    const source = field.optionsSource;
    if (!source) return;
    const q = new URLSearchParams({ credentialId: credentialId.value ?? '' });
    for (const parent of source.dependsOn ?? []) {
      const v = values.value[parent];
      if (v === undefined || v === '') return setOptions(field.name, { status: 'waiting' });
      q.set(parent, String(v));
    }
    const query = (asked[field.name] = String(q));
    setOptions(field.name, { status: 'loading' });
    try {
      const res = await core.request<{ data: FieldOption[] }>('GET', `/me/options/${source.connector}/${source.source}?${query}`);
      if (asked[field.name] !== query) return;
      setOptions(field.name, { status: 'ready', items: res.data });
      const v = values.value[field.name];
      const kept = onlyKnown(v, res.data);
      if (JSON.stringify(kept) !== JSON.stringify(v)) setValue(field.name, kept);
    } catch (err) {
      if (asked[field.name] === query) setOptions(field.name, { status: 'error', message: `${strings.optionsFailed} ${say(err as Error, strings)}` });
    }
  }

  /** Sets a field's value (clearing its error), and reloads the options of the fields that depend on it. */
  function setValue(name: string, value: unknown) {
    values.value = { ...values.value, [name]: value };
    if (fieldErrors.value[name]) fieldErrors.value = { ...fieldErrors.value, [name]: '' };
    for (const f of fields()) if (f.optionsSource?.dependsOn?.includes(name)) void loadOptions(f);
  }

  function toSettings() {
    if (target.authenticateOnly) {
      step.value = 'done';
      return;
    }
    step.value = 'settings';
    for (const f of fields()) void loadOptions(f);
  }

  async function load() {
    try {
      const d = await core.request<IntegrationDetailView>('GET', `/me/integrations/${encodeURIComponent(target.integrationId)}`);
      // Pre-fill with what an existing installation holds (an edit), else the defaults.
      const initial: Record<string, unknown> = {};
      // An unticked checkbox is an answer too: false, not missing (a required one would fail).
      for (const f of fieldsOf(d, target.workflowIds)) initial[f.name] = f.default ?? FIELDS[f.type].initial;
      for (const w of d.workflows) if (w.config) Object.assign(initial, w.config);
      Object.assign(initial, target.preFilled);
      const chosen = d.workflows.filter((w) => !target.workflowIds || target.workflowIds.includes(w.workflowId));
      const stale = target.versionIds?.find((v) => !chosen.some((w) => w.version === v));
      if (stale !== undefined) throw new TypeError(`Version ${stale} cannot be installed: only the published version (${chosen.map((w) => w.version).join(', ')}) can`);
      // The account to use: the one the installation uses (an edit), else the only one; with several, the user picks.
      const ready = d.credentials.filter(usable);
      const current = chosen.find((w) => w.credentialId)?.credentialId ?? (ready.length === 1 ? ready[0]!.credentialId : undefined);
      detail.value = d;
      values.value = initial;
      credentialId.value = current;
      if (d.auth.length > 0 && (!ready.some((c) => c.credentialId === current) || target.alwaysShowAuthentication || target.authenticateOnly || reconnecting.value))
        step.value = 'connect';
      else toSettings();
    } catch (err) {
      // The step first: the modal reports the error once, when it is set.
      step.value = 'error';
      fail(err);
    }
  }

  /** Runs one action of the user's at a time: busy meanwhile (a second go is ignored), its failure shown. */
  async function act<T>(work: () => Promise<T>, onFail?: (err: AlloyError) => void): Promise<T | undefined> {
    if (busy.value) return;
    busy.value = true;
    error.value = undefined;
    try {
      return await work();
    } catch (err) {
      onFail?.(err as AlloyError);
      fail(err);
    } finally {
      busy.value = false;
    }
  }

  /** An account is connected (or gone): tell the subscribers. */
  const told = (id: string) => core.emit({ type: 'credential', integrationId: target.integrationId, credentialId: id });
  /** Installs with an account of the user's: on to the settings. */
  const useCredential = (id: string) => {
    credentialId.value = id;
    toSettings();
  };
  const connected = (id: string) => {
    told(id);
    // Reconnected in place, an account's installations work again as they are: nothing to save.
    if (reconnecting.value && detail.value!.credentials.some((c) => c.credentialId === id && c.inUse)) {
      credentialId.value = id;
      step.value = 'done';
    } else useCredential(id);
  };

  /** Connects a new account with the app's form, or the one being reconnected in place. */
  const connectWithKey = (data: Record<string, string>) =>
    act(async () => {
      const again = reconnecting.value;
      const res = await core.request<{ credentialId: string }>(
        again ? 'PUT' : 'POST',
        '/me/credentials' + (again ? '/' + again : ''),
        again ? { data } : { app: detail.value!.connector, data },
      );
      connected(res.credentialId);
    });

  /** Deletes an account no installation uses (a user may hold only so many per app), then shows what is left. */
  const removeCredential = (id: string) =>
    act(async () => {
      await core.request('DELETE', `/me/credentials/${id}`);
      told(id);
      await load();
    });

  /**
   * OAuth in a popup. The window must be opened in the click handler itself (popup blockers allow
   * only that), named `alloy-oauth`, so the caller opens it and hands it here to be sent on.
   */
  function connectWithOAuth(popup: Window | null) {
    if (!popup) return fail(new core.AlloyError('popup_blocked', strings.popupBlocked));
    return act(
      async () => {
        // With `credentialId`, the sign-in connects that account again, in place.
        const { beginUrl } = await core.request<{ beginUrl: string }>('POST', `/me/oauth/${detail.value!.connector}/start`, {
          origin: location.origin,
          credentialId: reconnecting.value,
        });
        // The popup begins at the server through a form this page posts into it, not a link: the
        // browser sends this page's Origin, which binds the sign-in to it (a link could be sent to anyone).
        const form = document.body.appendChild(Object.assign(document.createElement('form'), { method: 'post', action: beginUrl, target: 'alloy-oauth' }));
        form.submit();
        form.remove();
        // The callback page is at the server's public address, which the begin URL shares.
        const server = new URL(beginUrl).origin;
        connected(
          await new Promise<string>((resolve, reject) => {
            const onMessage = (e: MessageEvent) => {
              if (e.origin !== server || e.data?.type !== 'alloy:oauth') return;
              done();
              if (e.data.success) resolve(e.data.credentialId);
              else reject(new core.AlloyError('unauthorized', String(e.data.error), undefined, undefined, 'oauth'));
            };
            const timer = setInterval(() => {
              if (popup.closed) {
                done();
                reject(new core.AlloyError('popup_closed', strings.popupClosed));
              }
            }, 500);
            const done = (cancelOAuth = () => {
              clearInterval(timer);
              removeEventListener('message', onMessage);
            });
            addEventListener('message', onMessage);
          }),
        );
      },
      () => popup.close(),
    );
  }

  function submit(): Promise<InstallResult | undefined> {
    const own = fields();
    const errors = validate(own, values.value, strings);
    if (!busy.value) fieldErrors.value = errors;
    if (Object.keys(errors).length) return Promise.resolve(undefined);
    return act(
      async () => {
        const config = Object.fromEntries(own.filter((f) => f.name in values.value).map((f) => [f.name, values.value[f.name]]));
        const res = await core.request<InstallResult>('POST', '/me/installations', {
          integrationId: target.integrationId,
          workflowIds: target.workflowIds,
          credentialId: credentialId.value,
          config,
        });
        result.value = res;
        step.value = 'done';
        // Installed before (an edit): `updated`; else `installed`.
        core.emit({
          type: detail.value!.installed ? 'updated' : 'installed',
          integrationId: target.integrationId,
          installationIds: res.installations.map((i) => i.installationId),
          workflowIds: res.workflowIds,
        });
        return res;
      },
      // The server names fields as `config.<name>` (a mapping's row or a list's item after it): show
      // each message next to its field, several joined. (Not `instanceof AlloyError`: in the browser
      // the error is the loader's class.)
      ({ details }: AlloyError) => {
        const errors: Record<string, string> = {};
        for (const d of details ?? []) {
          const name = d.path.split('.')[1] ?? '';
          errors[name] = errors[name] ? `${errors[name]}; ${d.message}` : d.message;
        }
        fieldErrors.value = errors;
      },
    );
  }

  return {
    dispose: () => cancelOAuth(),
    watch,
    hidden,
    target,
    step,
    detail,
    error,
    busy,
    credentialId,
    reconnecting,
    values,
    fieldErrors,
    options,
    result,
    fields,
    load,
    loadOptions,
    useCredential,
    connectWithKey,
    connectWithOAuth,
    removeCredential,
    submit,
    setValue,
  };
}

export type InstallModel = ReturnType<typeof createInstallModel>;
