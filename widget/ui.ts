import { h } from 'preact';
import { IntegrationsPage } from './components/IntegrationsPage';
import { matchLocale } from './locales/match';
import { closeModal, isOpen, openModal, type InstallOptions, type InstallResultCallback, type ModalOptions, type PreFilledValues } from './modal';
import { mountInShadow, type Theme } from './mount';
import type { Integration } from './schema';
import { defaultStrings, type Strings } from './strings';
import { bindCore, core, type Core } from './ui-core';

export interface PageOptions {
  theme?: Theme;
  strings?: Partial<Strings>;
  /** The language, as a BCP 47 tag (`de`, `pt-BR`…; default: the page's `<html lang>`), of the page and of the modal it opens. */
  locale?: string;
  /** Options of the modal the page opens (callback, onClose, onError, title, theme, strings, locale). */
  modal?: ModalOptions;
}

/**
 * Each locale's strings, by name: English is built in; another built-in locale is fetched once a
 * page (one that could not be is English, and tried again next time).
 */
const locales: Record<string, Partial<Strings> | Promise<Partial<Strings>>> = { en: {} };

/** The options with the strings of their `locale` (default: the page's `lang`) under their `strings`. */
async function localized<T extends { locale?: string; strings?: Partial<Strings> }>(options: T): Promise<T & { strings: Strings }> {
  const name = matchLocale(options.locale ?? document.documentElement.lang);
  // Beside this file (`…/widget/alloy-locale-de.json`). Concatenated, not a template literal: the
  // bundler would take `new URL(`…${name}…`, import.meta.url)` for assets to bundle.
  const words = await (locales[name] ??= fetch(new URL('alloy-locale-' + name + '.json', import.meta.url))
    .then((r) => r.json())
    .catch(() => (delete locales[name], {})));
  return { ...options, strings: { ...defaultStrings, ...words, ...options.strings } };
}

const integrations = async () => (await core.request<{ data: Integration[] }>('GET', '/me/integrations')).data;

function prefilled(values: PreFilledValues | undefined): Record<string, unknown> | undefined {
  if (!Array.isArray(values)) return values;
  return Object.fromEntries(values.map((v) => [v.name ?? v.fieldName, v.value]));
}

/**
 * `Alloy.install` once the UI is here (the loader has checked the options and the token).
 * `reconnect`: the integrations page's Reconnect, the account step for that account of the user's.
 */
async function install(options: InstallOptions & { workflowIds?: string[]; reconnect?: string }): Promise<void> {
  if (isOpen()) return;
  const { workflowIds } = options;
  let integrationId = options.integrationId;
  if (!integrationId) {
    integrationId = (await integrations()).find((i) => workflowIds!.every((id) => i.workflows.some((w) => w.workflowId === id)))?.integrationId;
    if (!integrationId) throw new TypeError(`Alloy.install: no integration has the workflows ${workflowIds!.join(', ')}`);
  }
  const versionIds = options.versionIds === undefined ? undefined : ([] as unknown[]).concat(options.versionIds).map(Number);
  const { alwaysShowAuthentication, reconnect } = options;
  openModal({ integrationId, workflowIds, versionIds, preFilled: prefilled(options.preFilledValues), alwaysShowAuthentication, reconnect }, await localized(options));
}

/**
 * `Alloy.authenticate`: the modal's account step only. Resolves with the account connected (or
 * chosen) once the modal has it, or undefined when it closes first (or another modal is open).
 */
async function authenticate(options: ModalOptions & { app?: string; integrationId?: string }): Promise<string | undefined> {
  if (isOpen()) return;
  let integrationId = options.integrationId;
  if (!integrationId) {
    const app = options.app!.toLowerCase();
    integrationId = (await integrations()).find((i) => i.integrationId.toLowerCase() === app || i.app.toLowerCase() === app)?.integrationId;
    if (!integrationId) throw new TypeError(`Alloy.authenticate: no integration for the app "${options.app}"`);
  }
  const localizedOptions = await localized(options);
  return new Promise((resolve) =>
    openModal(
      { integrationId, authenticateOnly: true, alwaysShowAuthentication: true },
      { ...localizedOptions, callback: (result) => (resolve(result.credentialId), options.callback?.(result)) },
    ),
  );
}

/**
 * The UI bundle's entry: the loader calls it once with its core, and calls the UI through what
 * it returns.
 */
export function start(given: Core) {
  bindCore(given);
  return {
    isOpen,
    install,
    authenticate,
    closeModal,
    /** Mounts the integrations page; its buttons open the modal through the loader's `install`. */
    renderIntegrations(element: Element, options: PageOptions, loaderInstall: (options: InstallOptions & { reconnect?: string }) => Promise<void>) {
      // Resolves (and the page reloads) once installed, behind the modal's success message, or when it
      // closes; rejects when the modal cannot open (an expired token, say), for the page to show why.
      const onInstall = (integrationId: string, reconnect?: string) =>
        new Promise<void>(
          (resolve, reject) =>
            void loaderInstall({
              locale: options.locale,
              ...options.modal,
              integrationId,
              reconnect,
              callback: (result: InstallResultCallback) => (options.modal?.callback?.(result), result.success && resolve()),
              onClose: () => (options.modal?.onClose?.(), resolve()),
            }).catch(reject),
        );
      // Mounted once its strings are here; removed at once, even before.
      let removed: unknown;
      let remove: () => unknown = () => (removed = 1);
      void localized(options).then(({ strings }) => removed || (remove = mountInShadow(element, h(IntegrationsPage, { strings, onInstall }), options.theme).unmount));
      return () => remove();
    },
  };
}

export type Ui = ReturnType<typeof start>;
