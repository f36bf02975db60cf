import { AlloyError } from '../errors';
import type { Field, FieldOption, InstallResult, IntegrationDetailView } from '../schema';
import { fill, type Strings } from '../strings';
import { core } from '../ui-core';
import { cells } from './cells';

export type Step = 'loading' | 'connect' | 'settings' | 'done' | 'error';
export type OptionsState = { status: 'loading' } | { status: 'ready'; items: FieldOption[] } | { status: 'error'; message: string };

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
}

/** The fields of the workflows being installed, once each (workflows of one integration may share one). */
export function fieldsOf(detail: IntegrationDetailView, workflowIds?: string[]): Field[] {
  const byName = new Map<string, Field>();
  for (const w of detail.workflows) if (!workflowIds || workflowIds.includes(w.workflowId)) for (const f of w.fields) if (!byName.has(f.name)) byName.set(f.name, f);
  return [...byName.values()];
}

/** Checks the values as the server will, so the user sees what is missing next to the field. */
export function validate(fields: Field[], values: Record<string, unknown>, strings: Strings): Record<string, string> {
  const errors: Record<string, string> = {};
  // Empty: missing, "" or [] (a checkbox is never empty: it starts as false).
  for (const f of fields) if (f.required && String(values[f.name] ?? '') === '') errors[f.name] = fill(strings.required, { label: f.label });
  return errors;
}

/** The state and actions of one install modal, as cells the components read (`useCells(model)`). */
export function createInstallModel(target: InstallTarget, strings: Strings) {
  const { cell, watch } = cells();
  const step = cell<Step>('loading');
  const detail = cell<IntegrationDetailView | undefined>(undefined);
  /** What went wrong last, shown in words and given to `onError` as is (an `AlloyError` with its code). */
  const error = cell<Error | undefined>(undefined);
  const busy = cell(false);
  const credentialId = cell<string | undefined>(undefined);
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

  async function loadOptions(field: Field) {
    if (!field.optionsSource) return;
    options.value = { ...options.value, [field.name]: { status: 'loading' } };
    try {
      const q = new URLSearchParams({ credentialId: credentialId.value ?? '' });
      const res = await core.request<{ data: FieldOption[] }>('GET', `/me/options/${field.optionsSource.connector}/${field.optionsSource.source}?${q}`);
      options.value = { ...options.value, [field.name]: { status: 'ready', items: res.data } };
    } catch (err) {
      options.value = { ...options.value, [field.name]: { status: 'error', message: `${strings.optionsFailed} ${(err as Error).message}` } };
    }
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
      for (const f of fieldsOf(d, target.workflowIds)) initial[f.name] = f.default ?? (f.type === 'boolean' ? false : undefined);
      for (const w of d.workflows) if (w.config) Object.assign(initial, w.config);
      Object.assign(initial, target.preFilled);
      const chosen = d.workflows.filter((w) => !target.workflowIds || target.workflowIds.includes(w.workflowId));
      const stale = target.versionIds?.find((v) => !chosen.some((w) => w.version === v));
      if (stale !== undefined) throw new TypeError(`Version ${stale} cannot be installed: only the published version (${chosen.map((w) => w.version).join(', ')}) can`);
      const usable = d.credentials.filter((c) => c.status === 'ok');
      detail.value = d;
      values.value = initial;
      credentialId.value = usable.at(-1)?.credentialId;
      if (d.auth.length > 0 && (!usable.length || target.alwaysShowAuthentication || target.authenticateOnly)) step.value = 'connect';
      else toSettings();
    } catch (err) {
      // The step first: the modal reports the error once, when it is set.
      step.value = 'error';
      fail(err);
    }
  }

  async function connectWithKey(data: Record<string, string>) {
    if (busy.value) return;
    busy.value = true;
    error.value = undefined;
    try {
      const res = await core.request<{ credentialId: string }>('POST', '/me/credentials', { app: detail.value!.connector, data });
      credentialId.value = res.credentialId;
      core.emit({ type: 'credential', integrationId: target.integrationId, credentialId: res.credentialId });
      toSettings();
    } catch (err) {
      fail(err);
    } finally {
      busy.value = false;
    }
  }

  /** Deletes an account no installation uses (a user may hold only so many per app), then shows what is left. */
  async function removeCredential(id: string) {
    if (busy.value) return;
    busy.value = true;
    error.value = undefined;
    try {
      await core.request('DELETE', `/me/credentials/${id}`);
      core.emit({ type: 'credential', integrationId: target.integrationId, credentialId: id });
      await load();
    } catch (err) {
      fail(err);
    } finally {
      busy.value = false;
    }
  }

  /**
   * OAuth in a popup. The window must be opened in the click handler itself (popup blockers allow
   * only that), named `alloy-oauth`, so the caller opens it and hands it here to be sent on.
   */
  async function connectWithOAuth(popup: Window | null) {
    error.value = undefined;
    if (!popup) return fail(new AlloyError('popup_blocked', strings.popupBlocked));
    busy.value = true;
    try {
      const { beginUrl } = await core.request<{ beginUrl: string }>('POST', `/me/oauth/${detail.value!.connector}/start`, { origin: location.origin });
      // The popup begins at the server through a form this page posts into it, not a link: the
      // browser sends this page's Origin, which binds the sign-in to it (a link could be sent to anyone).
      const form = document.body.appendChild(Object.assign(document.createElement('form'), { method: 'post', action: beginUrl, target: 'alloy-oauth' }));
      form.submit();
      form.remove();
      // The callback page is at the server's public address, which the begin URL shares.
      const server = new URL(beginUrl).origin;
      const id = await new Promise<string>((resolve, reject) => {
        const onMessage = (e: MessageEvent) => {
          if (e.origin !== server || e.data?.type !== 'alloy:oauth') return;
          done();
          if (e.data.success) resolve(e.data.credentialId);
          else reject(new AlloyError('unauthorized', String(e.data.error)));
        };
        const timer = setInterval(() => {
          if (popup.closed) {
            done();
            reject(new AlloyError('popup_closed', strings.popupClosed));
          }
        }, 500);
        const done = (cancelOAuth = () => {
          clearInterval(timer);
          removeEventListener('message', onMessage);
        });
        addEventListener('message', onMessage);
      });
      credentialId.value = id;
      core.emit({ type: 'credential', integrationId: target.integrationId, credentialId: id });
      toSettings();
    } catch (err) {
      popup.close();
      fail(err);
    } finally {
      busy.value = false;
    }
  }

  async function submit(): Promise<InstallResult | undefined> {
    if (busy.value) return undefined;
    const errors = validate(fields(), values.value, strings);
    fieldErrors.value = errors;
    if (Object.keys(errors).length) return undefined;
    busy.value = true;
    error.value = undefined;
    try {
      const config = Object.fromEntries(Object.entries(values.value).filter(([k]) => fields().some((f) => f.name === k)));
      const res = await core.request<InstallResult>('POST', '/me/installations', {
        integrationId: target.integrationId,
        workflowIds: target.workflowIds,
        credentialId: credentialId.value,
        config,
      });
      result.value = res;
      step.value = 'done';
      // Installed before (an edit): `updated`; else `installed`.
      core.emit({ type: detail.value!.installed ? 'updated' : 'installed', integrationId: target.integrationId, installationIds: res.installations.map((i) => i.installationId), workflowIds: res.workflowIds });
      return res;
    } catch (err) {
      if (err instanceof AlloyError && err.details) {
        // The server names fields as `config.<name>`: show each next to its field.
        fieldErrors.value = Object.fromEntries(err.details.map((d) => [d.path.replace(/^config\./, ''), d.message]));
      }
      fail(err);
      return undefined;
    } finally {
      busy.value = false;
    }
  }

  return { dispose: () => cancelOAuth(), watch, hidden, target, step, detail, error, busy, credentialId, values, fieldErrors, options, result, fields, load, loadOptions, connectWithKey, connectWithOAuth, removeCredential, submit };
}

export type InstallModel = ReturnType<typeof createInstallModel>;
