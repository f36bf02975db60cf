import { Component, createRef } from 'preact';
import type { InstallModel } from '../state/install';
import { fill, say, type Strings } from '../strings';
import { ConnectStep, SettingsStep } from './Steps';

const FOCUSABLE = 'button:not([disabled]),input:not([disabled]),select:not([disabled]),textarea:not([disabled]),a[href],[tabindex]:not([tabindex="-1"])';

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
export class Modal extends Component<Props> {
  dialog = createRef<HTMLDivElement>();
  /** The step (visibility, account reconnected) last focused into: each new one moves the focus to its first control. */
  shown = '';
  stop = () => {};

  override componentDidMount() {
    // Re-render on any change of the model.
    this.stop = this.props.model.watch(() => this.forceUpdate());
    this.componentDidUpdate();
  }

  override componentWillUnmount() {
    this.stop();
  }

  // Focus the first control of each step as it appears (and once a hidden modal shows itself).
  override componentDidUpdate() {
    const { step, hidden, reconnecting } = this.props.model;
    // Reconnecting an account is a step of its own: the Reconnect button clicked is gone.
    const now = step.value + hidden.value + reconnecting.value;
    if (now === this.shown) return;
    this.shown = now;
    const dialog = this.dialog.current;
    (dialog?.querySelector<HTMLElement>(`.body ${FOCUSABLE}`) ?? dialog?.querySelector<HTMLElement>(FOCUSABLE))?.focus();
  }

  override render({ model, strings, title, onClose }: Props) {
    const { dialog } = this;
    const step = model.step.value;
    const detail = model.detail.value;
    const hidden = model.hidden.value;
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
                {say(model.error.value, strings)}
              </p>
            )}
          </div>
        </div>
      </div>
    );
  }
}
