import type { ExecutionSummary } from '../api';
import { duration, dateTime } from '../format';
import { href } from '../state';
import { Link } from './Link';
import { Status } from './Status';
import { Table } from './Table';

/** Executions as rows, each linking to its page (the executions list and a user's page share it). */
export function ExecutionTable({ label, rows, showUser = true }: { label: string; rows: ExecutionSummary[]; showUser?: boolean }) {
  return (
    <Table label={label}>
      <thead>
        <tr>
          <th scope="col">Created</th>
          <th scope="col">Workflow</th>
          {showUser && <th scope="col">User</th>}
          <th scope="col">Status</th>
          <th scope="col" class="num">
            Attempts
          </th>
          <th scope="col" class="num">
            Duration
          </th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((e) => (
          <tr key={e.executionId}>
            <th scope="row">
              <Link href={href(`/executions/${encodeURIComponent(e.executionId)}`)} aria-label={`${dateTime(e.createdAt)}: ${e.workflowName}, ${e.status}`}>
                {dateTime(e.createdAt)}
              </Link>
            </th>
            <td class="name-cell">{e.workflowName}</td>
            {showUser && (
              <td>
                <Link href={href(`/users/${encodeURIComponent(e.userId)}`)}>{e.username}</Link>
              </td>
            )}
            <td>
              <Status value={e.status} />
            </td>
            <td class="num">{e.attempts}</td>
            <td class="num">{duration(e.durationMs)}</td>
            <td class={e.error ? 'error-cell' : undefined}>{e.error ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
