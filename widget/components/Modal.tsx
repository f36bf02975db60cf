import { useEffect, useRef } from 'preact/hooks';
import { useCells } from '../state/cells';
import type { InstallModel } from '../state/install';
import { fill, type Strings } from '../strings';
import { ConnectStep, SettingsStep } from './Steps';

const FOCUSABLE = 'button:not([disabled]),input:not([disabled]),select:not([disabled]),a[href],[tabindex]:not([tabindex="-1"])';

interface Props {
  model: InstallModel;
  strings: Strings;
  title?: string;
  onClose(): void;
}

/**
 * The install dialog: labelled by its title, focus moved in and kept inside, Esc and the close
 * button close it (the caller gives focus back to the opener).
 */
export function Modal({ model, strings, title, onClose }: Props) {
  useCells(model);
  const dialog = useRef<HTMLDivElement>(null);
  const step = model.step.value;
  const detail = model.detail.value;
  const hidden = model.hidden.value;

  // Focus the first control of each step as it appears.
  useEffect(() => {
    const first = dialog.current?.querySelector<HTMLElement>(`.body ${FOCUSABLE}`) ?? dialog.current?.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
  }, [step, hidden]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
      return;
    }
    if (e.key !== 'Tab' || !dialog.current) return;
    const items = [...dialog.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    const active = (dialog.current.getRootNode() as ShadowRoot).activeElement;
    const index = items.indexOf(active as HTMLElement);
    const next = e.shiftKey ? (index <= 0 ? items.length - 1 : index - 1) : index === items.length - 1 ? 0 : index + 1;
    e.preventDefault();
    items[next]?.focus();
  };

  const heading = title ?? (detail ? (step === 'done' ? fill(strings.doneTitle, { app: detail.app }) : detail.app) : strings.loading);
  return (
    <div class="bd" hidden={hidden} onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="dlg" role="dialog" aria-modal="true" aria-labelledby="alloy-title" ref={dialog} onKeyDown={onKeyDown}>
        <div class="hd">
          {detail && <img src={detail.icon} alt="" />}
          <h2 id="alloy-title">{heading}</h2>
          <button type="button" class="x" aria-label={strings.close} onClick={onClose}>
            ×
          </button>
        </div>
        <div class="body" aria-live="polite" aria-busy={step === 'loading'}>
          {step === 'loading' && <p>{strings.loading}</p>}
          {step === 'connect' && <ConnectStep model={model} strings={strings} />}
          {step === 'settings' && <SettingsStep model={model} strings={strings} />}
          {step === 'done' && (
            <div>
              <p>{strings.doneBody}</p>
              {/* Shown once: the server keeps these encrypted and never answers them again. */}
              {model.result.value?.signingSecrets.map((s) => (
                <label>
                  {strings.signingSecret}
                  <input readOnly value={s.secret} />
                </label>
              ))}
              <button type="button" class="btn" onClick={onClose}>
                {strings.close}
              </button>
            </div>
          )}
          {model.error.value && (
            <p role="alert" class="alert">
              {model.error.value.message}
            </p>
          )}
        </div>
      </div>
    </div>
  );
}
