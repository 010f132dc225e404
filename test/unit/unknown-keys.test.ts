/**
 * Every options object of the public API refuses a key it does not know: a typed error naming the
 * key, the object it was in and the closest known key. One row per public entry point.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import {
  CandlesValidationError,
  ConfigError,
  createCandles,
  createEngine,
  diagnose,
  estimate,
  estimateBatch,
  GridValidationError,
  resolveConfig,
  candlesFromCsv,
  variantKeyV1,
} from '../../src/index.js';
import { candlesFromArrow, loadCandlesFile, tensorToArrow, tensorToArrowIPC, writeTensorCsv } from '../../src/arrow/index.js';
import { collectJob, computeUnitValues, openJobsDb, startWorker, submitJob, type JobsDb } from '../../src/jobs/index.js';
import { JobInputError } from '../../src/errors.js';
import { registry } from '../../src/registry/index.js';
import { engineOf, simpleCandles } from '../helpers/engine.js';

const candles = simpleCandles(Array.from({ length: 30 }, (_, i) => 100 + (i % 7)));
const grid = { indicatorId: 'ma.sma', source: 'close', params: { window: [2, 3] } } as const;
const engine = () => engineOf('wasm-simd');
const csv = new TextEncoder().encode('ts,close\n0,1\n60000,2\n120000,3\n');
const input = { instrumentId: 'X', timeframe: '1m', tsOpen: [0, 60_000, 120_000], close: [1, 2, 3] };
/** Never reached: every jobs call below must refuse its options before touching the database. */
const noDb = new Proxy(
  {},
  {
    get: (_t, k) => {
      throw new Error(`the database was touched (${String(k)})`);
    },
  },
) as JobsDb;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridta-keys-'));
  writeFileSync(join(dir, 'x.csv'), csv);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type Typed = Error & { code: string; details: Record<string, unknown> };

/** The error `run` threw or rejected with. */
async function failure(run: () => unknown): Promise<Typed> {
  try {
    await run();
  } catch (e) {
    return e as Typed;
  }
  throw new Error('expected an error, the call succeeded');
}

interface Case {
  /** The entry point and the object. */
  name: string;
  run: () => unknown;
  cls: new (...args: never[]) => Error;
  /** The typo'd key, as the error names it (a field path for nested objects). */
  field: string;
  key: string;
  suggestion: string;
  /** Words naming the object the key was in. */
  where: string;
}

const tensor = async () => engine().compute({ candles, grid });

const CASES: Case[] = [
  {
    name: 'createEngine options',
    run: () => createEngine({ threds: 2 } as never),
    cls: ConfigError,
    field: 'threds',
    key: 'threds',
    suggestion: 'threads',
    where: 'createEngine options',
  },
  {
    name: 'createEngine options (long name)',
    run: () => createEngine({ maxComputeBytesTotl: 5 } as never),
    cls: ConfigError,
    field: 'maxComputeBytesTotl',
    key: 'maxComputeBytesTotl',
    suggestion: 'maxComputeBytesTotal',
    where: 'createEngine options',
  },
  {
    name: 'createEngine options (test-only key)',
    run: () => createEngine({ __fautls: {} } as never),
    cls: ConfigError,
    field: '__fautls',
    key: '__fautls',
    suggestion: '__faults',
    where: 'createEngine options',
  },
  {
    name: 'resolveConfig options',
    run: () => resolveConfig({ cacheDri: 'x' } as never),
    cls: ConfigError,
    field: 'cacheDri',
    key: 'cacheDri',
    suggestion: 'cacheDir',
    where: 'engine options',
  },
  {
    name: 'compute request',
    run: () => engine().compute({ candles, grid, layuot: 'VARIANT_MAJOR' } as never),
    cls: GridValidationError,
    field: 'layuot',
    key: 'layuot',
    suggestion: 'layout',
    where: 'compute request',
  },
  {
    name: 'compute request grid spec',
    run: () => engine().compute({ candles, grid: { ...grid, layot: 'VARIANT_MAJOR' } } as never),
    cls: GridValidationError,
    field: 'layot',
    key: 'layot',
    suggestion: 'layout',
    where: 'grid spec',
  },
  {
    name: 'engine.estimate options',
    run: () => engine().estimate(grid, 100, { maxVariant: 5 } as never),
    cls: GridValidationError,
    field: 'maxVariant',
    key: 'maxVariant',
    suggestion: 'maxVariants',
    where: 'options of estimate',
  },
  {
    name: 'estimate options',
    run: () => estimate(grid, 100, { outptus: ['value'] } as never),
    cls: GridValidationError,
    field: 'outptus',
    key: 'outptus',
    suggestion: 'outputs',
    where: 'options of estimate',
  },
  {
    name: 'estimate time range',
    run: () => estimate(grid, { start: 0, end: 60_000, timeframe: '1m', ned: 5 } as never),
    cls: GridValidationError,
    field: 'timeRange.ned',
    key: 'ned',
    suggestion: 'end',
    where: 'time range',
  },
  {
    name: 'engine.estimateBatch options',
    run: () => engine().estimateBatch([grid], 100, { variantFactor: 2 } as never),
    cls: GridValidationError,
    field: 'variantFactor',
    key: 'variantFactor',
    suggestion: 'variantsFactor',
    where: 'options of estimateBatch',
  },
  {
    name: 'estimateBatch options',
    run: () => estimateBatch([grid], 100, { throwOnGaurd: false } as never),
    cls: GridValidationError,
    field: 'throwOnGaurd',
    key: 'throwOnGaurd',
    suggestion: 'throwOnGuard',
    where: 'options of estimateBatch',
  },
  {
    name: 'engine.defaultGrid overrides',
    run: () => engine().defaultGrid('ma.sma', { parms: { window: 3 } } as never),
    cls: GridValidationError,
    field: 'parms',
    key: 'parms',
    suggestion: 'params',
    where: 'defaultGrid overrides',
  },
  {
    name: 'variantKeyV1 selection',
    run: () => variantKeyV1({ instrumentId: 'X', timeframe: '1m', indicator: [] } as never),
    cls: GridValidationError,
    field: 'indicator',
    key: 'indicator',
    suggestion: 'indicators',
    where: 'variant key selection',
  },
  {
    name: 'variantKeyV1 indicator entry',
    run: () =>
      variantKeyV1({
        instrumentId: 'X',
        timeframe: '1m',
        indicators: [{ indicatorId: 'ma.sma', source: 'close', param: { window: 3 } }],
      } as never),
    cls: GridValidationError,
    field: 'param',
    key: 'param',
    suggestion: 'params',
    where: 'indicator selection',
  },
  {
    name: 'createCandles input',
    run: () => createCandles({ ...input, volme: [1, 1, 1] } as never),
    cls: CandlesValidationError,
    field: 'volme',
    key: 'volme',
    suggestion: 'volume',
    where: 'createCandles input',
  },
  {
    name: 'compute request candles input',
    run: () => engine().compute({ candles: { ...input, hgih: [1, 2, 3] }, grid } as never),
    cls: CandlesValidationError,
    field: 'hgih',
    key: 'hgih',
    suggestion: 'high',
    where: 'createCandles input',
  },
  {
    name: 'candlesFromCsv options',
    run: () => candlesFromCsv(csv, { instrumentId: 'X', delimter: ';' } as never),
    cls: CandlesValidationError,
    field: 'delimter',
    key: 'delimter',
    suggestion: 'delimiter',
    where: 'candlesFromCsv options',
  },
  {
    name: 'candlesFromCsv columns',
    run: () => candlesFromCsv(csv, { instrumentId: 'X', columns: { clsoe: 'close' } } as never),
    cls: CandlesValidationError,
    field: 'columns.clsoe',
    key: 'clsoe',
    suggestion: 'close',
    where: 'columns',
  },
  {
    name: 'candlesFromArrow options',
    run: () =>
      candlesFromArrow(tableFromArrays({ ts: Float64Array.from([0, 60_000]), close: Float64Array.from([1, 2]) }), {
        instrumentId: 'X',
        timefrme: '1m',
      } as never),
    cls: CandlesValidationError,
    field: 'timefrme',
    key: 'timefrme',
    suggestion: 'timeframe',
    where: 'candlesFromArrow options',
  },
  {
    name: 'loadCandlesFile options',
    run: () => loadCandlesFile(join(dir, 'x.csv'), { tsUnt: 's' } as never),
    cls: CandlesValidationError,
    field: 'tsUnt',
    key: 'tsUnt',
    suggestion: 'tsUnit',
    where: 'loadCandlesFile options',
  },
  {
    name: 'tensorToArrow options',
    run: async () => tensorToArrow(await tensor(), { output: ['value'] } as never),
    cls: GridValidationError,
    field: 'output',
    key: 'output',
    suggestion: 'outputs',
    where: 'export options',
  },
  {
    name: 'tensor.toArrow options',
    run: async () => (await tensor()).toArrow({ variant: [0] } as never),
    cls: GridValidationError,
    field: 'variant',
    key: 'variant',
    suggestion: 'variants',
    where: 'export options',
  },
  {
    name: 'tensorToArrowIPC options',
    run: async () => tensorToArrowIPC(await tensor(), { formt: 'stream' } as never),
    cls: GridValidationError,
    field: 'formt',
    key: 'formt',
    suggestion: 'format',
    where: 'export options',
  },
  {
    name: 'writeTensorCsv options',
    run: async () => writeTensorCsv(await tensor(), join(dir, 'out.csv'), { includeVariantKeys: true } as never),
    cls: GridValidationError,
    field: 'includeVariantKeys',
    key: 'includeVariantKeys',
    suggestion: 'includeVariantKey',
    where: 'export options',
  },
  {
    name: 'jobs openJobsDb options',
    run: () => openJobsDb(engine().config, { poolsize: 2 } as never),
    cls: ConfigError,
    field: 'poolsize',
    key: 'poolsize',
    suggestion: 'poolSize',
    where: 'openJobsDb options',
  },
  {
    name: 'jobs submitJob request',
    run: () => submitJob(engine(), noDb, { indicatorId: 'ma.sma', data: [join(dir, 'x.csv')], out: dir, timefrme: '1m' } as never),
    cls: JobInputError,
    field: 'timefrme',
    key: 'timefrme',
    suggestion: 'timeframe',
    where: 'submitJob request',
  },
  {
    name: 'jobs collectJob options',
    run: () => collectJob(noDb, 'job', { instrument: 'X' } as never),
    cls: JobInputError,
    field: 'instrument',
    key: 'instrument',
    suggestion: 'instrumentId',
    where: 'collectJob options',
  },
  {
    name: 'jobs startWorker options',
    run: () => startWorker({ engine: engine(), db: noDb, workerId: 'w', concurency: 2 } as never),
    cls: ConfigError,
    field: 'concurency',
    key: 'concurency',
    suggestion: 'concurrency',
    where: 'startWorker options',
  },
  {
    name: 'jobs startWorker faults',
    run: () => startWorker({ engine: engine(), db: noDb, workerId: 'w', faults: { stalMs: 5 } } as never),
    cls: ConfigError,
    field: 'faults.stalMs',
    key: 'stalMs',
    suggestion: 'stallMs',
    where: 'startWorker faults',
  },
  {
    name: 'jobs computeUnitValues input',
    run: () =>
      computeUnitValues({
        engine: engine(),
        def: registry.get('ma.sma'),
        axes: [],
        outputs: ['value'],
        candles,
        start: 0,
        end: 1,
        batchVariant: 1,
      } as never),
    cls: JobInputError,
    field: 'batchVariant',
    key: 'batchVariant',
    suggestion: 'batchVariants',
    where: 'computeUnitValues input',
  },
];

describe('unknown keys in the options of every public entry point', () => {
  it.each(CASES)('$name: refuses $key, suggesting $suggestion', async ({ run, cls, field, key, suggestion, where }) => {
    const e = await failure(run);
    expect(e, e.stack).toBeInstanceOf(cls);
    const named = e instanceof ConfigError ? e.details.key : e.details.field;
    expect(named).toBe(field);
    expect(e.message).toContain(key);
    expect(e.message).toContain(`did you mean ${suggestion}?`);
    expect(e.message).toContain(where);
  });

  it('compute with a typo rejects (a promise), it does not throw', () => {
    const p = engine().compute({ candles, grid, layuot: 'VARIANT_MAJOR' } as never);
    expect(p).toBeInstanceOf(Promise);
    return expect(p).rejects.toBeInstanceOf(GridValidationError);
  });

  it('names no suggestion when nothing is close, and lists the known keys', async () => {
    const e = await failure(() => createEngine({ zzzzzzzz: 1 } as never));
    expect(e.message).not.toContain('did you mean');
    expect(e.message).toContain('threads');
    expect(e.details).toMatchObject({ key: 'zzzzzzzz', source: 'option', value: 'zzzzzzzz' });
  });

  it('never shows the value of an unknown key (it may be a secret)', async () => {
    const e = await failure(() => createEngine({ jobsDns: 'postgres://u:hunter2@db/x' } as never));
    expect(e.message).toContain('did you mean jobsDsn?');
    expect(e.message).not.toContain('hunter2');
    expect(JSON.stringify(e)).not.toContain('hunter2');
  });

  it('diagnose reports an unknown option as its error', async () => {
    const doc = await diagnose({ env: 'test', warmup: false, threds: 2 } as never, {});
    expect(doc.error).toMatchObject({ code: 'config_invalid', details: { key: 'threds', source: 'option' } });
    expect(doc.error!.message).toContain('did you mean threads?');
  });
});
