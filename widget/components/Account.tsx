import type { ComponentChildren } from 'preact';
import type { Connection } from '../state/install';
import type { Strings } from '../strings';

/** An account as the user knows it: the name the app told when it was connected, else the app's name and the start of its id. */
export const accountName = (account: Connection, app: string) => account.displayName ?? `${app} ${account.credentialId.slice(0, 6)}`;

/**
 * One account of the user's, in a row with what can be done with it (`children`): its name, and
 * what is wrong with it (the app refused it, or it was deleted) with the last error and when.
 * A group named after the account, so that its buttons ("Use this account") say whose they are.
 */
export function Account({ account, app, strings, children }: { account: Connection; app: string; strings: Strings; children?: ComponentChildren }) {
  const name = accountName(account, app);
  const problem = account.status === 'needs_reconnect' ? strings.reconnect : account.status === 'deleted' && strings.accountDeleted;
  return (
    <div class="row" role="group" aria-label={name}>
      {name}
      {problem && <span class="badge up">{problem}</span>}
      {account.lastError && (
        <span class="hint">
          {account.lastError} {account.lastErrorAt && new Date(account.lastErrorAt).toLocaleString()}
        </span>
      )}
      {children}
    </div>
  );
}
