/**
 * Available parallelism: the OS count, limited on Linux by the container CPU quota.
 * The quota comes from cgroup v2 `cpu.max` of the process's cgroup and its ancestors, else from cgroup
 * v1 `cpu.cfs_quota_us / cpu.cfs_period_us`; the smallest quota wins, and unreadable or malformed files
 * mean "no quota". The file-system root is a parameter so tests can point it at fixture files.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism as osAvailableParallelism } from 'node:os';
import { join } from 'node:path';

export interface CpuInfo {
  /** `os.availableParallelism()` (or the injected count). */
  readonly osAvailableParallelism: number;
  /** CPUs the cgroup quota allows (`quota / period`, fractional), `null` when no quota applies. */
  readonly cgroupQuota: number | null;
  /** `max(1, min(os, floor(quota)))`, or the OS count without a quota. */
  readonly available: number;
}

/** Where the v2 hierarchy may be mounted (unified, or hybrid under `unified/`). */
const V2_MOUNTS = ['sys/fs/cgroup', 'sys/fs/cgroup/unified'];
/** Where the v1 `cpu` controller may be mounted. */
const V1_MOUNTS = ['sys/fs/cgroup/cpu', 'sys/fs/cgroup/cpu,cpuacct', 'sys/fs/cgroup/cpuacct,cpu'];

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

const positiveInt = (s: string | undefined): number | null => {
  if (s === undefined || !/^[0-9]+$/.test(s)) return null;
  const n = Number(s);
  return n > 0 && Number.isSafeInteger(n) ? n : null;
};

/** `/a/b/c` → `['/a/b/c', '/a/b', '/a', '/']`: the cgroup and every ancestor up to the mount root. */
function ancestors(cgroupPath: string): string[] {
  const parts = cgroupPath.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  const out: string[] = [];
  for (let k = parts.length; k >= 0; k--) out.push(`/${parts.slice(0, k).join('/')}`);
  return out;
}

/** cgroup v2 `cpu.max`: `"<quota> <period>"` or `"max <period>"` (no limit). */
export function parseCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === 'max') return null;
  const q = positiveInt(quota);
  const p = positiveInt(period);
  return q !== null && p !== null ? q / p : null;
}

/** cgroup v1 quota and period files; a quota of `-1` means no limit. */
export function parseCfsQuota(quotaText: string, periodText: string): number | null {
  const q = positiveInt(quotaText.trim());
  const p = positiveInt(periodText.trim());
  return q !== null && p !== null ? q / p : null;
}

const smaller = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/**
 * The container CPU quota in CPUs (fractional), or `null` when none is set or nothing is readable.
 * `root` stands in for `/`: `<root>/proc/self/cgroup` names the process's cgroups and
 * `<root>/sys/fs/cgroup/...` holds the controllers.
 */
export function cgroupCpuQuota(root = '/'): number | null {
  const self = readText(join(root, 'proc/self/cgroup'));
  let v2Path: string | null = null;
  let v1Path: string | null = null;
  if (self === null) {
    // Without the membership file only the mount roots (a container's own cgroup) can be read.
    v2Path = '/';
    v1Path = '/';
  } else {
    for (const line of self.split('\n')) {
      const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
      if (!m) continue;
      if (m[1] === '0' && m[2] === '') v2Path = m[3]!;
      else if (m[2]!.split(',').includes('cpu')) v1Path = m[3]!;
    }
  }
  let v2: number | null = null;
  if (v2Path !== null) {
    for (const mount of V2_MOUNTS) {
      for (const dir of ancestors(v2Path)) {
        const text = readText(join(root, mount, dir, 'cpu.max'));
        if (text !== null) v2 = smaller(v2, parseCpuMax(text));
      }
    }
  }
  if (v2 !== null) return v2;
  let v1: number | null = null;
  if (v1Path !== null) {
    for (const mount of V1_MOUNTS) {
      for (const dir of ancestors(v1Path)) {
        const quota = readText(join(root, mount, dir, 'cpu.cfs_quota_us'));
        const period = readText(join(root, mount, dir, 'cpu.cfs_period_us'));
        if (quota !== null && period !== null) v1 = smaller(v1, parseCfsQuota(quota, period));
      }
    }
  }
  return v1;
}

/**
 * Available parallelism. `cgroupRoot` and `osCount` are for tests; without `cgroupRoot` the
 * quota is only looked up on Linux.
 */
export function availableParallelism(opts: { cgroupRoot?: string; osCount?: number } = {}): CpuInfo {
  const os = opts.osCount ?? osAvailableParallelism();
  const quota = opts.cgroupRoot !== undefined ? cgroupCpuQuota(opts.cgroupRoot) : process.platform === 'linux' ? cgroupCpuQuota('/') : null;
  const available = quota === null ? os : Math.max(1, Math.min(os, Math.floor(quota)));
  return Object.freeze({ osAvailableParallelism: os, cgroupQuota: quota, available });
}
