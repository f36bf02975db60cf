import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { Table } from './components/Table';

// Small charts drawn by hand in SVG (a charting library would outweigh the whole console). Each is
// a figure: its title, the numbers that matter beside it, the plot (an image named by the title,
// described in words), and the data as a table for whoever cannot see the plot.

export interface Series {
  name: string;
  values: Array<number | null>;
  /** The line's look besides its colour: solid or dashed (colour is never the only difference). */
  dashed?: boolean;
}

interface Props {
  title: string;
  /** The numbers beside the chart (the window's totals). */
  beside: ComponentChildren;
  /** One per bucket, shown on the axis and in the table. */
  labels: string[];
  series: Series[];
  kind: 'bar' | 'line';
  format(value: number): string;
  /** The axis's top; the data's largest value (at least 1) when left out. */
  max?: number;
  /** Counts: the axis's top is rounded up to an even number, so its middle line is a whole one too. */
  integer?: boolean;
  /** One sentence for screen readers: what the plot shows at a glance. */
  description: string;
}

const W = 600;
const H = 170;
const PAD = { left: 56, right: 8, top: 10, bottom: 24 };
const plotW = W - PAD.left - PAD.right;
const plotH = H - PAD.top - PAD.bottom;

export function Chart({ title, beside, labels, series, kind, format, max, integer, description }: Props) {
  const id = useId();
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const largest = Math.max(1, ...values);
  const top = max ?? (integer ? Math.ceil(largest / 2) * 2 : largest);
  const n = Math.max(labels.length, 1);
  const x = (i: number) => PAD.left + (plotW * (i + 0.5)) / n;
  const y = (v: number) => PAD.top + plotH - (plotH * Math.min(v, top)) / top;
  const slot = plotW / n;
  const shown = labels.map((label, i) => ({ label, i })).filter(({ i }) => series.some((s) => s.values[i] !== null && s.values[i] !== 0));

  return (
    <figure class="chart" aria-labelledby={`${id}-title`}>
      <div class="chart-head">
        <h3 id={`${id}-title`}>{title}</h3>
        <div class="chart-beside">{beside}</div>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-svg-title ${id}-desc`} class="chart-plot">
        <title id={`${id}-svg-title`}>{title}</title>
        <desc id={`${id}-desc`}>{description}</desc>
        {[0, 0.5, 1].map((f) => (
          <g key={f} class="chart-grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text x={PAD.left - 6} y={y(top * f) + 4} text-anchor="end">
              {format(top * f)}
            </text>
          </g>
        ))}
        {labels.length > 0 && (
          <g class="chart-axis">
            <text x={PAD.left} y={H - 6} text-anchor="start">
              {labels[0]}
            </text>
            <text x={W - PAD.right} y={H - 6} text-anchor="end">
              {labels[labels.length - 1]}
            </text>
          </g>
        )}
        {series.map((s, k) =>
          kind === 'bar' ? (
            <g key={s.name} class={`chart-series chart-series-${k}`}>
              {s.values.map((v, i) => (v ? <rect key={i} x={x(i) - (slot * 0.8) / 2} width={Math.max(slot * 0.8, 1)} y={y(v)} height={PAD.top + plotH - y(v)} /> : null))}
            </g>
          ) : (
            <g key={s.name} class={`chart-series chart-series-${k}${s.dashed ? ' dashed' : ''}`}>
              {segments(s.values).map((seg, j) => (
                <polyline key={j} points={seg.map(([i, v]) => `${x(i)},${y(v)}`).join(' ')} />
              ))}
              {segments(s.values)
                .filter((seg) => seg.length === 1)
                .map(([[i, v]]) => (
                  <circle key={i} cx={x(i!)} cy={y(v!)} r={2.5} />
                ))}
            </g>
          ),
        )}
      </svg>
      {series.length > 1 && (
        <ul class="chart-legend" aria-hidden="true">
          {series.map((s, k) => (
            <li key={s.name}>
              <svg width="24" height="10" class={`chart-series chart-series-${k}${s.dashed ? ' dashed' : ''}`}>
                <polyline points="0,5 24,5" />
              </svg>
              {s.name}
            </li>
          ))}
        </ul>
      )}
      <details class="chart-data">
        <summary>
          {title}: the data ({shown.length} {shown.length === 1 ? 'bucket' : 'buckets'} with values)
        </summary>
        {shown.length === 0 ? (
          <p>Nothing in this window.</p>
        ) : (
          <Table label={`${title} by time`}>
            <thead>
              <tr>
                <th scope="col">Time</th>
                {series.map((s) => (
                  <th scope="col" key={s.name}>
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map(({ label, i }) => (
                <tr key={i}>
                  <th scope="row">{label}</th>
                  {series.map((s) => (
                    <td key={s.name}>{s.values[i] === null ? '—' : format(s.values[i]!)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </details>
    </figure>
  );
}

/** The runs of consecutive values, without the gaps (a bucket with nothing finished has no duration). */
function segments(values: Array<number | null>): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  let run: Array<[number, number]> = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (run.length) out.push(run);
      run = [];
    } else run.push([i, v]);
  });
  if (run.length) out.push(run);
  return out;
}

/** A horizontal bar per row (the execution page's waterfall): where each starts and how long it took, on one time axis. */
export function Waterfall({ title, rows }: { title: string; rows: Array<{ label: string; detail: string; startMs: number; durationMs: number; kind: string }> }) {
  const id = useId();
  const end = Math.max(1, ...rows.map((r) => r.startMs + r.durationMs));
  const rowH = 22;
  return (
    <figure class="waterfall" aria-labelledby={`${id}-t`}>
      <figcaption id={`${id}-t`}>{title}</figcaption>
      <ol class="waterfall-rows">
        {rows.map((r, i) => (
          <li key={i}>
            <span class="waterfall-label">{r.label}</span>
            <svg viewBox={`0 0 1000 ${rowH}`} preserveAspectRatio="none" class="waterfall-track" aria-hidden="true">
              <rect x={(1000 * r.startMs) / end} width={Math.max((1000 * r.durationMs) / end, 6)} y={4} height={rowH - 8} class={`waterfall-bar waterfall-${r.kind}`} />
            </svg>
            <span class="waterfall-detail">{r.detail}</span>
          </li>
        ))}
      </ol>
    </figure>
  );
}
