/**
 * What submit, cancel and collect must refuse or keep, on a real PostgreSQL: an output directory
 * under /proc (where Node 20's recursive mkdir spins forever) or below a file is a typed error at
 * once, and every filesystem step of submit is bounded; cancelling a finished job leaves it finished;
 * a unit file whose bytes changed after it was published is refused by collect, naming the unit.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, TTRC, childEnv, cli, cliJson, jobsFixture, query, startWorker, stopWorker, waitForState } from './helpers.js';

const fx = jobsFixture('gridta-jobs-integrity-');

const SUBMIT = [
  'jobs',
  'submit',
  'ma.sma',
  '--data',
  TTRC,
  '--timeline',
  'sessions',
  '--grid',
  'source=close',
  '--grid',
  'window=5..24',
  '--unit-variants',
  '5',
];

/** `gridta jobs submit ... --out <out> --json`, killed after `ms` (a hang shows up as a null status). */
function submitWithin(
  out: string,
  ms: number,
  extraEnv: Record<string, string> = {},
): { status: number | null; ms: number; error?: { code: string; message: string; details: Record<string, unknown> } } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...SUBMIT, '--out', out, '--json'], {
    env: childEnv(fx.pgc.dsn, extraEnv),
    encoding: 'utf8',
    cwd: ROOT,
    timeout: ms,
    killSignal: 'SIGKILL',
  });
  const doc = r.stdout.trim()
    ? (JSON.parse(r.stdout) as { error?: { code: string; message: string; details: Record<string, unknown> } })
    : {};
  return { status: r.status, ms: Date.now() - t0, ...(doc.error ? { error: doc.error } : {}) };
}

describe('submit: output directories and bounded filesystem steps', () => {
  it('refuses --out under /proc at once with a typed error (no spinning recursive mkdir)', () => {
    const r = submitWithin('/proc/gridta-out/sub', 20_000);
    expect(r.status, `exited (null: killed after 20 s) in ${r.ms} ms`).toBe(3);
    expect(r.error).toMatchObject({
      code: 'job_input_invalid',
      details: { field: 'out', reason: 'not_writable', value: '/proc/gridta-out/sub' },
    });
    expect(r.error!.message).toContain('/proc/gridta-out');
  }, 30_000);

  it('refuses --out below a regular file, naming the file', () => {
    const file = join(fx.dir, 'plain-file');
    writeFileSync(file, 'x');
    const r = submitWithin(join(file, 'a', 'b'), 20_000);
    expect(r.status).toBe(3);
    expect(r.error).toMatchObject({
      code: 'job_input_invalid',
      details: { field: 'out', reason: 'not_writable', value: join(file, 'a', 'b') },
    });
    expect(r.error!.message).toContain(`${file} is not a directory`);
  }, 30_000);

  it('creates every missing level of --out', () => {
    const out = join(fx.dir, 'new', 'deeper', 'out');
    const r = submitWithin(out, 20_000);
    expect(r.status).toBe(0);
    expect(readdirSync(out)).toEqual([]);
  }, 30_000);

  it.each(['readFile', 'mkdir'])(
    'bounds the %s step: a filesystem that never answers is fs_timeout, exit 3',
    (step) => {
      const out = join(fx.dir, `stall-${step}`, 'out');
      const r = submitWithin(out, 20_000, { GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_FS_TIMEOUT_MS: '300', GRIDTA_TEST_FS_STALL_STEP: step });
      expect(r.status, `exited (null: killed after 20 s) in ${r.ms} ms`).toBe(3);
      expect(r.error).toMatchObject({
        code: 'job_input_invalid',
        details: {
          field: step === 'mkdir' ? 'out' : 'data',
          reason: 'fs_timeout',
          value: step === 'mkdir' ? join(fx.dir, `stall-${step}`) : TTRC,
          expected: `${step} to finish within 300 ms`,
        },
      });
    },
    30_000,
  );
});

describe('a finished job', () => {
  let jobId: string;
  let out: string;

  it('completes (4 units)', async () => {
    out = join(fx.dir, 'done');
    const sub = cliJson<{ jobId: string; units: number }>([...SUBMIT, '--out', out], childEnv(fx.pgc.dsn));
    expect(sub.units).toBe(4);
    jobId = sub.jobId;
    const w = startWorker('w1', childEnv(fx.pgc.dsn));
    fx.workers.push(w);
    expect(await waitForState(fx.pgc.dsn, jobId, ['completed', 'failed'], 60_000)).toMatchObject({
      state: 'completed',
      processed: 4,
      total: 4,
    });
    expect(await stopWorker(w)).toBe(0);
  }, 90_000);

  it('stays completed when cancelled: a no-op that says so, exit 0', async () => {
    const r = cli(['jobs', 'cancel', jobId], childEnv(fx.pgc.dsn));
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`gridta jobs: job ${jobId} is already completed; nothing to cancel`);
    expect(r.stdout).toContain(`job ${jobId}  completed`);
    const st = cliJson<{ state: string; processed: number; cancelled: number; cancelledAt: string | null; cancelOutcome: string }>(
      ['jobs', 'cancel', jobId],
      childEnv(fx.pgc.dsn),
    );
    expect(st).toMatchObject({ state: 'completed', processed: 4, cancelled: 0, cancelledAt: null, cancelOutcome: 'already_finished' });
    const [job] = await query<{ cancelled_at: Date | null }>(fx.pgc.dsn, 'SELECT cancelled_at FROM gridta.job WHERE id = $1', [jobId]);
    expect(job!.cancelled_at).toBeNull();
  }, 30_000);

  it("records each unit file's SHA-256 at publish", async () => {
    const rows = await query<{ file: string; sha256: string }>(
      fx.pgc.dsn,
      'SELECT file, sha256 FROM gridta.unit WHERE job_id = $1 ORDER BY idx',
      [jobId],
    );
    const { createHash } = await import('node:crypto');
    for (const r of rows)
      expect(r.sha256, r.file).toBe(
        createHash('sha256')
          .update(readFileSync(join(out, r.file)))
          .digest('hex'),
      );
  });

  it('refuses a unit file with one flipped byte in its float data, naming the unit and the file', async () => {
    const [u] = await query<{ idx: number; file: string }>(fx.pgc.dsn, 'SELECT idx, file FROM gridta.unit WHERE job_id = $1 AND idx = 2', [
      jobId,
    ]);
    const file = join(out, u!.file);
    const bytes = readFileSync(file);
    // the byte offset of a value in the middle of the `value` column (tableFromIPC reads in place)
    const values = tableFromIPC(bytes).getChild('value')!.data[0]!.values as Float32Array;
    expect(values.buffer).toBe(bytes.buffer);
    const at = values.byteOffset - bytes.byteOffset + 4 * Math.floor(values.length / 2) + 1;
    bytes[at] = bytes[at]! ^ 0x10;
    writeFileSync(file, bytes);
    const r = cli(['jobs', 'collect', jobId, '--out', join(fx.dir, 'collected.arrow'), '--json'], childEnv(fx.pgc.dsn));
    expect(r.status).toBe(1);
    const err = (JSON.parse(r.stdout) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
    expect(err).toMatchObject({
      code: 'job_incomplete',
      details: { jobId, instrumentId: 'ttrc', reason: 'checksum_mismatch', missing: [{ unit: 2, file }], missingCount: 1, total: 4 },
    });
    expect(err.message).toContain(`unit 2`);
    expect(err.message).toContain(file);
  }, 30_000);
});
