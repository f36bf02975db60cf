import { api } from '../api';

let cached: Promise<Array<{ value: string; label: string }>> | undefined;

/** Every workflow of the definitions, for the filters' workflow choice: loaded once per page load (definitions change only with a release). */
export function workflowOptions(): Promise<Array<{ value: string; label: string }>> {
  cached ??= api.definitions().then(
    (d) => d.data.flatMap((i) => i.workflows.map((w) => ({ value: w.workflowId, label: `${w.name} (${i.app})` }))),
    (err) => {
      cached = undefined;
      throw err;
    },
  );
  return cached;
}
