import { useEffect, useState } from 'preact/hooks';
import { api, EXECUTION_STATUSES } from '../api';
import { ExecutionTable } from '../components/ExecutionTable';
import { FilterForm, Select, text } from '../components/Filters';
import { Heading } from '../components/Heading';
import { Pending, useLoad } from '../components/Load';
import { Pager, pageSize } from '../components/Pager';
import { workflowOptions } from '../components/workflows';
import { fromLocalInput, toLocalInput } from '../format';
import { announce, href, navigate, route } from '../state';

const FILTERS = ['workflowId', 'userId', 'status', 'from', 'to'] as const;

/** Executions, newest first, filtered by workflow, user, status and time: the filters are in the address, so a view can be shared. */
export function Executions() {
  const q = route.value.query;
  const filters = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const cursor = q.get('cursor') ?? '';
  const limit = pageSize(q);
  const key = JSON.stringify([filters, cursor, limit]);
  const state = useLoad(() => api.executions({ ...clean(filters), cursor: cursor || undefined, limit }), [key]);
  const [workflows, setWorkflows] = useState<Array<{ value: string; label: string }>>([]);
  useEffect(() => void workflowOptions().then(setWorkflows, () => {}), []);
  const page = state.data;
  useEffect(() => {
    if (page) announce(`${page.data.length}${page.nextCursor ? ' or more' : ''} executions`);
  }, [page]);

  return (
    <>
      <Heading title="Executions" />
      <FilterForm
        label="Execution filters"
        onSubmit={(f) =>
          navigate(
            href('/executions', {
              workflowId: text(f, 'workflowId'),
              userId: text(f, 'userId'),
              status: text(f, 'status'),
              from: fromLocalInput(text(f, 'from')),
              to: fromLocalInput(text(f, 'to')),
            }),
          )
        }
      >
        <Select label="Workflow" name="workflowId" value={filters.workflowId} options={workflows} any="All workflows" />
        <div class="field">
          <label for="f-userId">User id or username</label>
          <input id="f-userId" name="userId" defaultValue={filters.userId} autocomplete="off" />
        </div>
        <Select label="Status" name="status" value={filters.status} options={EXECUTION_STATUSES.map((s) => ({ value: s, label: s }))} any="Any status" />
        <div class="field">
          <label for="f-from">From</label>
          <input id="f-from" name="from" type="datetime-local" defaultValue={toLocalInput(filters.from)} />
        </div>
        <div class="field">
          <label for="f-to">To</label>
          <input id="f-to" name="to" type="datetime-local" defaultValue={toLocalInput(filters.to)} />
        </div>
      </FilterForm>
      {!page ? (
        <Pending state={state} what="executions" />
      ) : page.data.length === 0 ? (
        <p>No executions match these filters.</p>
      ) : (
        <>
          <ExecutionTable label="Executions" rows={page.data} />
          <Pager
            first={href('/executions', { ...filters, limit })}
            next={page.nextCursor && href('/executions', { ...filters, limit, cursor: page.nextCursor })}
            onFirstPage={!cursor}
          />
        </>
      )}
      {page && state.error && (
        <p class="alert" role="alert">
          Could not load executions: {state.error.message}
        </p>
      )}
    </>
  );
}

const clean = (filters: Record<string, string>) => Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== '')) as Record<string, string>;
