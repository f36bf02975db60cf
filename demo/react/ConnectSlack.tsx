/** @jsxImportSource react */
import { useState } from 'react';
import { message, type InstallResultCallback } from './alloy';

type Result = { kind: 'idle' } | { kind: 'open' } | { kind: 'done'; result: InstallResultCallback } | { kind: 'error'; message: string };

/** A button of AcmeCo's own calling `Alloy.install`; the callback's result lands in React state. */
export function ConnectSlack({ onInstalled }: { onInstalled(): void }) {
  const [state, setState] = useState<Result>({ kind: 'idle' });

  const connect = () => {
    setState({ kind: 'open' });
    window.Alloy.install({
      integrationId: 'slack',
      callback: (result) => {
        setState({ kind: 'done', result });
        if (result.success) onInstalled();
      },
    }).catch((err) => setState({ kind: 'error', message: message(err) }));
  };

  let text = '';
  if (state.kind === 'open') text = 'Connecting Slack…';
  else if (state.kind === 'error') text = `Could not open the Slack install: ${state.message}`;
  else if (state.kind === 'done')
    text = state.result.success
      ? `Slack connected: installation ${state.result.installationId} (${state.result.workflowIds?.join(', ')}).`
      : 'Slack was not connected: the window was closed first.';

  return (
    <div className="row connect">
      <button type="button" onClick={connect} disabled={state.kind === 'open'}>
        Connect Slack
      </button>
      <p
        className={`status ${state.kind === 'error' || (state.kind === 'done' && !state.result.success) ? 'error' : state.kind === 'done' ? 'ok' : ''}`}
        role="status"
        data-testid="install-result"
      >
        {text}
      </p>
    </div>
  );
}
