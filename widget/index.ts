import { h } from 'preact';
import { eachInstallation, request } from './api';
import { IntegrationsPage } from './components/IntegrationsPage';
import { closeModal, isOpen, openModal, type ModalOptions } from './modal';
import { mountInShadow, type Theme } from './mount';
import { flushOutbox, sendAppEvent } from './outbox';
import type { Installation, Integration, Workflow } from './schema';
import { currentToken, hasToken, setBaseUrl, setRegion, setToken as setSessionToken, setTokenProvider } from './session';
import { defaultStrings, type Strings } from './strings';

export { AlloyError, type AlloyErrorCode } from './errors';
export type { InstallResultCallback, ModalOptions } from './modal';
export type { SendResult } from './outbox';
export type { Theme } from './mount';
export { setBaseUrl, setRegion, setTokenProvider, sendAppEvent, flushOutbox };

/**
 * Sets the user token your backend got from `GET /users/:userId/token`. Every other method needs
 * it (or a token provider) first. Queued app events go out once a token is there.
 * @example Alloy.setToken(await (await fetch('/api/alloy-token')).text())
 */
export function setToken(token: string): void {
  setSessionToken(token);
  void flushOutbox();
}

export type InstallOptions = ModalOptions & { alwaysShowAuthentication?: boolean } & (
    | { integrationId: string; workflowIds?: string[] }
    | { integrationId?: undefined; workflowIds: string[] }
  );

async function integrationOf(workflowIds: string[]): Promise<string> {
  const { data } = await request<{ data: Integration[] }>('GET', '/me/integrations');
  const found = data.find((i) => workflowIds.every((id) => i.workflows.some((w) => w.workflowId === id)));
  if (!found) throw new TypeError(`Alloy.install: no integration has the workflows ${workflowIds.join(', ')}`);
  return found.integrationId;
}

/**
 * Opens the modal to install an integration (or some of its workflows). `callback` is called
 * exactly once: `{ success: true, installationId, workflowIds }`, or `{ success: false }` when
 * the user closes it first. Does nothing while a modal is open.
 * @example Alloy.install({ integrationId: 'slack', callback: (r) => r.success && refresh() })
 */
export async function install(options: InstallOptions): Promise<void> {
  if (!options || (typeof options.integrationId !== 'string' && !Array.isArray(options.workflowIds))) {
    throw new TypeError('Alloy.install: give integrationId or workflowIds');
  }
  if (isOpen()) return;
  await currentToken();
  const integrationId = options.integrationId ?? (await integrationOf(options.workflowIds!));
  openModal({ integrationId, workflowIds: options.workflowIds, alwaysShowAuthentication: options.alwaysShowAuthentication }, options);
}

/** Reopens the modal for an installed integration, its fields filled with the current settings. */
export const edit = (options: InstallOptions) => install(options);
/** Alloy's name for `edit`. */
export const update = edit;

/** Connects an account of an app only; `callback({ success, credentialId })`. */
export async function authenticate(options: ModalOptions & { app?: string; integrationId?: string }): Promise<void> {
  if (!options?.app && !options?.integrationId) throw new TypeError('Alloy.authenticate: give app or integrationId');
  if (isOpen()) return;
  await currentToken();
  let integrationId = options.integrationId;
  if (!integrationId) {
    const { data } = await request<{ data: Integration[] }>('GET', '/me/integrations');
    const app = options.app!.toLowerCase();
    integrationId = data.find((i) => i.integrationId.toLowerCase() === app || i.app.toLowerCase() === app)?.integrationId;
    if (!integrationId) throw new TypeError(`Alloy.authenticate: no integration for the app "${options.app}"`);
  }
  openModal({ integrationId, authenticateOnly: true, alwaysShowAuthentication: true }, options);
}

/** Closes the modal if one is open. */
export const close = closeModal;

/** The user's integrations, in the server's `GET /integrations` shape. */
export async function getIntegrations(): Promise<Integration[]> {
  return (await request<{ data: Integration[] }>('GET', '/me/integrations')).data;
}

/** Every workflow of every integration, with the user's installation state. */
export async function getWorkflows(): Promise<Workflow[]> {
  return (await getIntegrations()).flatMap((i) => i.workflows);
}

type Target = { installationId: string } | { integrationId: string } | { workflowId: string };

async function installationsOf(target: Target): Promise<Installation[]> {
  if (!target || typeof target !== 'object') throw new TypeError('Expected { installationId }, { integrationId } or { workflowId }');
  const { data } = await request<{ data: Installation[] }>('GET', '/me/installations');
  const found = data.filter((i) =>
    'installationId' in target ? i.installationId === target.installationId : 'workflowId' in target ? i.workflowId === target.workflowId : i.integrationId === target.integrationId,
  );
  if (found.length === 0) throw new TypeError(`Nothing installed matches ${JSON.stringify(target)}`);
  return found;
}

const each = async (target: Target, method: string, suffix?: string) => {
  await eachInstallation(await installationsOf(target), method, suffix);
};
/** Pauses installed workflows: events no longer run them. */
export const deactivate = (target: Target) => each(target, 'PUT', '/deactivate');
/** Resumes paused workflows. */
export const reactivate = (target: Target) => each(target, 'PUT', '/activate');
/** Removes installed workflows. */
export const uninstall = (target: Target) => each(target, 'DELETE');

/**
 * Renders the integrations page into an element of the host page (in its own shadow root).
 * Returns a function that removes it.
 * @example const remove = Alloy.renderIntegrations(document.getElementById('integrations'))
 */
export function renderIntegrations(element: Element, options: { theme?: Theme; strings?: Partial<Strings>; modal?: ModalOptions } = {}): () => void {
  if (!(element instanceof Element)) throw new TypeError('Alloy.renderIntegrations: expected a DOM element');
  if (!hasToken()) throw new TypeError('Alloy.renderIntegrations: call Alloy.setToken first');
  const strings = { ...defaultStrings, ...options.strings };
  // Resolves (and the page reloads) once installed, behind the modal's success message, or when it
  // closes; rejects when the modal cannot open (an expired token, say), for the page to show why.
  const onInstall = (integrationId: string) =>
    new Promise<void>(
      (resolve, reject) =>
        void install({
          ...options.modal,
          integrationId,
          callback: (result) => (options.modal?.callback?.(result), result.success && resolve()),
          onClose: () => (options.modal?.onClose?.(), resolve()),
        }).catch(reject),
    );
  return mountInShadow(element, h(IntegrationsPage, { strings, onInstall }), options.theme).unmount;
}

// Events queued while offline go out when the page is back online.
if (typeof window !== 'undefined') window.addEventListener('online', () => void flushOutbox());
