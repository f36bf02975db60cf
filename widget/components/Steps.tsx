import { usable, type InstallModel } from '../state/install';
import { fill, type Strings } from '../strings';
import { Account } from './Account';
import { FieldInput } from './FieldInput';

/**
 * The account: one of the user's (each usable one with "Use this account", one the app refused
 * with "Reconnect", one no installation uses with "Remove"), or another one connected through
 * OAuth in a popup and/or the app's credential form; while reconnecting, that account and the
 * ways to connect it again. Busy buttons are `aria-disabled`, not `disabled`: a disabled button
 * drops the focus out of the dialog (to the page's body), where Esc and the Tab trap no longer
 * work. The model ignores a second go while busy.
 */
export function ConnectStep({ model, strings }: { model: InstallModel; strings: Strings }) {
  const detail = model.detail.value!;
  const keyForm = detail.auth.find((a) => a.type === 'apiKey');
  const oauth = detail.auth.some((a) => a.type === 'oauth2');
  const busy = model.busy.value;
  const again = model.reconnecting.value;
  // The user's accounts, and an installation's account that was deleted (no longer among them: it
  // can only be replaced). First, so that the step's focus lands on picking one.
  const accounts = [...detail.credentials, ...detail.connections.filter((c) => c.status === 'deleted')].filter((c) => !again || c.credentialId === again);
  return (
    <div>
      {accounts.map((c) => (
        <Account account={c} app={detail.app} strings={strings}>
          {!again && c.status !== 'deleted' && (
            <button
              type="button"
              class="btn"
              aria-disabled={busy}
              onClick={() => busy || (usable(c) ? model.useCredential(c.credentialId) : (model.reconnecting.value = c.credentialId))}
            >
              {usable(c) ? strings.useAccount : strings.reconnectAccount}
            </button>
          )}
          {/* One no installation uses can go (a user holds at most ten per app). */}
          {!again && 'inUse' in c && !c.inUse && (
            <button type="button" class="btn sec" aria-disabled={busy} onClick={() => void model.removeCredential(c.credentialId)}>
              {strings.remove}
            </button>
          )}
        </Account>
      ))}
      <h3>{accounts.length && !again ? strings.connectAnother : fill(strings.connectTitle, { app: detail.app })}</h3>
      {oauth && (
        <button
          type="button"
          class="btn"
          aria-disabled={busy}
          // Opened here, in the click, so popup blockers let it through.
          onClick={() => busy || void model.connectWithOAuth(window.open('about:blank', 'alloy-oauth', 'width=600,height=700'))}
        >
          {fill(strings.connectWith, { app: detail.app })}
        </button>
      )}
      {keyForm?.type === 'apiKey' && (
        <form
          // Uncontrolled inputs, read on submit: nothing to keep in state.
          onSubmit={(e) => {
            e.preventDefault();
            void model.connectWithKey(Object.fromEntries([...(e.currentTarget as HTMLFormElement).querySelectorAll('input')].map((i) => [i.name, i.value])));
          }}
        >
          {oauth && <h3>{strings.orUseKey}</h3>}
          {keyForm.fields.map((f) => (
            <div>
              <label for={`c-${f.name}`}>{f.label}</label>
              {f.description && <div class="hint">{f.description}</div>}
              <input id={`c-${f.name}`} name={f.name} type={f.type === 'secret' ? 'password' : 'text'} autoComplete="off" required={f.required} placeholder={f.placeholder} />
            </div>
          ))}
          <button type="submit" class="btn" aria-disabled={busy}>
            {strings.connect}
          </button>
        </form>
      )}
    </div>
  );
}

/** The configurable fields, then install. */
export function SettingsStep({ model, strings }: { model: InstallModel; strings: Strings }) {
  const fields = model.fields();
  const installed = model.detail.value!.installed;
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void model.submit();
      }}
    >
      {fields.length > 0 && <h3>{strings.settingsTitle}</h3>}
      {fields.map((f) => (
        <FieldInput
          field={f}
          value={model.values.value[f.name]}
          error={model.fieldErrors.value[f.name]}
          options={model.options.value[f.name]}
          strings={strings}
          onChange={(v) => model.setValue(f.name, v)}
          onRetry={() => void model.loadOptions(f)}
        />
      ))}
      <button type="submit" class="btn" aria-disabled={model.busy.value}>
        {model.busy.value ? strings.installing : installed ? strings.save : strings.install}
      </button>
    </form>
  );
}
