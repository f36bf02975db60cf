/** @jsxImportSource react */
import { useContext, useEffect, useRef, type CSSProperties, type ReactElement } from 'react';
import type { AlloyError, PageOptions } from '../types';
import { alloy } from './api';
import { AlloyContext } from './context';

export interface IntegrationsProps extends PageOptions {
  className?: string;
  style?: CSSProperties;
  id?: string;
}

/**
 * The widget's integrations page (`Alloy.renderIntegrations`) in a `<div>` React leaves alone, in
 * its own Shadow DOM root: mounted in an effect, removed by its cleanup. It renders again for a new
 * `theme`, `strings` or modal wording (compared by value, so inline objects are fine; the modal's
 * callbacks are always the latest), and for a new user. The page reloads itself after every change
 * made through the widget, here or elsewhere (an `<InstallButton>`, `useAlloy().uninstall(…)`).
 * @example <Integrations theme={{ accent: '#0a7' }} modal={{ callback: (r) => r.success && toast('Connected') }} />
 */
export function Integrations({ className, style, id, modal, ...page }: IntegrationsProps): ReactElement {
  const ref = useRef<HTMLDivElement>(null);
  const { session } = useContext(AlloyContext);
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
  }, [session, key]);

  return <div ref={ref} className={className} style={style} id={id} data-alloy-integrations="" />;
}
