import { api } from '../api';
import { Heading } from '../components/Heading';
import { Link } from '../components/Link';
import { Pending, useLoad } from '../components/Load';
import { Pager } from '../components/Pager';
import { Status } from '../components/Status';
import { Table } from '../components/Table';
import { dateTime } from '../format';
import { href, route } from '../state';

/** The installations on one version of a workflow (who an upgrade, or a bug in that version, concerns). */
export function VersionPage({ workflowId, version }: { workflowId: string; version: number }) {
  const cursor = route.value.query.get('cursor') ?? '';
  const state = useLoad(() => api.versionInstallations(workflowId, version, cursor || undefined), [workflowId, version, cursor]);
  const page = state.data;
  const here = href(`/definitions/${encodeURIComponent(workflowId)}/versions/${version}`);
  return (
    <>
      <Heading title={`${workflowId}, version ${version}: installations`} />
      <p>
        <Link href={href('/definitions')}>All definitions</Link>
      </p>
      {!page ? (
        <Pending state={state} what="installations" />
      ) : page.data.length === 0 ? (
        <p>No installation is on this version.</p>
      ) : (
        <>
          <Table label={`Installations on version ${version}`}>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">State</th>
                <th scope="col">Installed</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((i) => (
                <tr key={i.installationId}>
                  <th scope="row">
                    <Link href={href(`/users/${encodeURIComponent(i.userId)}`)}>{i.username}</Link>
                  </th>
                  <td>
                    <Status value={i.active ? 'active' : 'inactive'} />
                  </td>
                  <td>{dateTime(i.installedAt)}</td>
                  <td>{dateTime(i.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pager first={here} next={page.nextCursor ? `${here}?cursor=${encodeURIComponent(page.nextCursor)}` : null} onFirstPage={!cursor} />
        </>
      )}
    </>
  );
}
