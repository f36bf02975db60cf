import { api } from '../api';
import { Heading } from '../components/Heading';
import { Link } from '../components/Link';
import { Pending, useLoad } from '../components/Load';
import { href, route } from '../state';

const OP_WORDS = { '+': 'added', '-': 'removed', ' ': 'unchanged' } as const;

/** The line diff between two versions of a workflow's definition (pretty JSON): + added, − removed. */
export function DiffPage({ workflowId }: { workflowId: string }) {
  const from = Number(route.value.query.get('from'));
  const to = Number(route.value.query.get('to'));
  const state = useLoad(() => api.diff(workflowId, from, to), [workflowId, from, to]);
  const diff = state.data;
  const added = diff?.lines.filter((l) => l.op === '+').length ?? 0;
  const removed = diff?.lines.filter((l) => l.op === '-').length ?? 0;
  return (
    <>
      <Heading title={`${workflowId}: version ${from} to ${to}`} />
      <p>
        <Link href={href('/definitions')}>All definitions</Link>
      </p>
      {!diff ? (
        <Pending state={state} what="the diff" />
      ) : (
        <>
          <p>
            {added === 0 && removed === 0 ? (
              'The two versions are the same.'
            ) : (
              <>
                <span class="diff-add-count">
                  {added} {added === 1 ? 'line' : 'lines'} added
                </span>
                ,{' '}
                <span class="diff-del-count">
                  {removed} {removed === 1 ? 'line' : 'lines'} removed
                </span>
                .
              </>
            )}
          </p>
          <pre class="diff" tabIndex={0} aria-label={`Diff of ${workflowId} from version ${diff.from} to ${diff.to}`}>
            {diff.lines.map((l, i) =>
              l.op === '+' ? (
                <ins key={i} class="diff-line diff-add" title={OP_WORDS['+']}>
                  {`+ ${l.text}\n`}
                </ins>
              ) : l.op === '-' ? (
                <del key={i} class="diff-line diff-del" title={OP_WORDS['-']}>
                  {`- ${l.text}\n`}
                </del>
              ) : (
                <span key={i} class="diff-line">{`  ${l.text}\n`}</span>
              ),
            )}
          </pre>
        </>
      )}
    </>
  );
}
