import { Link } from './Link';

/** The page size the address asks for (`?limit=`, 1 to 100), or the server's default. */
export function pageSize(query: URLSearchParams): number | undefined {
  const n = Number(query.get('limit'));
  return Number.isInteger(n) && n >= 1 && n <= 100 ? n : undefined;
}

/**
 * Cursor paging: the first page and the next one, as links (the cursor is in the address, so back
 * returns to the page before).
 */
export function Pager({ first, next, onFirstPage }: { first: string; next: string | null; onFirstPage: boolean }) {
  if (onFirstPage && !next) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {!onFirstPage && <Link href={first}>First page</Link>}
      {next && <Link href={next}>Next page</Link>}
    </nav>
  );
}
