/** @jsxImportSource react */
import { useEffect, useState } from 'react';
import { fetchToken, message } from './alloy';
import { ConnectSlack } from './ConnectSlack';
import { Feed } from './Feed';
import { Integrations } from './Integrations';
import { TicketForm } from './TicketForm';

type Session = { state: 'loading' } | { state: 'ready' } | { state: 'error'; message: string };

/** AcmeCo's helpdesk as a React app: it calls window.Alloy from effects and handlers. */
export function App() {
  const [token, setToken] = useState<string>();
  const [session, setSession] = useState<Session>({ state: 'loading' });
  // Bumped after an install from outside the integrations page: it renders again, fresh.
  const [revision, setRevision] = useState(0);

  useEffect(() => {
    let live = true;
    fetchToken().then(
      (t) => live && setToken(t),
      (err) => live && setSession({ state: 'error', message: message(err) }),
    );
    return () => void (live = false);
  }, []);

  // The token goes to the widget before anything that needs it renders (child effects run first).
  useEffect(() => {
    if (!token) return;
    window.Alloy.setToken(token);
    window.Alloy.setTokenProvider(fetchToken);
    setSession({ state: 'ready' });
  }, [token]);

  return (
    <>
      <header className="top">
        <h1>
          <span className="logo" aria-hidden="true">
            A
          </span>{' '}
          AcmeCo — React
        </h1>
        <p>
          Signed in as <strong>acme-demo</strong> · the same demo in plain JavaScript: <a href="/">/</a>
        </p>
      </header>
      <main>
        <div className="col">
          <section className="card" aria-labelledby="h-integrations">
            <h2 id="h-integrations">Integrations</h2>
            <p className="hint">
              Demo accounts. <strong>Slack</strong>: use any <code>xoxb-</code> token (e.g. <code>xoxb-demo</code>); the workspace has #support and #sales.
              <strong> BigCommerce</strong>: store hash <code>acme-store</code>, access token <code>bc-demo-token</code>.
            </p>
            {session.state === 'ready' ? (
              <>
                <ConnectSlack onInstalled={() => setRevision((r) => r + 1)} />
                <Integrations revision={revision} />
              </>
            ) : session.state === 'error' ? (
              <p className="status error" role="status">
                Could not load the integrations: {session.message}
              </p>
            ) : (
              <p role="status">Loading integrations…</p>
            )}
          </section>
          {session.state === 'ready' && <TicketForm />}
        </div>
        <div className="col">
          <Feed />
        </div>
      </main>
    </>
  );
}
