import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';

/** A page's one h1, also its tab's title; focusable from script, where a route change puts the focus. */
export function Heading({ title, children }: { title: string; children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · Alloy console`;
  }, [title]);
  return <h1 tabIndex={-1}>{children ?? title}</h1>;
}
