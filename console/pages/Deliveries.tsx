import { useState } from 'preact/hooks';
import { api, ConsoleError, DELIVERY_STATUSES, type Delivery, type DeliveryStream } from '../api';
import { FilterForm, Select, text } from '../components/Filters';
import { Heading } from '../components/Heading';
import { Link } from '../components/Link';
import { Pending, useLoad } from '../components/Load';
import { Pager, pageSize } from '../components/Pager';
import { Status } from '../components/Status';
import { Table } from '../components/Table';
import { dateTime } from '../format';
import { announce, href, navigate, route } from '../state';

const STREAMS: Array<{ stream: DeliveryStream; name: string; setting: string }> = [
  { stream: 'errors', name: 'Error webhook', setting: 'ALLOY_ERROR_WEBHOOK_URL' },
  { stream: 'lifecycle', name: 'Lifecycle webhooks', setting: 'ALLOY_EVENTS_WEBHOOK_URL' },
];

/** What the server sent to the ISV: the error stream's deliveries and the lifecycle webhooks', each with its attempts, last answer and a redeliver. */
export function Deliveries() {
  const q = route.value.query;
  const stream: DeliveryStream = q.get('stream') === 'lifecycle' ? 'lifecycle' : 'errors';
  const status = q.get('status') ?? '';
  const cursor = q.get('cursor') ?? '';
  const limit = pageSize(q);
  const state = useLoad(() => api.deliveries({ stream, status: status || undefined, cursor: cursor || undefined, limit }), [stream, status, cursor, limit]);
  const page = state.data;
  const { name, setting } = STREAMS.find((s) => s.stream === stream)!;

  return (
    <>
      <Heading title="Deliveries" />
      <nav aria-label="Delivery streams" class="tabs">
        <ul>
          {STREAMS.map((s) => (
            <li key={s.stream}>
              <Link href={href('/deliveries', { stream: s.stream })} current={s.stream === stream ? 'page' : undefined}>
                {s.name}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <FilterForm label="Delivery filters" onSubmit={(f) => navigate(href('/deliveries', { stream, status: text(f, 'status') }))}>
        <Select label="Status" name="status" value={status} options={DELIVERY_STATUSES.map((s) => ({ value: s, label: s }))} any="Any status" />
      </FilterForm>
      <h2>{name}</h2>
      {page && !page.configured && (
        <p class="note">
          No endpoint is configured for this stream (<code>{setting}</code>): nothing new is sent.
        </p>
      )}
      {!page ? (
        <Pending state={state} what="deliveries" />
      ) : page.data.length === 0 ? (
        <p>No deliveries{status ? ` with status ${status}` : ''}.</p>
      ) : (
        <>
          <Table label={`${name} deliveries`}>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Last response</th>
                <th scope="col">Created</th>
                <th scope="col">Last attempt</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((d) => (
                <Row key={d.deliveryId} delivery={d} />
              ))}
            </tbody>
          </Table>
          <Pager
            first={href('/deliveries', { stream, status, limit })}
            next={page.nextCursor && href('/deliveries', { stream, status, limit, cursor: page.nextCursor })}
            onFirstPage={!cursor}
          />
        </>
      )}
    </>
  );
}

/**
 * A delivery; redelivered, it says so in place (pending, queued) rather than reloading the list,
 * where a status filter would make it vanish from under the pointer.
 */
function Row({ delivery: d }: { delivery: Delivery }) {
  const [state, setState] = useState<'idle' | 'busy' | 'queued' | string>('idle');
  const redeliver = async () => {
    setState('busy');
    try {
      await api.redeliver(d.deliveryId);
      setState('queued');
      announce(`Delivery of ${d.event} queued again.`);
    } catch (err) {
      const message = err instanceof ConsoleError ? err.message : String(err);
      setState(message);
      announce(`Could not redeliver: ${message}`);
    }
  };
  const word = state === 'busy' ? 'Redelivering…' : state === 'queued' ? 'Queued' : 'Redeliver';
  return (
    <tr>
      <th scope="row">
        {d.event}
        <div class="muted small">{d.url ?? 'endpoint no longer configured'}</div>
      </th>
      <td>
        {/* An error notice sent before outcomes were recorded: it went out, how it fared is not known. */}
        <Status value={state === 'queued' ? 'pending' : d.status === 'unknown' ? 'sent' : d.status} />
      </td>
      <td class="num">{d.attempts}</td>
      <td>
        {d.lastStatus === null ? (
          '—'
        ) : d.lastResponse ? (
          <details>
            <summary>HTTP {d.lastStatus}</summary>
            <pre class="small">{d.lastResponse}</pre>
          </details>
        ) : (
          `HTTP ${d.lastStatus}`
        )}
      </td>
      <td>{dateTime(d.createdAt)}</td>
      <td>
        {dateTime(d.lastAttemptAt)}
        {d.status === 'pending' && d.nextAttemptAt && <div class="muted small">next: {dateTime(d.nextAttemptAt)}</div>}
      </td>
      <td>
        <button type="button" class="secondary" disabled={state === 'busy'} onClick={() => void redeliver()} aria-label={`${word} ${d.event} of ${dateTime(d.createdAt)}`}>
          {word}
        </button>
        {!['idle', 'busy', 'queued'].includes(state) && <p class="field-error small">{state}</p>}
      </td>
    </tr>
  );
}
