import type { InstallModel } from '../state/install';
import { fill, type Strings } from '../strings';
import { FieldInput } from './FieldInput';

/**
 * Connect the account: OAuth in a popup, and/or the app's credential form. Busy buttons are
 * `aria-disabled`, not `disabled`: a disabled button drops the focus out of the dialog (to the
 * page's body), where Esc and the Tab trap no longer work. The model ignores a second go while busy.
 */
export function ConnectStep({ model, strings }: { model: InstallModel; strings: Strings }) {
  const detail = model.detail.value!;
  const keyForm = detail.auth.find((a) => a.type === 'apiKey');
  const oauth = detail.auth.some((a) => a.type === 'oauth2');
  return (
    <div>
      <h3>{fill(strings.connectTitle, { app: detail.app })}</h3>
      {oauth && (
        <button
          type="button"
          class="btn"
          aria-disabled={model.busy.value}
          // Opened here, in the click, so popup blockers let it through.
          onClick={() => model.busy.value || void model.connectWithOAuth(window.open('about:blank', 'alloy-oauth', 'width=600,height=700'))}
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
              <input
                id={`c-${f.name}`}
                name={f.name}
                type={f.type === 'secret' ? 'password' : 'text'}
                autoComplete="off"
                required={f.required}
                placeholder={f.placeholder}
              />
            </div>
          ))}
          <button type="submit" class="btn" aria-disabled={model.busy.value}>
            {strings.connect}
          </button>
        </form>
      )}
      {/* The accounts already connected, after the forms so that the step's focus lands on a way to connect; one no installation uses can go (a user holds at most ten per app). */}
      {detail.credentials.map((c, i) => (
        <div class="row">
          {detail.app} {i + 1}
          {!c.inUse && (
            <button type="button" class="btn sec" aria-disabled={model.busy.value} onClick={() => void model.removeCredential(c.credentialId)}>
              {strings.remove}
            </button>
          )}
        </div>
      ))}
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
