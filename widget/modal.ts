import { h } from 'preact';
import { Modal } from './components/Modal';
import type { AlloyError } from './errors';
import { mountInShadow, type Theme } from './mount';
import { createInstallModel, type InstallTarget } from './state/install';
import { defaultStrings, type Strings } from './strings';

export interface InstallResultCallback {
  success: boolean;
  installationId?: string;
  workflowIds?: string[];
  credentialId?: string;
  /** Secrets made by this install for destinations the user chose (shown once, in the last step too): keep them now or never. */
  signingSecrets?: Array<{ installationId: string; workflowId: string; blockId: string; secret: string }>;
}

export interface ModalOptions {
  callback?: (result: InstallResultCallback) => void;
  onClose?: () => void;
  onError?: (error: AlloyError | Error) => void;
  title?: string;
  theme?: Theme;
  strings?: Partial<Strings>;
  /** The language, as a BCP 47 tag (`de`, `pt-BR`…); default: the page's `<html lang>`. The `strings` option wins over it. */
  locale?: string;
  /** Install without showing the modal when nothing needs asking (an account is connected and every field has a value). */
  hide?: boolean;
}

/** A field's value to start with, by field name (Alloy's `preFilledValues`: `[{ name, value }]`, or an object). */
export type PreFilledValues = Record<string, unknown> | Array<{ name?: string; fieldName?: string; value: unknown }>;

/** `Alloy.install`'s options: alloy-frontend's, and ours (`onError`, `theme`, `strings`). */
export type InstallOptions = ModalOptions & {
  integrationId?: string;
  /** Some of the integration's workflows (one id or several); alone, the integration that has them. */
  workflowIds?: string | string[];
  /** Alloy's option: the version of each workflow to install; only the published one can be. */
  versionIds?: string | number | Array<string | number>;
  preFilledValues?: PreFilledValues;
  alwaysShowAuthentication?: boolean;
};

let open: { close(): void } | undefined;

export const isOpen = () => Boolean(open);

/** Closes the open modal, if any, removing everything it added to the page. */
export function closeModal(): void {
  open?.close();
}

/** Opens the modal for a target; a no-op while one is open. */
export function openModal(target: InstallTarget, options: ModalOptions): void {
  if (open) return;
  const strings = { ...defaultStrings, ...options.strings };
  const model = createInstallModel(target, strings);
  let opener = document.activeElement as HTMLElement | null;
  // Focus inside a shadow root (our integrations page's buttons) shows as its host: look inside.
  while (opener?.shadowRoot?.activeElement) opener = opener.shadowRoot.activeElement as HTMLElement;
  let callback = options.callback;
  const report = (result: InstallResultCallback) => {
    callback?.(result);
    callback = undefined;
  };
  // Each new error goes to onError once; reaching the last step reports success once.
  let lastError: Error | undefined;
  const stopWatching = model.watch(() => {
    const error = model.error.value;
    if (error && error !== lastError) options.onError?.(error);
    lastError = error;
    const r = model.result.value;
    if (model.step.value === 'done')
      report({
        success: true,
        installationId: r?.installationId,
        workflowIds: r?.workflowIds,
        credentialId: model.credentialId.value,
        signingSecrets: r?.signingSecrets.length ? r.signingSecrets : undefined,
      });
  });
  model.hidden.value = Boolean(options.hide);
  // Mounted first: a theme refused there (a TypeError) leaves no modal counted as open.
  const mounted = mountInShadow(document.body, h(Modal, { model, strings, title: options.title, onClose: close }), options.theme);
  const me = (open = { close });
  // Once only, and only this modal: a late call (a hidden install finishing after Alloy.close()) changes nothing.
  function close() {
    if (open !== me) return;
    stopWatching();
    model.dispose();
    mounted.unmount();
    open = undefined;
    report({ success: false });
    options.onClose?.();
    opener?.focus?.();
  }
  void model.load().then(async () => {
    if (open !== me) return;
    // `hide`: when nothing needs asking, install without ever showing the modal.
    if (options.hide && model.step.value === 'settings') {
      const result = await model.submit();
      // A new signing secret is shown once, so the modal shows itself to hand it over.
      if (result && !result.signingSecrets.length) return close();
      // Shown to ask: nothing is flagged before the user has done anything.
      model.fieldErrors.value = {};
    }
    model.hidden.value = false;
  });
}
