import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ConsoleError, type ErrorGroup } from '../api';
import { asWindow, FilterForm, Select, text, WINDOW_LABELS, windowOptions } from '../components/Filters';
import { Heading } from '../components/Heading';
import { Link } from '../components/Link';
import { Pager } from '../components/Pager';
import { Pending, useLoad } from '../components/Load';
import { Table } from '../components/Table';
import { workflowOptions } from '../components/workflows';
import { count, dateTime } from '../format';
import { href, navigate, route } from '../state';

/** Failures grouped by workflow, block and message, with counts and first and last seen; a group can be replayed. */
export function ErrorsPage() {
  const window = asWindow(route.value.query.get('window'), 'day');
  const workflowId = route.value.query.get('workflowId') ?? '';
  const cursor = route.value.query.get('cursor') ?? '';
  const state = useLoad(() => api.errors({ window, workflowId: workflowId || undefined, cursor: cursor || undefined }), [window, workflowId, cursor]);
  const [workflows, setWorkflows] = useState<Array<{ value: string; label: string }>>([]);
  useEffect(() => void workflowOptions().then(setWorkflows, () => {}), []);
  /** The group whose replay is being confirmed or was just done. */
  const [replaying, setReplaying] = useState<ErrorGroup | undefined>();
  /** The Replay button that opened the confirmation: the focus goes back to it after. */
  const opener = useRef<HTMLElement | null>(null);
  const groups = state.data?.data;
  const next = state.data?.nextCursor;

  return (
    <>
      <Heading title="Errors" />
      <FilterForm label="Error filters" onSubmit={(f) => navigate(href('/errors', { window: text(f, 'window'), workflowId: text(f, 'workflowId') }))}>
        <Select label="Window" name="window" value={window} options={windowOptions} />
        <Select label="Workflow" name="workflowId" value={workflowId} options={workflows} any="All workflows" />
      </FilterForm>
      {replaying && (
        <Replay
          key={replaying.groupId}
          group={replaying}
          onClose={() => {
            setReplaying(undefined);
            // Its row may be gone (replayed): then the page's heading.
            (opener.current?.isConnected ? opener.current : document.querySelector<HTMLElement>('main h1'))?.focus();
          }}
          onDone={() => void state.reload()}
        />
      )}
      {!groups ? (
        <Pending state={state} what="errors" />
      ) : groups.length === 0 ? (
        <p>No errors in the {WINDOW_LABELS[window].toLowerCase()}.</p>
      ) : (
        <Table label="Error groups">
          <thead>
            <tr>
              <th scope="col">Message</th>
              <th scope="col">Workflow</th>
              <th scope="col">Block</th>
              <th scope="col" class="num">
                Count
              </th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              // Keyed by what the group is: its groupId also names the window's start, new at each load.
              <tr key={`${g.workflowId}\n${g.blockId}\n${g.message}`}>
                <th scope="row" class="error-cell">
                  {g.message}
                </th>
                <td>
                  <Link href={href('/executions', { workflowId: g.workflowId, status: 'failed' })}>{g.workflowName}</Link>
                </td>
                <td>{g.blockId ? <code>{g.blockId}</code> : '—'}</td>
                <td class="num">{count(g.count)}</td>
                <td>{dateTime(g.firstSeen)}</td>
                <td>{dateTime(g.lastSeen)}</td>
                <td>
                  <button
                    type="button"
                    class="secondary"
                    onClick={(e) => {
                      opener.current = e.currentTarget;
                      setReplaying(g);
                    }}
                    aria-label={`Replay: ${g.workflowName}, ${g.message}`}
                  >
                    Replay
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {groups && groups.length > 0 && (
        <Pager first={href('/errors', { window, workflowId })} next={next ? href('/errors', { window, workflowId, cursor: next }) : null} onFirstPage={!cursor} />
      )}
    </>
  );
}

type Phase =
  | { step: 'counting' }
  | { step: 'confirm'; count: number }
  | { step: 'replaying'; count: number }
  | { step: 'done'; count: number; replayId?: string }
  | { step: 'error'; message: string };

/** A replay in two steps: how many failed executions it would queue again (a dry run), then, confirmed, the replay. */
function Replay({ group, onClose, onDone }: { group: ErrorGroup; onClose(): void; onDone(): void }) {
  const [phase, setPhase] = useState<Phase>({ step: 'counting' });
  const box = useRef<HTMLElement>(null);
  const fail = (err: unknown) => setPhase({ step: 'error', message: err instanceof ConsoleError ? err.message : String(err) });
  useEffect(() => {
    box.current?.focus();
    api.replay(group.groupId, true).then((r) => setPhase({ step: 'confirm', count: r.count }), fail);
  }, [group.groupId]);
  const confirm = async (n: number) => {
    setPhase({ step: 'replaying', count: n });
    try {
      const r = await api.replay(group.groupId, false);
      setPhase({ step: 'done', count: r.count, replayId: r.replayId });
      onDone();
    } catch (err) {
      fail(err);
    }
  };
  // Each new step takes the focus, so the keyboard is where the next choice is.
  useEffect(() => box.current?.focus(), [phase.step]);

  return (
    <section class="confirm" aria-labelledby="replay-title" tabIndex={-1} ref={box}>
      <h2 id="replay-title">Replay failed executions</h2>
      <p>
        <strong>{group.workflowName}</strong>
        {group.blockId ? (
          <>
            {' '}
            at block <code>{group.blockId}</code>
          </>
        ) : null}
        : {group.message}
      </p>
      <div role="status">
        {phase.step === 'counting' && <p>Counting the failed executions this would replay…</p>}
        {phase.step === 'confirm' && (
          <p>
            {phase.count === 0
              ? 'No failed execution of this group is left to replay.'
              : `${count(phase.count)} failed ${phase.count === 1 ? 'execution' : 'executions'} will be queued again, from the failed step where possible.`}
          </p>
        )}
        {phase.step === 'replaying' && <p>Queuing {count(phase.count)} executions…</p>}
        {phase.step === 'done' && (
          <p>
            Replay {phase.replayId ? <code>{phase.replayId}</code> : null} started: {count(phase.count)} {phase.count === 1 ? 'execution' : 'executions'} queued again.
          </p>
        )}
        {phase.step === 'error' && <p class="field-error">Could not replay: {phase.message}</p>}
      </div>
      <div class="buttons">
        {phase.step === 'confirm' && phase.count > 0 && (
          <button type="button" onClick={() => void confirm(phase.count)}>
            Replay {count(phase.count)} {phase.count === 1 ? 'execution' : 'executions'}
          </button>
        )}
        <button type="button" class="secondary" onClick={onClose}>
          {phase.step === 'done' || phase.step === 'error' ? 'Close' : 'Cancel'}
        </button>
      </div>
    </section>
  );
}
