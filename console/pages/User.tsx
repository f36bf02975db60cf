import { api } from '../api';
import { ExecutionTable } from '../components/ExecutionTable';
import { Heading } from '../components/Heading';
import { Link } from '../components/Link';
import { Pending, useLoad } from '../components/Load';
import { Status } from '../components/Status';
import { Table } from '../components/Table';
import { dateTime } from '../format';
import { href } from '../state';

/** One user: their installations with the state of the account each uses, and their latest executions. */
export function UserPage({ userId }: { userId: string }) {
  const state = useLoad(() => api.user(userId), [userId]);
  const data = state.data;
  if (!data)
    return (
      <>
        <Heading title={`User ${userId}`} />
        <Pending state={state} what="the user" />
      </>
    );
  const { user, installations, executions } = data;
  return (
    <>
      <Heading title={`User ${user.username}`} />
      <dl class="facts">
        <div>
          <dt>User id</dt>
          <dd>
            <code>{user.userId}</code>
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{dateTime(user.createdAt)}</dd>
        </div>
      </dl>
      <section aria-labelledby="installations-title">
        <h2 id="installations-title">Installations</h2>
        {installations.length === 0 ? (
          <p>No installations.</p>
        ) : (
          <Table label="Installations">
            <thead>
              <tr>
                <th scope="col">Workflow</th>
                <th scope="col">Integration</th>
                <th scope="col" class="num">
                  Version
                </th>
                <th scope="col">State</th>
                <th scope="col">Account</th>
                <th scope="col">Connection</th>
              </tr>
            </thead>
            <tbody>
              {installations.map((i) => (
                <tr key={i.installationId}>
                  <th scope="row">
                    <Link href={href('/executions', { workflowId: i.workflowId, userId: user.userId })}>{i.workflowName}</Link>
                  </th>
                  <td>{i.integrationId}</td>
                  <td class="num">{i.version}</td>
                  <td>
                    <Status value={i.active ? 'active' : 'inactive'} />
                  </td>
                  <td>{i.connection ? `${i.connection.app}${i.connection.displayName ? `: ${i.connection.displayName}` : ''}` : 'none needed'}</td>
                  <td>
                    {i.connection ? (
                      <>
                        <Status value={i.connection.status} />
                        {i.connection.lastError && <span class="error-cell"> {i.connection.lastError}</span>}
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </section>
      <section aria-labelledby="executions-title">
        <h2 id="executions-title">Recent executions</h2>
        {executions.length === 0 ? (
          <p>No executions.</p>
        ) : (
          <>
            <ExecutionTable label={`Recent executions of ${user.username}`} rows={executions} showUser={false} />
            <p>
              <Link href={href('/executions', { userId: user.userId })}>All executions of {user.username}</Link>
            </p>
          </>
        )}
      </section>
    </>
  );
}
