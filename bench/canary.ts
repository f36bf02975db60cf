/**
 * The machine's speed over time: the same fixed piece of JavaScript (building, serialising and
 * parsing small objects, as a worker does) every 250 ms, in a process of its own, printing its CPU
 * time. On an idle machine its cost moved from 3.5 to 5.7 ms within a minute: the host's other
 * tenants, not our code. `startCanary` (bench/process.ts) reads it.
 */
const PERIOD_MS = 250;

function work(): number {
  let sum = 0;
  for (let i = 0; i < 1500; i++) {
    const text = JSON.stringify({ id: `ex_${i}`, user: `u${i % 17}`, data: { order: i, items: [1, 2, 3, i], note: 'x'.repeat(i % 40) } });
    const parsed = JSON.parse(text) as { data: Record<string, unknown> };
    sum += text.length + new Map(Object.entries(parsed.data)).size;
  }
  return sum;
}

// Compiled and optimised before the first sample.
for (let i = 0; i < 50; i++) work();
console.log('canary ready');
setInterval(() => {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  console.log(`${Date.now()} ${((used.user + used.system) / 1000).toFixed(3)}`);
}, PERIOD_MS);
