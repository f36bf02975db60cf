/** @jsxImportSource react */
import { useContext, useEffect, useRef, useState, type CSSProperties, type ReactElement } from 'react';
import type { AlloyError, PageOptions } from '../types';
import { alloy } from './api';
import { AlloyContext } from './context';

export interface IntegrationsProps extends PageOptions {
  className?: string;
  style?: CSSProperties;
  id?: string;
}

/** The modal's own tag: a direct child of `<body>` (the integrations page's is inside our div). */
const isModal = (node: EventTarget | null) => node instanceof Element && node.localName === 'alloy-embedded' && node.parentNode === document.body;

/**
 * The widget's integrations page (`Alloy.renderIntegrations`) in a `<div>` React leaves alone, in
 * its own Shadow DOM root: mounted in an effect, removed by its cleanup. It renders again for a new
 * `theme`, `strings` or modal wording (compared by value, so inline objects are fine; the modal's
 * callbacks are always the latest), for a new user, and after a change made elsewhere on the page
 * (an `<InstallButton>`, `useAlloy().uninstall(…)`): the page reloads itself after its own.
 * @example <Integrations theme={{ accent: '#0a7' }} modal={{ callback: (r) => r.success && toast('Connected') }} />
 */
export function Integrations({ className, style, id, modal, ...page }: IntegrationsProps): ReactElement {
  const ref = useRef<HTMLDivElement>(null);
  const { session } = useContext(AlloyContext);
  const [revision, setRevision] = useState(0);
  const latest = useRef(modal);
  latest.current = modal;
  // By value: JSON drops the callbacks, which are called through `latest`.
  const key = JSON.stringify([page, modal]);

  useEffect(() => {
    const given = latest.current;
    const options: PageOptions = {
      ...(JSON.parse(key)[0] as PageOptions),
      modal: {
        ...given,
        callback: (result) => latest.current?.callback?.(result),
        onClose: () => latest.current?.onClose?.(),
        onError: (error: AlloyError | Error) => latest.current?.onError?.(error),
      },
    };
    try {
      return alloy.renderIntegrations(ref.current!, options);
    } catch (error) {
      // A misuse (no token yet): the modal's `onError` hears it, as it hears a UI that failed to load.
      if (!given?.onError) throw error;
      given.onError(error as Error);
      return undefined;
    }
  }, [session, revision, key]);

  // After a change made elsewhere, render the page again: one it made itself (the last click was
  // on it, not counting clicks in the modal it opened) it has reloaded already.
  useEffect(() => {
    const element = ref.current!;
    let ours = false;
    const onClick = (event: MouseEvent) => {
      if (!isModal(event.target)) ours = element.contains(event.target as Node);
    };
    document.addEventListener('click', onClick, true);
    const off = alloy.subscribe('*', () => ours || setRevision((r) => r + 1));
    return () => {
      document.removeEventListener('click', onClick, true);
      off();
    };
  }, []);

  return <div ref={ref} className={className} style={style} id={id} data-alloy-integrations="" />;
}
