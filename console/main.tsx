import { render } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { api, whenSignedOut } from './api';
import { Layout } from './components/Layout';
import { announce, BASE, navigate, route, session, signInNote, watch } from './state';
import { Definitions } from './pages/Definitions';
import { Deliveries } from './pages/Deliveries';
import { DiffPage } from './pages/Diff';
import { ErrorsPage } from './pages/Errors';
import { ExecutionPage } from './pages/Execution';
import { Executions } from './pages/Executions';
import { NotFound } from './pages/NotFound';
import { Overview } from './pages/Overview';
import { SignIn } from './pages/SignIn';
import { UserPage } from './pages/User';
import { Users } from './pages/Users';
import { VersionPage } from './pages/Version';

/** The page for a path under /console, with its parameters. */
function page(path: string) {
  const parts = path.split('/').slice(1).map(decodeURIComponent);
  if (path === '') return <Overview />;
  if (path === '/users') return <Users />;
  if (parts[0] === 'users' && parts.length === 2) return <UserPage userId={parts[1]!} key={parts[1]} />;
  if (path === '/executions') return <Executions />;
  if (parts[0] === 'executions' && parts.length === 2) return <ExecutionPage executionId={parts[1]!} key={parts[1]} />;
  if (path === '/errors') return <ErrorsPage />;
  if (path === '/definitions') return <Definitions />;
  if (parts[0] === 'definitions' && parts.length === 3 && parts[2] === 'diff') return <DiffPage workflowId={parts[1]!} key={parts[1]} />;
  if (parts[0] === 'definitions' && parts.length === 4 && parts[2] === 'versions' && /^\d+$/.test(parts[3]!))
    return <VersionPage workflowId={parts[1]!} version={Number(parts[3])} key={path} />;
  if (path === '/deliveries') return <Deliveries />;
  return <NotFound />;
}

function App() {
  // A new page (not a new query on the same one: a filter keeps the focus where it is) moves the
  // focus to its heading, so a screen reader says where it landed and Tab starts from there.
  const shown = `${session.value}:${route.value.path}`;
  const last = useRef(shown);
  useLayoutEffect(() => {
    const before = last.current;
    last.current = shown;
    // The first page after loading keeps the browser's own start (the skip link first).
    if (before === shown || before.startsWith('unknown:')) return;
    const heading = document.querySelector<HTMLElement>('main h1');
    heading?.focus();
    window.scrollTo(0, 0);
  });

  const signOut = () =>
    void api.signOut().then(
      () => {
        signInNote.value = 'You are signed out.';
        session.value = 'signed-out';
        navigate(`${BASE}/`);
      },
      // Not signed out on the server (it could not be reached): say so rather than pretend.
      (err: Error) => announce(`Could not sign out: ${err.message}`),
    );

  if (session.value === 'unknown')
    return (
      <Layout signedIn={false} onSignOut={signOut}>
        <p class="muted" aria-busy="true">
          Loading…
        </p>
      </Layout>
    );
  return (
    <Layout signedIn={session.value === 'signed-in'} onSignOut={signOut}>
      {session.value === 'signed-in' ? page(route.value.path) : <SignIn />}
    </Layout>
  );
}

whenSignedOut(() => {
  if (session.value !== 'signed-in') return;
  signInNote.value = 'Your session has ended: sign in again.';
  session.value = 'signed-out';
});

// Any change of the shared cells (route, session, live region) renders the app again; subscribed
// before anything can change them, so no change is missed.
const root = document.getElementById('app')!;
const show = () => render(<App />, root);
watch(show);
show();
api.restore().then(
  (s) => (session.value = s ? 'signed-in' : 'signed-out'),
  () => {
    signInNote.value = 'Could not reach the server.';
    session.value = 'signed-out';
  },
);
