// @vitest-environment happy-dom
import { render } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import { Chart, Waterfall } from '../../console/charts';
import { duration, percent } from '../../console/format';

describe('the console’s charts', () => {
  const labels = ['10:00', '10:01', '10:02', '10:03', '10:04'];

  it('a line chart: an image named by its title and described in words, a line per run of values (a bucket without one is a gap), and the data as a table', () => {
    const { container, getByRole } = render(
      <Chart
        title="Duration, p50 and p99"
        kind="line"
        labels={labels}
        series={[
          { name: 'p50', values: [100, 120, null, 90, 80] },
          { name: 'p99', values: [400, 500, null, null, 300], dashed: true },
        ]}
        format={duration}
        description="Half the executions took 100 ms or less."
        beside={<p>p50 100 ms</p>}
      />,
    );
    const svg = getByRole('img');
    const named = svg
      .getAttribute('aria-labelledby')!
      .split(' ')
      .map((id) => container.querySelector(`[id="${id}"]`)!.textContent);
    expect(named).toEqual(['Duration, p50 and p99', 'Half the executions took 100 ms or less.']);
    const [p50, p99] = [...container.querySelectorAll('svg.chart-plot g.chart-series')];
    expect(p50!.querySelectorAll('polyline')).toHaveLength(2);
    expect(p50!.querySelectorAll('polyline')[0]!.getAttribute('points')!.split(' ')).toHaveLength(2);
    // A lone value is a dot: a line needs two.
    expect(p99!.querySelectorAll('polyline')).toHaveLength(2);
    expect(p99!.querySelectorAll('circle')).toHaveLength(1);
    expect(p99!.getAttribute('class')).toContain('dashed');
    // Only the buckets with values are listed, each with both series.
    const rows = [...container.querySelectorAll('.chart-data tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent));
    expect(rows).toEqual([
      ['10:00', '100 ms', '400 ms'],
      ['10:01', '120 ms', '500 ms'],
      ['10:03', '90 ms', '—'],
      ['10:04', '80 ms', '300 ms'],
    ]);
    expect(container.querySelector('.chart-beside')!.textContent).toBe('p50 100 ms');
  });

  it('a bar chart of counts: one bar per non-empty bucket, as tall as its share of the axis, whose top is even', () => {
    const { container } = render(
      <Chart
        title="Executions per minute"
        kind="bar"
        integer
        labels={labels}
        series={[{ name: 'Executions', values: [0, 3, 0, 1, 0] }]}
        format={String}
        description="4 executions."
        beside="4"
      />,
    );
    const bars = [...container.querySelectorAll('svg.chart-plot rect')].map((r) => Number(r.getAttribute('height')));
    expect(bars).toHaveLength(2);
    expect(bars[0]! / bars[1]!).toBeCloseTo(3);
    // Axis 0, 2, 4: its middle line is a whole number of executions.
    expect([...container.querySelectorAll('.chart-grid text')].map((t) => t.textContent)).toEqual(['0', '2', '4']);
    expect(container.querySelector('.chart-data summary')!.textContent).toContain('2 buckets with values');
  });

  it('an empty window says so instead of an empty table', () => {
    const { container } = render(
      <Chart title="Errors per minute" kind="bar" labels={labels} series={[{ name: 'Failed', values: [0, 0, 0, 0, 0] }]} format={String} description="None." beside="0" />,
    );
    expect(container.querySelector('.chart-data table')).toBeNull();
    expect(container.querySelector('.chart-data p')!.textContent).toBe('Nothing in this window.');
  });

  it('the waterfall: each step and attempt in words, its bar placed on one time axis', () => {
    const { container } = render(
      <Waterfall
        title="Steps and attempts over time"
        rows={[
          { label: 'Look up · attempt 1', detail: 'succeeded · 200 ms', startMs: 0, durationMs: 200, kind: 'ok' },
          { label: 'Send · attempt 1', detail: 'failed · 800 ms', startMs: 200, durationMs: 800, kind: 'failed' },
        ]}
      />,
    );
    expect([...container.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['Look up · attempt 1succeeded · 200 ms', 'Send · attempt 1failed · 800 ms']);
    const rects = [...container.querySelectorAll('rect')].map((r) => [Number(r.getAttribute('x')), Number(r.getAttribute('width'))]);
    expect(rects).toEqual([
      [0, 200],
      [200, 800],
    ]);
    expect(container.querySelector('svg')!.getAttribute('aria-hidden')).toBe('true');
  });

  it('writes durations and rates the same way everywhere', () => {
    expect([duration(null), duration(12.4), duration(1530), duration(125_000)]).toEqual(['—', '12 ms', '1.5 s', '2.1 min']);
    expect([percent(null), percent(1), percent(0.9876)]).toEqual(['—', '100.0%', '98.8%']);
  });
});
