/**
 * A fixed CPU quota for a process, so that scale-out can be measured below the machine's size:
 * each worker process in a control group of its own, allowed `cores` of CPU time per period
 * (0.4 core: 40 ms of every 100 ms). cgroup v1's `cpu` controller (`cpu.cfs_quota_us` over
 * `cpu.cfs_period_us`) or cgroup v2's `cpu.max`. Needs root; without it, or without either
 * controller, `cpuGroup` says why.
 */
import fs from 'node:fs';
import path from 'node:path';

const PERIOD_US = 100_000;
const V1_ROOT = '/sys/fs/cgroup/cpu';
const V2_ROOT = '/sys/fs/cgroup';

export interface CpuGroup {
  /** How the quota was set, for the report: `cpu.cfs_quota_us 40000 / cpu.cfs_period_us 100000 (cgroup v1)`. */
  readonly setting: string;
  /** Moves a process (all its threads) into the group. */
  add(pid: number): void;
  /** Times the group's processes were held back at the quota, and for how long in all (ms), so far. */
  throttled(): { periods: number; ms: number };
  /** Moves what is left back to the root group and removes the group. */
  remove(): void;
}

function write(file: string, value: string): void {
  fs.writeFileSync(file, value);
}

/** A CPU group named `name` allowed `cores` of CPU, or the reason there can be none here. */
export function cpuGroup(name: string, cores: number): CpuGroup | { unavailable: string } {
  const quota = Math.round(cores * PERIOD_US);
  try {
    if (fs.existsSync(path.join(V1_ROOT, 'cpu.cfs_quota_us'))) {
      const dir = path.join(V1_ROOT, `alloy-bench-${name}`);
      fs.mkdirSync(dir, { recursive: true });
      write(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      write(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
      return group(dir, V1_ROOT, `cpu.cfs_quota_us ${quota} / cpu.cfs_period_us ${PERIOD_US} (cgroup v1)`, (stat) => ({
        periods: stat.get('nr_throttled') ?? 0,
        ms: (stat.get('throttled_time') ?? 0) / 1e6,
      }));
    }
    if (fs.existsSync(path.join(V2_ROOT, 'cgroup.controllers'))) {
      const dir = path.join(V2_ROOT, `alloy-bench-${name}`);
      fs.mkdirSync(dir, { recursive: true });
      write(path.join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
      return group(dir, V2_ROOT, `cpu.max "${quota} ${PERIOD_US}" (cgroup v2)`, (stat) => ({
        periods: stat.get('nr_throttled') ?? 0,
        ms: (stat.get('throttled_usec') ?? 0) / 1e3,
      }));
    }
    return { unavailable: 'no cgroup cpu controller at /sys/fs/cgroup/cpu (v1) or /sys/fs/cgroup (v2)' };
  } catch (err) {
    return { unavailable: `cannot make a cgroup (${(err as Error).message}); run as root` };
  }
}

function group(dir: string, root: string, setting: string, throttling: (stat: Map<string, number>) => { periods: number; ms: number }): CpuGroup {
  return {
    setting,
    add(pid) {
      write(path.join(dir, 'cgroup.procs'), String(pid));
    },
    throttled() {
      const stat = new Map(
        fs
          .readFileSync(path.join(dir, 'cpu.stat'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => {
            const [key, value] = line.split(' ');
            return [key!, Number(value)] as const;
          }),
      );
      return throttling(stat);
    },
    remove() {
      try {
        for (const pid of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
          try {
            write(path.join(root, 'cgroup.procs'), pid);
          } catch {
            // gone meanwhile
          }
        }
        fs.rmdirSync(dir);
      } catch {
        // already removed
      }
    },
  };
}
