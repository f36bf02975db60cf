import { useRef, useState } from 'preact/hooks';
import { api, ConsoleError } from '../api';
import { Heading } from '../components/Heading';
import { session, signInNote } from '../state';

/**
 * Sign-in with the ISV's API key: sent once to POST /console/session, which answers with the
 * session cookie. The key lives only in the field while typed: it is cleared on success, never put
 * in storage or in the address (the form posts with script; without it, `method="post"` keeps it
 * out of the URL too).
 */
export function SignIn() {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  const note = signInNote.value;

  const submit = async (e: Event) => {
    e.preventDefault();
    const input = field.current!;
    if (!input.value.trim()) {
      setError('Enter your API key.');
      input.focus();
      return;
    }
    setBusy(true);
    setError('');
    try {
      await api.signIn(input.value.trim());
      input.value = '';
      signInNote.value = '';
      session.value = 'signed-in';
    } catch (err) {
      const e = err as ConsoleError;
      setError(
        e.status === 401
          ? 'That API key is not right. Check it and try again.'
          : e.status === 429
            ? `Too many wrong keys. Try again in ${waitText(e.retryAfterSeconds)}.`
            : `Could not sign in: ${e.message}`,
      );
      input.select();
      input.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="sign-in">
      <Heading title="Sign in" />
      {note && <p class="note">{note}</p>}
      <p>Use the API key of this server (ALLOY_API_KEY, or the development key it printed at start). It is exchanged for a session and not kept in this page.</p>
      <form method="post" action="#" onSubmit={(e) => void submit(e)} noValidate>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          ref={field}
          type="password"
          autocomplete="off"
          spellcheck={false}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'sign-in-error' : undefined}
        />
        {error && (
          <p id="sign-in-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}

function waitText(seconds: number | undefined): string {
  if (!seconds) return 'a moment';
  if (seconds < 90) return `${seconds} ${seconds === 1 ? 'second' : 'seconds'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
