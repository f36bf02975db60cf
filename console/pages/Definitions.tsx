import { api, type Definition } from '../api';
import { Heading } from '../components/Heading';
import { Link } from '../components/Link';
import { Pending, useLoad } from '../components/Load';
import { Table } from '../components/Table';
import { count, dateTime } from '../format';
import { href, navigate } from '../state';

/** Integrations, their workflows and each workflow's versions with how many installations are on it; two versions can be compared. */
export function Definitions() {
  const state = useLoad(() => api.definitions(), []);
  const list = state.data?.data;
  return (
    <>
      <Heading title="Definitions" />
      {!list ? (
        <Pending state={state} what="definitions" />
      ) : list.length === 0 ? (
        <p>No integrations are defined.</p>
      ) : (
        list.map((i) => <Integration key={i.integrationId} integration={i} />)
      )}
    </>
  );
}

function Integration({ integration }: { integration: Definition }) {
  const titleId = `integration-${integration.integrationId}`;
  return (
    <section aria-labelledby={titleId} class="definition">
      <h2 id={titleId}>
        {integration.app} <span class="muted">({integration.integrationId})</span>
      </h2>
      {integration.workflows.map((w) => {
        const versions = [...w.versions].sort((a, b) => b.version - a.version);
        return (
          <div key={w.workflowId} class="workflow">
            <h3>{w.name}</h3>
            <Table label={`Versions of ${w.name}`}>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Released</th>
                  <th scope="col" class="num">
                    Installations
                  </th>
                </tr>
              </thead>
              <tbody>
                {versions.map((v) => (
                  <tr key={v.version}>
                    <th scope="row">
                      {v.version}
                      {v.version === w.currentVersion && <span class="muted"> (current)</span>}
                    </th>
                    <td>{dateTime(v.releasedAt)}</td>
                    <td class="num">
                      {v.installations > 0 ? (
                        <Link
                          href={href(`/definitions/${encodeURIComponent(w.workflowId)}/versions/${v.version}`)}
                          aria-label={`${count(v.installations)} ${v.installations === 1 ? 'installation' : 'installations'} on version ${v.version}`}
                        >
                          {count(v.installations)}
                        </Link>
                      ) : (
                        '0'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
            {versions.length < 2 ? (
              <p class="muted">One version: nothing to compare.</p>
            ) : (
              <form
                class="filters"
                aria-label={`Compare versions of ${w.name}`}
                onSubmit={(e) => {
                  e.preventDefault();
                  const f = new FormData(e.currentTarget as HTMLFormElement);
                  navigate(href(`/definitions/${encodeURIComponent(w.workflowId)}/diff`, { from: String(f.get('from')), to: String(f.get('to')) }));
                }}
              >
                <div class="field">
                  <label for={`from-${w.workflowId}`}>From</label>
                  <select id={`from-${w.workflowId}`} name="from">
                    {versions.map((v, k) => (
                      <option key={v.version} value={v.version} selected={k === 1}>
                        Version {v.version}
                      </option>
                    ))}
                  </select>
                </div>
                <div class="field">
                  <label for={`to-${w.workflowId}`}>To</label>
                  <select id={`to-${w.workflowId}`} name="to">
                    {versions.map((v) => (
                      <option key={v.version} value={v.version}>
                        Version {v.version}
                      </option>
                    ))}
                  </select>
                </div>
                <button type="submit">Compare</button>
              </form>
            )}
          </div>
        );
      })}
    </section>
  );
}
