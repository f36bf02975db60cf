import { useEffect, useState } from 'preact/hooks';
import { api, type Overview as Data } from '../api';
import { Chart } from '../charts';
import { asWindow, FilterForm, Select, text, WINDOW_LABELS, windowOptions } from '../components/Filters';
import { Heading } from '../components/Heading';
import { Link } from '../components/Link';
import { Pending, useLoad } from '../components/Load';
import { Table } from '../components/Table';
import { workflowOptions } from '../components/workflows';
import { bucketLabel, count, duration, percent } from '../format';
import { href, navigate, route } from '../state';

const per = (seconds: number) => (seconds === 60 ? 'minute' : seconds === 3600 ? 'hour' : `${seconds / 60} minutes`);

/** Executions, success rate, durations and errors over the last hour, day or week: overall or for one workflow, and per workflow. */
export function Overview() {
  const window = asWindow(route.value.query.get('window'));
  const workflowId = route.value.query.get('workflowId') ?? '';
  const state = useLoad(() => api.overview(window, workflowId || undefined), [window, workflowId]);
  const [workflows, setWorkflows] = useState<Array<{ value: string; label: string }>>([]);
  useEffect(() => void workflowOptions().then(setWorkflows, () => {}), []);
  const data = state.data;

  return (
    <>
      <Heading title="Overview" />
      <FilterForm label="Overview filters" onSubmit={(f) => navigate(href('', { window: text(f, 'window'), workflowId: text(f, 'workflowId') }))}>
        <Select label="Window" name="window" value={window} options={windowOptions} />
        <Select label="Workflow" name="workflowId" value={workflowId} options={workflows} any="All workflows" />
      </FilterForm>
      {!data ? <Pending state={state} what="the overview" /> : <Figures data={data} workflowId={workflowId} />}
    </>
  );
}

function Figures({ data, workflowId }: { data: Data; workflowId: string }) {
  const { totals, series, bucketSeconds } = data;
  const labels = series.map((b) => bucketLabel(b.t, bucketSeconds));
  const windowName = WINDOW_LABELS[data.window].toLowerCase();
  const rate = series.map((b) => (b.succeeded + b.failed > 0 ? b.succeeded / (b.succeeded + b.failed) : null));
  const busiest = Math.max(0, ...series.map((b) => b.executions));
  return (
    <>
      <section aria-labelledby="totals-title">
        <h2 id="totals-title">
          {WINDOW_LABELS[data.window]}
          {workflowId ? `: ${data.byWorkflow.find((w) => w.workflowId === workflowId)?.name ?? workflowId}` : ', all workflows'}
        </h2>
        <dl class="stats">
          <div>
            <dt>Executions</dt>
            <dd>{count(totals.executions)}</dd>
          </div>
          <div>
            <dt>Success rate</dt>
            <dd>{percent(totals.successRate)}</dd>
          </div>
          <div>
            <dt>p50 duration</dt>
            <dd>{duration(totals.p50Ms)}</dd>
          </div>
          <div>
            <dt>p99 duration</dt>
            <dd>{duration(totals.p99Ms)}</dd>
          </div>
          <div>
            <dt>Errors</dt>
            <dd>{count(totals.errors)}</dd>
          </div>
        </dl>
      </section>
      <section aria-labelledby="charts-title">
        <h2 id="charts-title" class="visually-hidden">
          Charts
        </h2>
        <div class="charts">
          <Chart
            title={`Executions per ${per(bucketSeconds)}`}
            kind="bar"
            integer
            labels={labels}
            series={[{ name: 'Executions', values: series.map((b) => b.executions) }]}
            format={(v) => count(Math.round(v))}
            description={`${count(totals.executions)} executions in the ${windowName}; at most ${count(busiest)} in one ${per(bucketSeconds)}.`}
            beside={
              <p>
                <strong>{count(totals.executions)}</strong> in total
              </p>
            }
          />
          <Chart
            title="Success rate"
            kind="line"
            max={1}
            labels={labels}
            series={[{ name: 'Success rate', values: rate }]}
            format={(v) => percent(v)}
            description={`${percent(totals.successRate)} of the finished executions in the ${windowName} succeeded.`}
            beside={
              <p>
                <strong>{percent(totals.successRate)}</strong> overall
              </p>
            }
          />
          <Chart
            title="Duration, p50 and p99"
            kind="line"
            labels={labels}
            series={[
              { name: 'p50', values: series.map((b) => b.p50Ms) },
              { name: 'p99', values: series.map((b) => b.p99Ms), dashed: true },
            ]}
            format={duration}
            description={`Half the executions took ${duration(totals.p50Ms)} or less; 99 in 100 took ${duration(totals.p99Ms)} or less.`}
            beside={
              <p>
                p50 <strong>{duration(totals.p50Ms)}</strong> · p99 <strong>{duration(totals.p99Ms)}</strong>
              </p>
            }
          />
          <Chart
            title={`Errors per ${per(bucketSeconds)}`}
            kind="bar"
            integer
            labels={labels}
            series={[{ name: 'Failed executions', values: series.map((b) => b.failed) }]}
            format={(v) => count(Math.round(v))}
            description={`${count(totals.errors)} executions failed in the ${windowName}.`}
            beside={
              <p>
                <strong>{count(totals.errors)}</strong> in total
              </p>
            }
          />
        </div>
      </section>
      <section aria-labelledby="by-workflow-title">
        <h2 id="by-workflow-title">By workflow</h2>
        {data.byWorkflow.length === 0 ? (
          <p>No executions in the {windowName}.</p>
        ) : (
          <Table label="Executions by workflow">
            <thead>
              <tr>
                <th scope="col">Workflow</th>
                <th scope="col" class="num">
                  Executions
                </th>
                <th scope="col" class="num">
                  Success rate
                </th>
                <th scope="col" class="num">
                  p50
                </th>
                <th scope="col" class="num">
                  p99
                </th>
                <th scope="col" class="num">
                  Errors
                </th>
              </tr>
            </thead>
            <tbody>
              {data.byWorkflow.map((w) => (
                <tr key={w.workflowId}>
                  <th scope="row">
                    <Link href={href('/executions', { workflowId: w.workflowId })}>{w.name}</Link>
                  </th>
                  <td class="num">{count(w.executions)}</td>
                  <td class="num">{percent(w.successRate)}</td>
                  <td class="num">{duration(w.p50Ms)}</td>
                  <td class="num">{duration(w.p99Ms)}</td>
                  <td class="num">
                    {w.errors > 0 ? (
                      <Link href={href('/errors', { workflowId: w.workflowId, window: data.window })} aria-label={`${count(w.errors)} errors of ${w.name}`}>
                        {count(w.errors)}
                      </Link>
                    ) : (
                      '0'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </section>
    </>
  );
}
