import type { ComponentChildren } from 'preact';
import { announcement, BASE, route } from '../state';
import { Link } from './Link';

export const SECTIONS = [
  { path: '', name: 'Overview' },
  { path: '/users', name: 'Users' },
  { path: '/executions', name: 'Executions' },
  { path: '/errors', name: 'Errors' },
  { path: '/definitions', name: 'Definitions' },
  { path: '/deliveries', name: 'Deliveries' },
];

/** The section a path belongs to: '/executions/abc' is under Executions. */
const sectionOf = (path: string) => SECTIONS.filter((s) => (s.path === '' ? path === '' : path === s.path || path.startsWith(`${s.path}/`)))[0];

/** Every page's frame: a skip link, the banner with the navigation and sign-out, the main region, and the live region. */
export function Layout({ signedIn, onSignOut, children }: { signedIn: boolean; onSignOut(): void; children: ComponentChildren }) {
  const section = sectionOf(route.value.path);
  return (
    <>
      <a
        href="#main"
        class="skip"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="banner">
        <Link href={`${BASE}/`} class="brand">
          Alloy console
        </Link>
        {signedIn && (
          <>
            <nav aria-label="Console">
              <ul>
                {SECTIONS.map((s) => (
                  <li key={s.path}>
                    <Link href={`${BASE}${s.path || '/'}`} current={section !== s ? undefined : route.value.path === s.path ? 'page' : 'true'}>
                      {s.name}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
            <button type="button" class="secondary sign-out" onClick={onSignOut}>
              Sign out
            </button>
          </>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <div class="visually-hidden" role="status" aria-live="polite">
        {announcement.value}
      </div>
    </>
  );
}
