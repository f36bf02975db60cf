import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ConsoleError, type ExecutionDetail, type Step } from '../api';
import { Waterfall } from '../charts';
import { Heading } from '../components/Heading';
import { Json } from '../components/Json';
import { Link } from '../components/Link';
import { Pending, useLoad } from '../components/Load';
import { Status } from '../components/Status';
import { dateTime, duration } from '../format';
import { announce, href } from '../state';

const RUNNING = ['queued', 'running'];
/** How often an unfinished execution's page asks for news. */
const POLL_MS = 1000;

/** One execution: its trigger, each step's input, output and error, the attempts as a waterfall, and re-runs. */
export function ExecutionPage({ executionId }: { executionId: string }) {
  const state = useLoad(() => api.execution(executionId), [executionId]);
  const data = state.data;

  // Queued or running (just re-run): asked again until it finishes, and the finish is announced.
  const status = data?.status;
  const wasRunning = useRef(false);
  useEffect(() => {
    if (!status) return;
    if (!RUNNING.includes(status)) {
      if (wasRunning.current) announce(`The execution ${status}.`);
      wasRunning.current = false;
      return;
    }
    wasRunning.current = true;
    const timer = setTimeout(() => void state.reload(), POLL_MS);
    return () => clearTimeout(timer);
    // A failed poll (state.error) schedules the next one too.
  }, [data, state.error]);

  if (!data)
    return (
      <>
        <Heading title="Execution" />
        <Pending state={state} what="the execution" />
      </>
    );
  return (
    <>
      <Heading title={`Execution of ${data.workflowName}`} />
      <Facts data={data} />
      {data.error && (
        <section aria-labelledby="error-title" class="error-box">
          <h2 id="error-title">Error</h2>
          <p class="error-text">{data.error}</p>
        </section>
      )}
      <Rerun data={data} onQueued={() => void state.reload()} />
      <section aria-labelledby="trigger-title">
        <h2 id="trigger-title">Trigger</h2>
        <p>
          Event <code>{data.trigger.event}</code>
        </p>
        <Json label="Trigger data" value={data.trigger.data} open />
      </section>
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        {data.steps.length === 0 ? <p>No step has run yet.</p> : <Timeline steps={data.steps} />}
      </section>
      <section aria-labelledby="steps-title">
        <h2 id="steps-title">Steps</h2>
        {data.steps.length === 0 ? (
          <p>No step has run yet.</p>
        ) : (
          <ol class="steps">
            {data.steps.map((s) => (
              <StepItem key={`${s.blockId}:${s.attempt}`} step={s} />
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

function Facts({ data }: { data: ExecutionDetail }) {
  return (
    <dl class="facts">
      <div>
        <dt>Status</dt>
        <dd>
          <Status value={data.status} />
        </dd>
      </div>
      <div>
        <dt>Workflow</dt>
        <dd>
          <Link href={href('/executions', { workflowId: data.workflowId })}>{data.workflowName}</Link>
        </dd>
      </div>
      <div>
        <dt>User</dt>
        <dd>
          <Link href={href(`/users/${encodeURIComponent(data.userId)}`)}>{data.username}</Link>
        </dd>
      </div>
      <div>
        <dt>Attempts</dt>
        <dd>{data.attempts}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>{dateTime(data.createdAt)}</dd>
      </div>
      <div>
        <dt>Finished</dt>
        <dd>{dateTime(data.finishedAt)}</dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd>{duration(data.durationMs)}</dd>
      </div>
      <div>
        <dt>Execution id</dt>
        <dd>
          <code>{data.executionId}</code>
        </dd>
      </div>
    </dl>
  );
}

/**
 * Re-run from the start, or from the failed step where the engine can (the steps before it keep
 * their outputs: no second message). Then a link to the run it queued.
 */
function Rerun({ data, onQueued }: { data: ExecutionDetail; onQueued(): void }) {
  const [busy, setBusy] = useState(false);
  /** What the last re-run answered; `attempts` as they were before it, to tell the run it queued from the one before. */
  const [result, setResult] = useState<{ executionId: string; attempts: number } | { error: string } | undefined>();
  const message = useRef<HTMLParagraphElement>(null);
  if (!data.canRerun && !result) return null;
  const rerun = async (from: 'start' | 'failed') => {
    setBusy(true);
    try {
      const queued = await api.rerun(data.executionId, from);
      setResult({ executionId: queued.executionId, attempts: data.attempts });
      if (queued.executionId === data.executionId) onQueued();
    } catch (err) {
      setResult({ error: err instanceof ConsoleError ? err.message : String(err) });
    } finally {
      setBusy(false);
      // The outcome is said where the focus goes (the button may be gone while it runs).
      requestAnimationFrame(() => message.current?.focus());
    }
  };
  return (
    <section aria-labelledby="rerun-title" class="actions">
      <h2 id="rerun-title">Re-run</h2>
      {data.canRerun && (
        <div class="buttons">
          <button type="button" disabled={busy} onClick={() => void rerun('start')}>
            Re-run
          </button>
          {data.rerunFromFailed && (
            <button type="button" disabled={busy} onClick={() => void rerun('failed')}>
              Re-run from failed step
            </button>
          )}
        </div>
      )}
      {result && (
        <p ref={message} tabIndex={-1} role="status" class={'error' in result ? 'field-error' : 'note'}>
          {'error' in result ? (
            `Could not re-run: ${result.error}`
          ) : result.executionId === data.executionId ? (
            RUNNING.includes(data.status) || data.attempts === result.attempts ? (
              `Re-run queued: this execution runs again${RUNNING.includes(data.status) ? ` (now ${data.status})` : ''}.`
            ) : (
              `The re-run has finished: ${data.status}.`
            )
          ) : (
            <>
              Re-run queued: <Link href={href(`/executions/${encodeURIComponent(result.executionId)}`)}>open the new execution</Link>.
            </>
          )}
        </p>
      )}
    </section>
  );
}

function Timeline({ steps }: { steps: Step[] }) {
  const times = steps.map((s) => (s.startedAt ? Date.parse(s.startedAt) : NaN)).filter((t) => !Number.isNaN(t));
  const t0 = times.length ? Math.min(...times) : 0;
  const rows = steps.map((s) => {
    const start = s.startedAt ? Date.parse(s.startedAt) - t0 : 0;
    const took = s.durationMs ?? (s.startedAt && s.finishedAt ? Date.parse(s.finishedAt) - Date.parse(s.startedAt) : 0);
    return {
      label: `${s.name} · attempt ${s.attempt}`,
      detail: `${s.reused ? 'reused' : s.status} · ${duration(took)} · at +${duration(start)}`,
      startMs: start,
      durationMs: took,
      kind: s.reused ? 'reused' : s.error ? 'failed' : 'ok',
    };
  });
  return <Waterfall title="Steps and attempts over time" rows={rows} />;
}

function StepItem({ step }: { step: Step }) {
  const failed = Boolean(step.error);
  return (
    <li class={`step${failed ? ' step-failed' : ''}`}>
      <h3>
        {step.name} <span class="muted">({step.blockId})</span> · attempt {step.attempt} · <Status value={step.reused ? 'reused' : step.status} />
      </h3>
      <p class="muted">
        {step.reused ? `Its output was reused from attempt ${step.fromAttempt ?? 'before'}, without calling it again. ` : ''}
        Started {dateTime(step.startedAt)} · took {duration(step.durationMs)}
      </p>
      {step.error && (
        <p class="error-text">
          <strong>Error:</strong> {step.error}
        </p>
      )}
      <Json label={`Input of ${step.name}, attempt ${step.attempt}`} value={step.input} open={failed} />
      <Json label={`Output of ${step.name}, attempt ${step.attempt}`} value={step.output} />
    </li>
  );
}
