/**
 * `gridta backtest` and `gridta strategies` with the built CLI as a child process: the printed
 * summary and table, the three files against an in-process engine.backtest of the same request
 * (metrics Object.is-equal, keys, report text, trades), --json, custom strategies from a file, bad
 * flags with their exit codes and messages, and Ctrl-C leaving no file behind.
 * The CLI runs from dist/: build first (`npm run build`; `npm test` does).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../src/backtest/program.js';
import type { BacktestRequest, BacktestResult, ReplayResult } from '../../src/backtest/run.js';
import { candlesFromCsv } from '../../src/candles/index.js';
import type { Candles } from '../../src/candles/types.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { strategyRegistry } from '../../src/strategies/index.js';
import type { CustomStrategy } from '../../src/strategies/types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TTRC = join(ROOT, 'bench', 'ttrc.csv');

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GRIDTA_')) delete env[k];
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The one JSON error document of a --json run. */
const errorOf = (stdout: string): { code: string; message: string; details: Record<string, unknown> } =>
  (JSON.parse(stdout) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;

let dir: string;
let engine: Engine;
let candles: Candles;
const at = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gridta-cli-backtest-'));
  engine = createEngine({ env: 'test', threads: 1, onWarning: () => undefined });
  // What the CLI builds from --data bench/ttrc.csv --timeline sessions: the instrument is the file's base name.
  candles = await candlesFromCsv(TTRC, { instrumentId: 'ttrc', timeline: 'sessions' });
}, 60_000);
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A JSON number as the summary writes it: non-finite values become null. */
const jsonNumber = (x: number): number | null => (Number.isFinite(x) ? x : null);

describe('gridta backtest ma_cross (fast 5..50 x slow 20..200:5, fee 5 bps, top 10)', () => {
  const ARGS = [
    'backtest',
    'ma_cross',
    '--data',
    TTRC,
    '--timeline',
    'sessions',
    '--grid',
    'fast=5..50',
    '--grid',
    'slow=20..200:5',
    '--fee-bps',
    '5',
    '--top',
    '10',
  ];
  const REQUEST: Omit<BacktestRequest, 'candles'> = {
    strategy: {
      id: 'ma_cross',
      params: { fast: { mode: 'range', start: 5, stopIncl: 50, step: 1 }, slow: { mode: 'range', start: 20, stopIncl: 200, step: 5 } },
    },
    execution: { fee_bps: 5 },
    top: 10,
  };
  let run: ReturnType<typeof cli>;
  let result: BacktestResult;
  let replays: ReplayResult[];

  beforeAll(async () => {
    run = cli([...ARGS, '--out', at('X.arrow'), '--report', at('X.md'), '--trades', at('X.json')]);
    result = await engine.backtest({ candles, ...REQUEST });
    replays = await result.replay();
  }, 60_000);

  it('exits 0 and prints the Stage A summary', () => {
    expect(run.code, run.stderr).toBe(0);
    // 46 fast x 37 slow windows, of which fast < slow keeps 1,590 (fast 5..19 pair with all 37, then fewer).
    expect(result.variants).toBe(1590);
    expect(run.stdout).toContain('gridta backtest: ma_cross on ttrc (1d, 5550 bars, 5550 valid scored)');
    expect(run.stdout).toContain(
      `V=1590 variants, risk_total=${result.stats.risk_total} passed the filters, preselect_used=true, shortlist 10`,
    );
    const m = /objective sharpe:max; engine wasm-(?:simd|scalar), threads (\d+), (\d+) batches; \d+ ms .* variant-bars\/s/.exec(run.stdout);
    expect(m, run.stdout).not.toBeNull();
    // threads auto: in-process on one CPU (batches of 256), else Stage A on the pool (equal batches, a multiple of the threads)
    const threads = Number(m![1]);
    expect(Number(m![2])).toBe(threads === 1 ? 7 : Math.ceil(7 / threads) * threads);
  });

  it('prints the shortlist report table equal to the in-process one', async () => {
    expect(run.stdout.endsWith(`\n\n${await result.reportTableMd()}`)).toBe(true);
  });

  it('writes the metrics file, which reads back equal to engine.backtest of the same request', () => {
    const table = tableFromIPC(readFileSync(at('X.arrow')));
    expect(table.numRows).toBe(1590);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['variant', 'variant_key', 'ma', 'source', 'fast', 'slow', ...METRIC_NAMES]);
    const keys = table.getChild('variant_key')!.toArray() as string[];
    const fast = table.getChild('fast')!.toArray() as Float64Array;
    const slow = table.getChild('slow')!.toArray() as Float64Array;
    for (let v = 0; v < result.variants; v++) {
      expect(keys[v], `variant ${v}`).toBe(result.variantKey(v));
      expect([fast[v], slow[v]]).toEqual([result.variantValues(v).fast, result.variantValues(v).slow]);
    }
    for (const m of METRIC_NAMES) {
      const col = table.getChild(m)!.toArray() as Float64Array;
      for (let v = 0; v < result.variants; v++) {
        if (!Object.is(col[v], result.metrics[m][v])) expect.fail(`${m}[${v}]: file ${col[v]} vs in-process ${result.metrics[m][v]}`);
      }
    }
  });

  it('writes the report file equal to result.reportTableMd()', async () => {
    expect(readFileSync(at('X.md'), 'utf8')).toBe(await result.reportTableMd());
  });

  it('writes the trades file: one entry per rank with the key, params and the replayed trades', () => {
    const doc = JSON.parse(readFileSync(at('X.json'), 'utf8')) as {
      rank: number;
      variant: number;
      variant_key: string;
      params: Record<string, unknown>;
      trades: unknown[];
    }[];
    expect(doc.map((e) => e.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    doc.forEach((e, i) => {
      const s = result.shortlist[i]!;
      expect({ variant: e.variant, variant_key: e.variant_key, params: e.params }).toEqual({
        variant: s.variant,
        variant_key: s.key,
        params: s.params,
      });
      expect(e.trades).toEqual(JSON.parse(replays[i]!.trades_json));
    });
    // The best variant's first trade, as the replay reports it.
    expect(doc[0]!.trades[0]).toMatchObject({
      side: 'long',
      entry_ts: '1985-01-04T00:00:00.000Z',
      entry_bar: 2,
      exit_bar: 449,
      bars_held: 447,
    });
  });

  it('leaves no temporary file next to the outputs', () => {
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('--json prints one document with the stats and the shortlist (params and Stage A metrics)', () => {
    const r = cli([...ARGS, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      strategyId: string;
      instrumentId: string;
      variants: number;
      execution: Record<string, unknown>;
      stats: Record<string, unknown>;
      shortlist: {
        rank: number;
        variant: number;
        variant_key: string;
        params: Record<string, unknown>;
        metrics: Record<string, number | null>;
      }[];
      files: Record<string, unknown>;
    };
    expect(doc).toMatchObject({ strategyId: 'ma_cross', instrumentId: 'ttrc', variants: 1590, files: {} });
    expect(doc.execution).toEqual({ side: 'long', fill: 'next_open', fee_bps: 5, slippage_bps: 0, annualization: null });
    expect(doc.stats).toMatchObject({ stage_a_variants_total: 1590, risk_total: result.stats.risk_total, preselect_used: true });
    expect(doc.shortlist).toHaveLength(10);
    doc.shortlist.forEach((s, i) => {
      const want = result.shortlist[i]!;
      expect({ rank: s.rank, variant: s.variant, variant_key: s.variant_key, params: s.params }).toEqual({
        rank: i + 1,
        variant: want.variant,
        variant_key: want.key,
        params: want.params,
      });
      for (const m of METRIC_NAMES) expect(s.metrics[m], `rank ${i + 1} ${m}`).toBe(jsonNumber(result.metrics[m][want.variant]!));
    });
  });
});

describe('gridta backtest with a holdout, short side and filters', () => {
  it('ranks in sample and prints and writes the out-of-sample part too', async () => {
    const args = [
      '--grid',
      'fast=5,10',
      '--grid',
      'slow=20,40',
      '--grid',
      'ma=ma.ema,ma.sma',
      '--side',
      'both',
      '--holdout',
      '0.3',
      '--top',
      '3',
    ];
    const r = cli([
      'backtest',
      'ma_cross',
      '--data',
      TTRC,
      '--timeline',
      'sessions',
      ...args,
      '--filter',
      'min_trades=5',
      '--trades',
      at('H.json'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const result = await engine.backtest({
      candles,
      strategy: { id: 'ma_cross', params: { fast: [5, 10], slow: [20, 40], ma: ['ma.ema', 'ma.sma'] } },
      execution: { side: 'both' },
      holdout: { fraction: 0.3 },
      top: 3,
      filters: { min_trades: 5 },
    });
    const replays = await result.replay();
    expect(r.stdout).toContain(`in sample:\n${await result.reportTableMd()}`);
    expect(r.stdout).toContain('out of sample:\n| rank | key | ma | source | fast | slow |');
    const doc = JSON.parse(readFileSync(at('H.json'), 'utf8')) as {
      variant_key: string;
      trades: unknown[];
      out_of_sample_trades: unknown[];
    }[];
    expect(doc.map((e) => e.variant_key)).toEqual(result.shortlist.map((s) => s.key));
    doc.forEach((e, i) => {
      expect(e.trades).toEqual(JSON.parse(replays[i]!.trades_json));
      expect(e.out_of_sample_trades).toEqual(JSON.parse(replays[i]!.out_of_sample!.trades_json));
    });
    // The out-of-sample part never sees an in-sample trade: every trade there enters at or after the split row.
    for (const e of doc)
      for (const t of e.out_of_sample_trades as { entry_bar: number }[]) expect(t.entry_bar).toBeGreaterThanOrEqual(result.holdout!.row);
  });
});

describe('gridta backtest --strategy FILE.json', () => {
  const custom: CustomStrategy = {
    id: 'custom',
    params: [
      { name: 'window', kind: 'int', min: 2, max: 100, default: [14] },
      { name: 'level', kind: 'float', min: 0, max: 100, default: [30] },
    ],
    rules: {
      long_entry: ['cross_above', { ind: 'momentum.rsi', params: { window: '$window' } }, '$level'],
      long_exit: ['cross_above', { ind: 'momentum.rsi', params: { window: '$window' } }, 70],
    },
  };

  it('runs a custom strategy with --grid replacing its default grids, as the engine does in process', async () => {
    writeFileSync(at('custom.json'), JSON.stringify(custom));
    const r = cli([
      'backtest',
      '--strategy',
      at('custom.json'),
      '--data',
      TTRC,
      '--timeline',
      'sessions',
      '--grid',
      'window=5..30:5',
      '--grid',
      'level=20,30',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      strategyId: string;
      variants: number;
      shortlist: { variant_key: string; metrics: Record<string, number | null> }[];
    };
    const params = [
      { ...custom.params![0]!, default: { mode: 'range' as const, start: 5, stopIncl: 30, step: 5 } },
      { ...custom.params![1]!, default: [20, 30] },
    ];
    const result = await engine.backtest({ candles, strategy: { ...custom, params } });
    expect(doc.strategyId).toBe('custom');
    expect(doc.variants).toBe(12);
    expect(doc.shortlist.map((s) => s.variant_key)).toEqual(result.shortlist.map((s) => s.key));
    expect(doc.shortlist[0]!.metrics.sharpe).toBe(jsonNumber(result.metrics.sharpe[result.shortlist[0]!.variant]!));
  });

  it('refuses a --grid param the custom strategy lacks, naming the closest one (exit 3)', () => {
    writeFileSync(at('custom2.json'), JSON.stringify(custom));
    const r = cli(['backtest', '--strategy', at('custom2.json'), '--data', TTRC, '--grid', 'windw=5']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'gridta: strategy_invalid: params.windw: expected a param of the custom strategy, one of window, level; did you mean window?',
    );
  });

  it('refuses a missing strategy file as strategy_invalid (exit 3)', () => {
    const r = cli(['backtest', '--strategy', at('none.json'), '--data', TTRC, '--json']);
    expect(r.code).toBe(3);
    expect(errorOf(r.stdout)).toMatchObject({ code: 'strategy_invalid', details: { path: 'strategy', value: at('none.json') } });
  });
});

describe('gridta backtest --profile', () => {
  it("computes the operand series in the profile: its stats and keys name it, the metrics are engine.backtest's", async () => {
    const args = ['backtest', 'ma_cross', '--data', TTRC, '--timeline', 'sessions', '--grid', 'ma=ma.sma', '--grid', 'fast=5,10'];
    const r = cli([...args, '--grid', 'slow=20,40', '--profile', 'talib', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      stats: { profile: string };
      shortlist: { variant: number; variant_key: string; metrics: Record<string, number | null> }[];
    };
    expect(doc.stats.profile).toBe('talib');
    const strategy = { id: 'ma_cross', params: { ma: ['ma.sma'], fast: [5, 10], slow: [20, 40] } };
    const req = { candles, strategy, execution: { side: 'long' }, profile: 'talib' } as const;
    const local = await engine.backtest(req);
    expect(doc.shortlist.length).toBeGreaterThan(0);
    for (const s of doc.shortlist) {
      expect(s.variant_key).toBe(local.variantKey(s.variant));
      for (const m of METRIC_NAMES) expect(s.metrics[m]).toBe(jsonNumber(local.metrics[m][s.variant]!));
    }
    const plain = await engine.backtest({ ...req, profile: 'gridta' });
    expect(doc.shortlist.every((s) => s.variant_key !== plain.variantKey(s.variant))).toBe(true);
  });
});

describe('gridta backtest: bad flags', () => {
  const SMALL = ['backtest', 'ma_cross', '--data', TTRC, '--timeline', 'sessions', '--grid', 'fast=5,10', '--grid', 'slow=20'];
  it.each([
    [['--fee-bps', '5000'], 3, 'gridta: strategy_invalid: --fee-bps: expected a number of basis points in [0, 1000] (got 5000)'],
    [['--fee-bps', 'abc'], 2, 'gridta: usage: --fee-bps must be a number (got "abc")'],
    [['--slippage-bps=-1'], 3, 'gridta: strategy_invalid: --slippage-bps: expected a number of basis points in [0, 1000] (got -1)'],
    [['--side', 'sideways'], 3, `gridta: strategy_invalid: --side: expected 'long', 'short' or 'both' (got "sideways")`],
    [['--fill', 'open'], 3, `gridta: strategy_invalid: --fill: expected 'next_open' or 'close' (got "open")`],
    [['--objective', 'sharp'], 3, 'gridta: strategy_invalid: --objective: expected a metric name (did you mean sharpe?) (got "sharp")'],
    [['--objective', 'sharpe:up'], 3, `gridta: strategy_invalid: --objective: expected 'max' or 'min' (got "up")`],
    [
      ['--filter', 'min_trade=3'],
      3,
      'gridta: strategy_invalid: --filter min_trade: expected a known key (did you mean min_trades?) (got 3)',
    ],
    [['--filter', 'sharpe=0.5'], 2, 'gridta: usage: --filter sharpe=0.5: a metric bound is LO..HI'],
    [['--top', '0'], 3, 'gridta: strategy_invalid: --top: expected a positive integer (got 0)'],
    [['--top', 'ten'], 2, 'gridta: usage: --top must be a positive integer (got "ten")'],
    [['--holdout', '0.95'], 3, 'gridta: strategy_invalid: --holdout: expected a number with 0 < fraction < 0.9 (got 0.95)'],
    [['--holdout', 'soon'], 2, 'gridta: usage: --holdout must be a fraction (0.3) or a date (2020-01-01) (got "soon")'],
    [['--grid', 'fast=1..10'], 3, 'gridta: strategy_invalid: params.fast.start: expected >= 2 (got 1)'],
    [
      ['--grid', 'fst=5'],
      3,
      'gridta: strategy_invalid: params.fst: expected a param of ma_cross, one of ma, source, fast, slow; did you mean fast?',
    ],
    [['--fee-bp', '5'], 2, 'gridta: usage: unknown option --fee-bp; did you mean --fee-bps?'],
    [['--out', 'x.csv'], 2, 'gridta: usage: --out must end in .arrow or .feather (got "x.csv")'],
    [['--max-variants-per-compute', '1'], 4, 'gridta: max_variants_exceeded: '],
    [['--profile', 'ta-lib'], 3, 'gridta: strategy_invalid: --profile: expected one of gridta, talib (got "ta-lib")'],
  ])('%j exits %i with "%s"', (extra, code, message) => {
    const r = cli([...SMALL, ...extra]);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('refuses an unknown template id naming the registered ones (exit 3)', () => {
    const r = cli(['backtest', 'ma_crossing', '--data', TTRC, '--json']);
    expect(r.code).toBe(3);
    expect(errorOf(r.stdout)).toMatchObject({ code: 'strategy_invalid', details: { path: 'strategy.id', value: 'ma_crossing' } });
    expect(errorOf(r.stdout).message).toContain('did you mean ma_cross?');
  });

  it('refuses a missing template and --data as usage errors (exit 2)', () => {
    expect(cli(['backtest', '--data', TTRC]).stderr).toContain(
      'gridta: usage: backtest needs a strategy template id or --strategy FILE.json',
    );
    const r = cli(['backtest', 'ma_cross']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gridta: usage: --data FILE is required');
  });

  it('checks every output path before computing: a --report in a missing directory is output_invalid (exit 3)', () => {
    const report = at('no-such-dir/top.md');
    const r = cli([...SMALL, '--out', at('ok.arrow'), '--report', report, '--json']);
    expect(r.code).toBe(3);
    expect(errorOf(r.stdout)).toMatchObject({
      code: 'output_invalid',
      details: { field: 'report', reason: 'no_directory', value: report },
    });
    expect(existsSync(at('ok.arrow'))).toBe(false);
  });

  it('writes no file when the run fails after the paths were checked', () => {
    const r = cli([...SMALL, '--side', 'sideways', '--out', at('fail.arrow'), '--report', at('fail.md')]);
    expect(r.code).toBe(3);
    expect(readdirSync(dir).filter((f) => f.includes('fail'))).toEqual([]);
  });
});

describe('gridta backtest and Ctrl-C', () => {
  it('exits 130 with no output and no temporary file when interrupted during Stage A', async () => {
    const args = [
      ...['backtest', 'ma_cross', '--data', TTRC, '--timeline', 'sessions', '--grid', 'fast=5..50', '--grid', 'slow=20..200:5'],
      ...['--batch-variants', '4', '--progress', '--out', at('C.arrow'), '--report', at('C.md'), '--trades', at('C.json')],
    ];
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('GRIDTA_')) delete env[k];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      // The first progress line: Stage A has 398 batches of 4 variants to go.
      if (!sent && stderr.includes('% of the variant-bars')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(sent, stderr).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('gridta: compute_cancelled:');
    expect(readdirSync(dir).filter((f) => f.includes('C.'))).toEqual([]);
  });
});

describe('gridta strategies', () => {
  it('lists every template of the registry with its params and rules', () => {
    const r = cli(['strategies']);
    expect(r.code, r.stderr).toBe(0);
    for (const def of strategyRegistry.list()) expect(r.stdout).toContain(`${def.id} (${def.family}): ${def.title}\n`);
    expect(r.stdout).toContain('  fast int 2…2000 step 1 (default 5..50:5) — Window of the fast average.');
    expect(r.stdout).toContain('  constraints: fast < slow');
    expect(r.stdout).toContain(`${strategyRegistry.list().length} templates`);
  });

  it('--json prints the registry as one JSON array', () => {
    const r = cli(['strategies', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const defs = JSON.parse(r.stdout) as { id: string; params: { name: string }[] }[];
    expect(defs.map((d) => d.id)).toEqual(strategyRegistry.list().map((d) => d.id));
    expect(defs.find((d) => d.id === 'ma_cross')!.params.map((p) => p.name)).toEqual(['ma', 'source', 'fast', 'slow']);
  });

  it('refuses an argument (exit 2)', () => {
    const r = cli(['strategies', 'ma_cross']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gridta: usage: strategies takes no arguments; unexpected "ma_cross"');
  });
});
