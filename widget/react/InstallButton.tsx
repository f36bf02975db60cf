/** @jsxImportSource react */
import { useRef, useState, type ButtonHTMLAttributes, type MouseEvent, type ReactElement, type ReactNode } from 'react';
import type { AlloyError, Integration, InstallOptions, InstallResult } from '../types';
import { alloy } from './api';
import { useIntegrations } from './useIntegrations';

/** What a render-function child of `<InstallButton>` is given. */
export interface InstallButtonState {
  /** The integration, once `useIntegrations` has loaded it. */
  integration: Integration | undefined;
  /** One of its workflows is installed (kept up to date after each change). */
  installed: boolean;
  /** The modal this button opened is open. */
  open: boolean;
}

export type InstallButtonProps = Omit<InstallOptions, 'integrationId'> &
  // The button's own attributes, but those that are install options (`title`, `onError`…).
  Omit<ButtonHTMLAttributes<HTMLButtonElement>, keyof InstallOptions | 'children' | 'type'> & {
    /** The integration to install (or, installed, to configure). */
    integrationId: string;
    /** The label, or a function of the state (`({ installed }) => (installed ? 'Slack ✓' : 'Connect Slack')`). Default: "Install <app>", then "Configure <app>". */
    children?: ReactNode | ((state: InstallButtonState) => ReactNode);
  };

/** `install`'s options (the other props are the button's); `tsc` fails when `InstallOptions` gains one this lacks. */
const INSTALL_OPTIONS: Record<Exclude<keyof InstallOptions, 'integrationId'>, true> = {
  callback: true,
  onClose: true,
  onError: true,
  title: true,
  theme: true,
  strings: true,
  hide: true,
  workflowIds: true,
  versionIds: true,
  preFilledValues: true,
  alwaysShowAuthentication: true,
  locale: true,
};

function split(props: InstallButtonProps) {
  const { integrationId, children, onClick, ...rest } = props;
  const install: Record<string, unknown> = {};
  const button: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) (key in INSTALL_OPTIONS ? install : button)[key] = value;
  return { integrationId, children, onClick, install: install as Omit<InstallOptions, 'integrationId'>, button: button as ButtonHTMLAttributes<HTMLButtonElement> };
}

/**
 * A button opening the install modal (`Alloy.install`) for an integration. Every install option
 * is a prop (`callback`, `onClose`, `onError`, `title`, `theme`, `strings`, `preFilledValues`,
 * `workflowIds`, `hide`…), every other prop goes to the `<button>`. Its `data-installed` and its
 * default label follow `useIntegrations`, so they change as soon as an install is done. An
 * `onClick` that calls `preventDefault()` keeps the modal shut; a misuse (no token) goes to `onError`.
 * @example <InstallButton integrationId="slack" callback={(r) => r.success && toast('Slack connected')} />
 */
export function InstallButton(props: InstallButtonProps): ReactElement {
  const { integrationId, children, onClick, install, button } = split(props);
  const { data } = useIntegrations();
  const [open, setOpen] = useState(false);
  // The options as of the last render: the modal reports long after the click.
  const latest = useRef(install);
  latest.current = install;
  const integration = data?.find((i) => i.integrationId === integrationId);
  const installed = Boolean(integration?.installed);

  const click = (event: MouseEvent<HTMLButtonElement>) => {
    onClick?.(event);
    if (event.defaultPrevented) return;
    const onError = (error: AlloyError | Error) => latest.current.onError?.(error);
    setOpen(true);
    try {
      alloy
        .install({
          ...latest.current,
          integrationId,
          callback: (result: InstallResult) => {
            setOpen(false);
            latest.current.callback?.(result);
          },
          onClose: () => {
            setOpen(false);
            latest.current.onClose?.();
          },
          onError,
        })
        // A later failure has gone to onError already.
        .catch(() => setOpen(false));
    } catch (error) {
      setOpen(false);
      if (!latest.current.onError) throw error;
      onError(error as Error);
    }
  };

  const words = install.strings;
  const label =
    typeof children === 'function'
      ? children({ integration, installed, open })
      : (children ?? `${installed ? (words?.configure ?? 'Configure') : (words?.install ?? 'Install')} ${integration?.app ?? integrationId}`);
  return (
    <button type="button" {...button} onClick={click} data-installed={installed} data-open={open || undefined}>
      {label}
    </button>
  );
}
