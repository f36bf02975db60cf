import { eachInstallation, OFFLINE, request } from './api';
import { AlloyError } from './errors';
import { emit, subscribe } from './events';
import { importUi } from './load-ui';
import type { InstallOptions, ModalOptions } from './modal';
import { flushOutbox, sendAppEvent } from './outbox';
import type { Installation, Integration, Workflow } from './schema';
import { currentToken, hasToken, NO_TOKEN, scriptData, setBaseUrl, setRegion, setToken as setSessionToken, setTokenProvider } from './session';
import type { PageOptions, Ui } from './ui';

export { AlloyError };
export type { AlloyErrorCode } from './errors';
export type { AlloyEvent, AlloyEventName, AlloyListener } from './events';
export type { InstallOptions, InstallResultCallback, ModalOptions, PreFilledValues } from './modal';
export type { OutboxReport, SendResult } from './outbox';
export type { Theme } from './mount';
export type { PageOptions } from './ui';
export { setBaseUrl, setRegion, setTokenProvider, sendAppEvent, flushOutbox, subscribe };

/**
 * Sets the user token your backend got from `GET /users/:userId/token`. Every other method needs
 * it (or a token provider) first. That user's queued app events go out once it is set.
 * @example Alloy.setToken(await (await fetch('/api/alloy-token')).text())
 */
export function setToken(token: string): void {
  setSessionToken(token);
  void flushOutbox();
}

let ui: Promise<Ui> | undefined;
/** The UI once it is here: `close` acts at once. */
let loaded: Ui | undefined;

/** The UI bundle, fetched once on first use (a failed fetch is tried again on the next call). */
function loadUi(): Promise<Ui> {
  return (ui ??= importUi().then(
    (m) => (loaded = m.start({ request, each: eachInstallation, emit, subscribe, AlloyError })),
    () => {
      ui = undefined;
      throw new AlloyError('network', OFFLINE);
    },
  ));
}

/**
 * Fetches the UI bundle now, or when the page is next idle (`'idle'`), so the first `install`
 * opens at once. Without it the UI is fetched on the first `install`, `edit`, `authenticate` or
 * `renderIntegrations`. The script tag's `data-preload="idle"` does the same.
 */
export async function preload(when: 'now' | 'idle' = 'now'): Promise<void> {
  if (when === 'idle') await new Promise((idle) => (window.requestIdleCallback ?? setTimeout)(idle));
  await loadUi();
}

/** Misuse is reported at once, as alloy-frontend does: before any promise. */
function needToken(): void {
  if (!hasToken()) throw new AlloyError('no_token', NO_TOKEN);
}

/**
 * Runs a UI method once the UI and a token are here. Code written for alloy-frontend calls it without `await`: the promise rejects
 * for whoever awaits it, but it is handled already, so an un-awaited failure (reported to
 * `onError`) never shows as an unhandled rejection.
 */
function viaUi<K extends 'install' | 'authenticate'>(method: K, options: Parameters<Ui[K]>[0]): ReturnType<Ui[K]> {
  needToken();
  const work = Promise.all([loadUi(), currentToken()]).then(([open]): Promise<unknown> => open[method](options as never)) as ReturnType<Ui[K]>;
  work.catch((err: Error) => options.onError?.(err));
  return work;
}

const list = <T>(value: T | T[] | undefined): T[] | undefined => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);

/**
 * Opens the modal to install an integration (or some of its workflows). `callback` is called
 * exactly once: `{ success: true, installationId, workflowIds }`, or `{ success: false }` when
 * the user closes it first. Does nothing while a modal is open. Misuse (no integration, no token)
 * throws at once; a failure later goes to `onError`, and rejects the promise for those who await it.
 * @example Alloy.install({ integrationId: 'slack', callback: (r) => r.success && refresh() })
 */
export function install(options: InstallOptions): Promise<void> {
  const workflowIds = list(options?.workflowIds);
  if (!options || (typeof options.integrationId !== 'string' && !workflowIds?.every((w) => typeof w === 'string'))) {
    throw new TypeError('Alloy.install: give integrationId or workflowIds');
  }
  return viaUi('install', { ...options, workflowIds });
}

/** Reopens the modal for an installed integration, the account step first, its fields filled with the current settings (as Alloy's). */
export const edit = (options: InstallOptions) => install({ alwaysShowAuthentication: true, ...options });
/** Alloy's other name for `edit`. */
export const update = edit;

/**
 * Connects an account of an app only (or lets the user pick one of theirs); `callback({ success,
 * credentialId })`. Resolves with that `credentialId` once the account is connected, or undefined
 * when the user closes the modal first (or another modal is open).
 * @example const credentialId = await Alloy.authenticate({ app: 'slack' })
 */
export function authenticate(options: ModalOptions & { app?: string; integrationId?: string }): Promise<string | undefined> {
  if (!options?.app && !options?.integrationId) throw new TypeError('Alloy.authenticate: give app or integrationId');
  return viaUi('authenticate', options);
}

/** Closes the modal if one is open. */
export function close(): void {
  loaded?.closeModal();
}

/** The user's integrations, in the server's `GET /integrations` shape. */
export function getIntegrations(): Promise<Integration[]> {
  needToken();
  return request<{ data: Integration[] }>('GET', '/me/integrations').then((r) => r.data);
}

/** Every workflow of every integration, with the user's installation state. */
export function getWorkflows(): Promise<Workflow[]> {
  return getIntegrations().then((list) => list.flatMap((i) => i.workflows));
}

type Target = { installationId: string } | { integrationId: string } | { workflowId: string };

async function installationsOf(target: Target): Promise<Installation[]> {
  const { data } = await request<{ data: Installation[] }>('GET', '/me/installations');
  const found = data.filter((i) =>
    'installationId' in target
      ? i.installationId === target.installationId
      : 'workflowId' in target
        ? i.workflowId === target.workflowId
        : i.integrationId === target.integrationId,
  );
  if (found.length === 0) throw new AlloyError('not_found', `Nothing installed matches ${JSON.stringify(target)}`);
  return found;
}

const each = (method: string, type: 'updated' | 'uninstalled', suffix?: string) => (target: Target) => {
  if (!target || typeof target !== 'object') throw new TypeError('Expected an installationId, integrationId or workflowId');
  needToken();
  return (async () => {
    const found = await installationsOf(target);
    await eachInstallation(found, method, suffix);
    emit({ type, integrationId: found[0]!.integrationId, installationIds: found.map((i) => i.installationId), workflowIds: found.map((i) => i.workflowId) });
  })();
};
/** Pauses installed workflows: events no longer run them. */
export const deactivate = each('PUT', 'updated', '/deactivate');
/** Resumes paused workflows. */
export const reactivate = each('PUT', 'updated', '/activate');
/** Removes installed workflows. */
export const uninstall = each('DELETE', 'uninstalled');

/**
 * Renders the integrations page into an element of the host page (in its own shadow root).
 * Returns a function that removes it (at once, even before the UI has loaded).
 * @example const remove = Alloy.renderIntegrations(document.getElementById('integrations'))
 */
export function renderIntegrations(element: Element, options: PageOptions = {}): () => void {
  if (!(element instanceof Element)) throw new TypeError('Alloy.renderIntegrations: expected a DOM element');
  needToken();
  let removed = false;
  let remove = () => {
    removed = true;
  };
  // A UI that cannot load, or a theme it refuses, goes to onError: never an unhandled rejection.
  loadUi()
    .then((open) => {
      if (!removed) remove = open.renderIntegrations(element, options, install);
    })
    .catch((err: Error) => options.modal?.onError?.(err));
  return () => remove();
}

/**
 * Alloy's `const alloy = Alloy()`: an object with the same methods as `window.Alloy`. The
 * instances share one session (one token, one outbox): a page has one user.
 */
export function Alloy() {
  return {
    setToken,
    setTokenProvider,
    setBaseUrl,
    setRegion,
    install,
    edit,
    update,
    authenticate,
    close,
    getIntegrations,
    getWorkflows,
    deactivate,
    reactivate,
    uninstall,
    sendAppEvent,
    flushOutbox,
    renderIntegrations,
    subscribe,
    preload,
    AlloyError,
  };
}

if (typeof window !== 'undefined') {
  // Events queued while offline go out when the page is back online.
  window.addEventListener('online', () => void flushOutbox());
  if (scriptData('preload') === 'idle') void preload('idle').catch(() => undefined);
}
export default Alloy;
