/**
 * `gridta compute` and Ctrl-C, with real child processes: SIGINT at chosen moments (during the one
 * synchronous batch of threads 1, during a pooled compute, once the output's temporary file exists,
 * twice) must exit 130 with no output file and no temporary file left.
 * The CLI runs from dist/: build first (`npx tsc -p tsconfig.json`; `npm test` does).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

let dir: string;
let data: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridta-cancel-'));
  data = join(dir, 'd50k.csv');
  const lines = ['ts_open,open,high,low,close,volume'];
  let p = 100;
  for (let i = 0; i < 50_000; i++) {
    p += Math.sin(i * 0.37) * 0.5 + Math.cos(i * 0.011) * 0.3;
    lines.push(`${i * 60_000},${p},${p + 1},${p - 1},${p + 0.25},${1000 + (i % 7)}`);
  }
  writeFileSync(data, `${lines.join('\n')}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

/**
 * Starts the CLI; `when` is polled every 5 ms with the stderr so far and returns true at the moment
 * to send SIGINT (`times` of them, 30 ms apart).
 */
function runAndInterrupt(args: string[], when: (stderr: string) => boolean, times = 1): Promise<Run & { interrupted: boolean }> {
  return new Promise((done) => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('GRIDTA_')) delete env[k];
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let interrupted = false;
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.stdout.resume();
    const poll = setInterval(() => {
      if (interrupted || !when(stderr)) return;
      interrupted = true;
      for (let i = 0; i < times; i++) setTimeout(() => child.kill('SIGINT'), 30 * i);
    }, 5);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      // stderr may still be draining
      setTimeout(() => done({ code, signal, stderr, ms: performance.now() - t0, interrupted }), 50);
    });
  });
}

/** Files in `dir` that belong to output `name` (the output itself or a temporary file next to it). */
const leftovers = (name: string): string[] => readdirSync(dir).filter((f) => f.includes(name));

/** A pooled-size grid whose compute is slow (percent_rank is O(window) per bar): 40 variants x 50k bars. */
const SLOW = ['compute', 'structure.percent_rank', '--grid', 'window=1961..2000', '--grid', 'source=close', '--progress'];

/** `gridta compute ma.sma` over windows 5..104 on one thread, writing `out` in the test directory. */
const smaOneThread = (source: string, out: string, ...extra: string[]): string[] => [
  'compute',
  'ma.sma',
  '--data',
  data,
  '--grid',
  'window=5..104',
  '--grid',
  `source=${source}`,
  '--threads',
  '1',
  ...extra,
  '--out',
  join(dir, out),
];
/** Whether the writer's temporary file for `out` (`.<out>.<pid>.tmp`) exists. */
const tempExists = (out: string): boolean => readdirSync(dir).some((f) => f.startsWith(`.${out}.`) && f.endsWith('.tmp'));

describe('gridta compute: Ctrl-C', () => {
  it('threads 1: a Ctrl-C during the single synchronous batch cancels with 130 and writes nothing', async () => {
    const r = await runAndInterrupt(
      [...SLOW, '--data', data, '--threads', '1', '--batch-variants', '40', '--out', join(dir, 'a1.arrow')],
      (s) => s.includes('0/40 variants'),
    );
    expect(r.interrupted).toBe(true);
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain('gridta: compute_cancelled: ');
    expect(r.stderr).toContain('interrupted (Ctrl-C)');
    expect(r.code).toBe(130);
    expect(leftovers('a1.arrow')).toEqual([]);
    expect(r.stderr).not.toContain('gridta compute: structure.percent_rank');
  });

  it('threads 2, default batching: a Ctrl-C during the pooled compute cancels with 130 and writes nothing', async () => {
    const r = await runAndInterrupt([...SLOW, '--data', data, '--threads', '2', '--out', join(dir, 'a2.arrow')], (s) =>
      s.includes('0/40 variants'),
    );
    expect(r.interrupted).toBe(true);
    expect(r.stderr).toContain('gridta: compute_cancelled: ');
    expect(r.code).toBe(130);
    expect(leftovers('a2.arrow')).toEqual([]);
  });

  it('a Ctrl-C while the CSV output is written removes its temporary file and exits 130', async () => {
    const r = await runAndInterrupt(smaOneThread('close', 'w.csv'), () => tempExists('w.csv'));
    expect(r.interrupted).toBe(true);
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain('gridta: compute_cancelled: ');
    expect(r.stderr).toContain('while writing the output');
    expect(r.code).toBe(130);
    expect(leftovers('w.csv')).toEqual([]);
  });

  it('a Ctrl-C once the compute is done (Arrow built and written) exits 130 with no file', async () => {
    const r = await runAndInterrupt(smaOneThread('close,hl2', 'w.arrow', '--progress'), (s) => s.includes('200/200 variants'));
    expect(r.interrupted).toBe(true);
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain('gridta: compute_cancelled: ');
    expect(r.code).toBe(130);
    expect(leftovers('w.arrow')).toEqual([]);
  });

  it('a Ctrl-C once the Arrow temporary file exists stops the write, removes it and exits 130', async () => {
    const r = await runAndInterrupt(smaOneThread('close,hl2', 'w2.arrow'), () => tempExists('w2.arrow'));
    expect(r.interrupted).toBe(true);
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain('while writing the output');
    expect(r.code).toBe(130);
    expect(leftovers('w2.arrow')).toEqual([]);
  });

  it('a second Ctrl-C during the write exits at once with 130 and leaves no temporary file', async () => {
    const r = await runAndInterrupt(smaOneThread('close', 'x.csv'), () => tempExists('x.csv'), 2);
    expect(r.interrupted).toBe(true);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(leftovers('x.csv')).toEqual([]);
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
  });
});
