import type { ComponentChildren } from 'preact';
import { navigate } from '../state';

interface Props {
  href: string;
  children: ComponentChildren;
  class?: string;
  /** `page`: the link is to this page; `true`: to the section this page is in. */
  current?: 'page' | 'true';
  'aria-label'?: string;
}

/** A real link (open in a new tab, copy its address) that, clicked plainly, moves within the app without a reload. */
export function Link({ href, children, current, ...rest }: Props) {
  return (
    <a
      href={href}
      aria-current={current}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
      {...rest}
    >
      {children}
    </a>
  );
}
