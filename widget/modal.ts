import { effect } from '@preact/signals';
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
}

export interface ModalOptions {
  callback?: (result: InstallResultCallback) => void;
  onClose?: () => void;
  onError?: (error: AlloyError | Error) => void;
  title?: string;
  theme?: Theme;
  strings?: Partial<Strings>;
  /** Install without showing the modal when nothing needs asking (an account is connected and every field has a value). */
  hide?: boolean;
}

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
  const stopWatching = effect(() => {
    const r = model.result.value;
    if (model.step.value === 'done') report({ success: true, installationId: r?.installationId, workflowIds: r?.workflowIds, credentialId: model.credentialId.value });
    if (model.error.value) options.onError?.(model.error.value);
  });
  const me = (open = { close });
  const mounted = mountInShadow(document.body, h(Modal, { model, strings, title: options.title, onClose: close }), options.theme);
  // Once only, and only this modal: a late call (a hidden install finishing after Alloy.close()) changes nothing.
  function close() {
    if (open !== me) return;
    stopWatching();
    mounted.unmount();
    open = undefined;
    report({ success: false });
    options.onClose?.();
    opener?.focus?.();
  }
  if (options.hide) mounted.host.style.display = 'none';
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
    mounted.host.style.display = '';
  });
}
