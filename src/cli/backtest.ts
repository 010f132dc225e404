/**
 * `gridta backtest` (a template or a custom strategy from a JSON file over a grid of params: Stage A
 * over every variant, the shortlist, its report table, optional metrics / report / trades files)
 * and `gridta strategies` (the template registry). Errors, exit codes, progress and Ctrl-C behave as
 * in `gridta compute`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileExtension } from '../arrow/candles.js';
import {
  checkExecution,
  checkFilters,
  checkHoldout,
  checkObjective,
  checkTop,
  type Filters,
  type Holdout,
  type Objective,
} from '../backtest/options.js';
import { METRIC_NAMES, type Execution, type MetricName } from '../backtest/program.js';
import { reportTableMd } from '../backtest/report.js';
import type { BacktestProgress, BacktestRequest, BacktestResult, ReplayResult } from '../backtest/run.js';
import type { Candles } from '../candles/types.js';
import { ComputeCancelled, StrategyValidationError } from '../errors.js';
import type { AxisInput } from '../grid/types.js';
import { suggestKey } from '../options.js';
import { createEngine } from '../runtime/engine.js';
import { DEFAULT_PROFILE, PROFILES, type Profile } from '../registry/types.js';
import { constraintsText, ruleText, strategyParamText } from '../strategies/docs.js';
import { strategyGrid } from '../strategies/compile.js';
import { strategyRegistry } from '../strategies/registry.js';
import type { StrategyParamDef, StrategySpec } from '../strategies/types.js';
import { UsageError, checkPositionals, engineOptions, parse, parseAxisSpec } from './args.js';
import { checkOutPath, DATA_FLAGS, interruptible, loadData, writeFilesAtomically, type PendingFile } from './io.js';

export const BACKTEST_USAGE = `usage: gridta backtest <template> --data FILE [--grid PARAM=SPEC ...] [options]
       gridta backtest --strategy FILE.json --data FILE [--grid PARAM=SPEC ...] [options]

  <template>             a strategy template id (gridta strategies lists them)
  --strategy FILE.json   a custom strategy { "id": "custom", "params", "constraints", "rules" }
                         (or a template request { "id", "params" }); --grid overrides its params' grids
  --grid PARAM=SPEC      5..50 (range, the param's hard step), 20..200:5, 10,20,30, ma.ema,ma.sma
  --side long|short|both   --fill next_open|close   --fee-bps N   --slippage-bps N   --annualization N
  --objective METRIC[:max|:min]   (default sharpe:max)
  --filter min_trades=N | max_drawdown=X | min_exposure=X | METRIC=LO..HI  (repeatable; LO or HI may be left out)
  --top N (default 10)   --holdout FRACTION | --holdout YYYY-MM-DD (score in-sample, report both parts)
  --profile gridta|talib the conventions the indicators are computed in (default: the engine's)
  --out FILE.arrow       the Stage A metrics table (one row per variant)
  --report FILE.md       the shortlist's report table
  --trades FILE.json     the shortlist's trades: [{ rank, variant, variant_key, params, trades[, out_of_sample_trades] }]
  --json                 one JSON summary on standard output   --progress  a progress line also off a terminal
  data flags as compute: --instrument ID --timeframe TF --timeline dense|sessions --ts-unit ms|s|us|ns --strict
`;

export const STRATEGIES_USAGE = `usage: gridta strategies [--json]
  every strategy template: id, title, params with hard bounds and default grid, constraints, rules
`;

/** The flags of a backtest request (the strategy file, execution, objective, filters, top, holdout), shared with `jobs submit-backtest`. */
export const BACKTEST_REQUEST_FLAGS = {
  strategy: { type: 'string' },
  side: { type: 'string' },
  fill: { type: 'string' },
  'fee-bps': { type: 'string' },
  'slippage-bps': { type: 'string' },
  annualization: { type: 'string' },
  objective: { type: 'string' },
  filter: { type: 'string', multiple: true },
  top: { type: 'string' },
  holdout: { type: 'string' },
  profile: { type: 'string' },
} as const;

const BACKTEST_FLAGS = {
  ...DATA_FLAGS,
  ...BACKTEST_REQUEST_FLAGS,
  out: { type: 'string' },
  report: { type: 'string' },
  trades: { type: 'string' },
  progress: { type: 'boolean' },
} as const;

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A flag that must be a number (its range is the engine's to check). */
function numberFlag(flag: string, v: string): number {
  if (!NUMBER_RE.test(v.trim())) throw new UsageError(`--${flag} must be a number (got ${JSON.stringify(v)})`);
  return Number(v);
}

/** `--grid PARAM=SPEC` flags over a strategy's params: ranges step by the param's hard step (1 without one). */
function gridInputs(params: readonly StrategyParamDef[], flags: readonly string[], owner: string): Record<string, AxisInput> {
  const out: Record<string, AxisInput> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`--grid expects PARAM=SPEC (got ${JSON.stringify(f)})`);
    const name = f.slice(0, eq).trim();
    const p = params.find((x) => x.name === name);
    out[name] = parseAxisSpec(owner, name, f.slice(eq + 1), p?.step ?? 1);
  }
  return out;
}

const readJson = async (file: string): Promise<unknown> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new StrategyValidationError({ path: 'strategy', value: file, expected: `a readable JSON file (${(e as Error).message})` });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new StrategyValidationError({ path: 'strategy', value: file, expected: `a JSON document (${(e as Error).message})` });
  }
};

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The strategy the command names: a template id with its --grid axes, or the JSON file of --strategy with them applied. */
export async function strategyOf(values: Record<string, unknown>, positionals: readonly string[]): Promise<StrategySpec> {
  const flags = (values.grid as string[] | undefined) ?? [];
  const file = values.strategy as string | undefined;
  if (file !== undefined) {
    if (positionals.length > 0)
      throw new UsageError(
        `backtest takes a template id or --strategy FILE, not both (got ${JSON.stringify(positionals[0])} and --strategy)`,
      );
    const body = await readJson(file);
    if (!isObject(body)) throw new StrategyValidationError({ path: 'strategy', value: file, expected: 'a JSON object { id, ... }' });
    if (body.id !== 'custom') {
      const def = strategyRegistry.get(body.id as string);
      const given = isObject(body.params) ? body.params : {};
      return { ...body, params: { ...given, ...gridInputs(def.params, flags, def.id) } } as StrategySpec;
    }
    if (flags.length === 0) return body as unknown as StrategySpec;
    // A custom strategy's params carry their grid as `default`: --grid replaces it.
    const params = Array.isArray(body.params) ? (body.params as StrategyParamDef[]) : [];
    const grids = gridInputs(params, flags, 'custom');
    for (const name of Object.keys(grids)) {
      if (!params.some((p) => isObject(p) && p.name === name)) {
        const names = params.map((p) => String(p.name));
        const hint = suggestKey(name, names);
        const expected = `a param of the custom strategy, one of ${names.join(', ') || '(none)'}${hint ? `; did you mean ${hint}?` : ''}`;
        throw new StrategyValidationError({ path: `params.${name}`, value: name, expected });
      }
    }
    return {
      ...body,
      params: params.map((p) => (isObject(p) && p.name in grids ? { ...p, default: grids[p.name]! } : p)),
    } as unknown as StrategySpec;
  }
  const id = positionals[0];
  if (!id) throw new UsageError('backtest needs a strategy template id or --strategy FILE.json');
  checkPositionals('backtest', positionals, 1);
  const def = strategyRegistry.get(id);
  return { id: def.id, params: gridInputs(def.params, flags, def.id) };
}

function executionOf(values: Record<string, unknown>): Partial<Execution> {
  const v = values as Record<string, string | undefined>;
  const e: Record<string, unknown> = {};
  if (v.side !== undefined) e.side = v.side;
  if (v.fill !== undefined) e.fill = v.fill;
  if (v['fee-bps'] !== undefined) e.fee_bps = numberFlag('fee-bps', v['fee-bps']);
  if (v['slippage-bps'] !== undefined) e.slippage_bps = numberFlag('slippage-bps', v['slippage-bps']);
  if (v.annualization !== undefined) e.annualization = numberFlag('annualization', v.annualization);
  return e as Partial<Execution>;
}

/** `--objective sharpe`, `sharpe:max`, `max_drawdown:min`. */
function objectiveOf(flag: string | undefined): Objective | undefined {
  if (flag === undefined) return undefined;
  const [metric, direction, ...extra] = flag.split(':');
  if (extra.length > 0) throw new UsageError(`--objective expects METRIC[:max|:min] (got ${JSON.stringify(flag)})`);
  return { metric: metric!.trim() as MetricName, direction: (direction?.trim() ?? 'max') as 'max' | 'min' };
}

/** `--filter min_trades=10`, `max_drawdown=0.4`, `min_exposure=0.2`, `sharpe=0.5..` (a metric bound LO..HI, either side open). */
function filtersOf(flags: readonly string[] | undefined): Filters | undefined {
  if (!flags || flags.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`--filter expects NAME=VALUE (got ${JSON.stringify(f)})`);
    const name = f.slice(0, eq).trim();
    const value = f.slice(eq + 1).trim();
    const range = /^(.*?)\.\.(.*)$/.exec(value);
    if (range) {
      const bound = (s: string, open: number): number => (s.trim() === '' ? open : numberFlag(`filter ${name}`, s));
      out[name] = [bound(range[1]!, Number.NEGATIVE_INFINITY), bound(range[2]!, Number.POSITIVE_INFINITY)];
    } else if ((METRIC_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`--filter ${name}=${value}: a metric bound is LO..HI, either side may be left out (e.g. ${name}=${value}..)`);
    } else out[name] = numberFlag(`filter ${name}`, value);
  }
  return out as Filters;
}

/** `--holdout 0.3` (the last 30% of the valid bars) or `--holdout 2020-01-01` (the bars from that UTC date on). */
function holdoutOf(flag: string | undefined): Holdout | undefined {
  if (flag === undefined) return undefined;
  if (NUMBER_RE.test(flag.trim())) return { fraction: Number(flag) };
  const ts = /^\d{4}-\d{2}-\d{2}/.test(flag.trim()) ? Date.parse(flag.trim()) : Number.NaN;
  if (Number.isNaN(ts)) throw new UsageError(`--holdout must be a fraction (0.3) or a date (2020-01-01) (got ${JSON.stringify(flag)})`);
  return { fromTs: ts };
}

function topOf(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  if (!/^[0-9]+$/.test(flag.trim())) throw new UsageError(`--top must be a positive integer (got ${JSON.stringify(flag)})`);
  return Number(flag);
}

/** The flag a backtest option's error path came from, so the message names what the user typed. */
function flagOfPath(path: string): string | null {
  const exec: Record<string, string> = {
    'execution.side': '--side',
    'execution.fill': '--fill',
    'execution.fee_bps': '--fee-bps',
    'execution.slippage_bps': '--slippage-bps',
    'execution.annualization': '--annualization',
  };
  if (path in exec) return exec[path]!;
  if (path === 'objective' || path.startsWith('objective.')) return '--objective';
  if (path === 'top') return '--top';
  if (path === 'holdout' || path.startsWith('holdout.')) return '--holdout';
  if (path === 'profile') return '--profile';
  const filter = /^filters\.([^.[]+)/.exec(path);
  if (filter) return `--filter ${filter[1]}`;
  return null;
}

/** A StrategyValidationError about an option, re-addressed to its flag; any other error unchanged. */
export function toFlagError(e: unknown): unknown {
  if (!(e instanceof StrategyValidationError)) return e;
  const flag = flagOfPath(e.details.path);
  return flag === null ? e : new StrategyValidationError({ ...e.details, path: flag });
}

const fmtRate = (x: number): string =>
  !Number.isFinite(x) ? String(x) : x >= 1e9 ? `${(x / 1e9).toFixed(2)} G` : x >= 1e6 ? `${(x / 1e6).toFixed(1)} M` : `${Math.round(x)}`;

/** The trades file: one entry per shortlisted variant in rank order. */
function tradesDocument(replays: readonly ReplayResult[]): string {
  const entries = replays.map((r, i) => {
    const trades = `{"rank":${i + 1},"variant":${r.variant},"variant_key":${JSON.stringify(r.key)},"params":${JSON.stringify(r.params)},"trades":${r.trades_json}`;
    return r.out_of_sample ? `${trades},"out_of_sample_trades":${r.out_of_sample.trades_json}}` : `${trades}}`;
  });
  return `[\n${entries.join(',\n')}\n]\n`;
}

const metricsOfVariant = (r: BacktestResult, v: number): Record<MetricName, number> =>
  Object.fromEntries(METRIC_NAMES.map((m) => [m, r.metrics[m][v]!])) as Record<MetricName, number>;

/** The --json document: what ran, the Stage A stats, the shortlist with params and metrics, the files written. */
function jsonSummary(
  result: BacktestResult,
  candles: Candles,
  replays: readonly ReplayResult[] | null,
  files: Record<string, { path: string; bytes: number }>,
): unknown {
  return {
    strategyId: result.strategyId,
    instrumentId: candles.instrumentId,
    timeframe: candles.timeframe,
    t: candles.t,
    variants: result.variants,
    axes: result.axes.map((a) => ({ name: a.name, kind: a.kind, values: a.values })),
    execution: result.execution,
    stats: result.stats,
    holdout: result.holdout ? { row: result.holdout.row, ts: new Date(result.holdout.ts).toISOString() } : null,
    shortlist: result.shortlist.map((s, i) => ({
      rank: s.rank,
      variant: s.variant,
      variant_key: s.key,
      params: s.params,
      metrics: metricsOfVariant(result, s.variant),
      ...(replays?.[i]?.out_of_sample ? { out_of_sample: { metrics: replays[i]!.out_of_sample!.metrics } } : {}),
    })),
    files,
  };
}

/** The human summary: what ran, Stage A's counts and speed, the shortlist's table (and its out-of-sample table with a holdout). */
function textSummary(result: BacktestResult, candles: Candles, table: string, replays: readonly ReplayResult[] | null): string {
  const s = result.stats;
  let text =
    `gridta backtest: ${result.strategyId} on ${candles.instrumentId} (${candles.timeframe}, ${candles.t} bars, ${s.validBars} valid scored)\n` +
    `  V=${s.stage_a_variants_total} variants, risk_total=${s.risk_total} passed the filters, preselect_used=${s.preselect_used}, shortlist ${result.shortlist.length}\n` +
    `  objective ${s.objective.metric}:${s.objective.direction}; ${s.profile === DEFAULT_PROFILE ? '' : `profile ${s.profile}, `}engine ${s.engine}, threads ${s.threads}, ${s.batches} batches; ` +
    `${s.totalMs} ms (indicator series ${s.seriesMs} ms, scoring ${s.scoreMs} ms), ${fmtRate(s.variantBarsPerSecond)} variant-bars/s\n`;
  if (!result.holdout || !replays) return `${text}\n${table}`;
  const at = new Date(result.holdout.ts).toISOString();
  text += `  holdout: scored and ranked in sample (before ${at}, row ${result.holdout.row}), reported on both parts\n`;
  const oos = replays.map((r, i) => ({ rank: i + 1, key: r.key, params: r.params, metrics: r.out_of_sample!.metrics }));
  return `${text}\nin sample:\n${table}\nout of sample:\n${reportTableMd(
    oos,
    result.axes.map((a) => a.name),
  )}`;
}

type OutputFlag = 'out' | 'report' | 'trades';

/** The output files the flags ask for; `--out` must be Arrow, and no two flags may name the same file. */
function outputsOf(values: Partial<Record<OutputFlag, string>>): { flag: OutputFlag; path: string }[] {
  const outputs: { flag: OutputFlag; path: string }[] = [];
  for (const flag of ['out', 'report', 'trades'] as const) if (values[flag] !== undefined) outputs.push({ flag, path: values[flag] });
  if (values.out !== undefined && !['.arrow', '.feather'].includes(fileExtension(values.out)))
    throw new UsageError(`--out must end in .arrow or .feather (got ${JSON.stringify(values.out)})`);
  for (const [i, o] of outputs.entries()) {
    const same = outputs.findIndex((x) => resolve(x.path) === resolve(o.path));
    if (same !== i) throw new UsageError(`--${outputs[same]!.flag} and --${o.flag} name the same file (${JSON.stringify(o.path)})`);
  }
  return outputs;
}

/**
 * The request's execution, objective, filters, top and holdout from their flags. The engine checks
 * them again; they are checked here too so a bad flag fails before the data is read, named by its flag.
 */
export function requestOptionsOf(
  values: Record<string, unknown>,
): Pick<BacktestRequest, 'execution' | 'objective' | 'filters' | 'top' | 'holdout' | 'profile'> {
  const v = values as Record<string, string | undefined>;
  const execution = executionOf(values);
  const objective = objectiveOf(v.objective);
  const filters = filtersOf(values.filter as string[] | undefined);
  const holdout = holdoutOf(v.holdout);
  const top = topOf(v.top);
  const profile = v.profile?.trim().toLowerCase();
  if (profile !== undefined && !(PROFILES as readonly string[]).includes(profile))
    throw new StrategyValidationError({ path: '--profile', value: v.profile, expected: `one of ${PROFILES.join(', ')}` });
  try {
    checkExecution(execution);
    checkObjective(objective);
    checkFilters(filters);
    checkTop(top);
    checkHoldout(holdout);
  } catch (e) {
    throw toFlagError(e);
  }
  return {
    execution,
    ...(objective ? { objective } : {}),
    ...(filters ? { filters } : {}),
    ...(top !== undefined ? { top } : {}),
    ...(holdout ? { holdout } : {}),
    ...(profile !== undefined ? { profile: profile as Profile } : {}),
  };
}

/** The progress line on standard error: on a terminal (rewritten in place) or with --progress, never with --json. */
function progressLine(label: string, values: { json?: boolean; progress?: boolean }) {
  if (values.json || !(values.progress === true || process.stderr.isTTY)) return null;
  const eol = process.stderr.isTTY ? '' : '\n';
  return {
    show(p: BacktestProgress, aborted: boolean): void {
      if (aborted) return;
      const pct = Math.round((100 * p.processed) / p.total);
      process.stderr.write(`\r${label}: ${pct}% of the variant-bars (${p.batchesDone}/${p.batchesTotal} batches)${eol}`);
    },
    end(): void {
      if (!eol) process.stderr.write('\n');
    },
  };
}

export async function runBacktestCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, BACKTEST_FLAGS);
  if (values.help) {
    process.stdout.write(BACKTEST_USAGE);
    return 0;
  }
  const outputs = outputsOf(values);
  if (!values.data) throw new UsageError('--data FILE is required');
  const options = requestOptionsOf(values);

  // Ctrl-C from here on: the first one cancels at the next batch boundary or file step, a second one
  // exits at once; either way no output file and no temporary file is left, and the exit is 130.
  const engineOpts = engineOptions(values);
  // Stage A's batch size: the flag's number when given (auto leaves the backtest's own default).
  const batchVariants = engineOpts.batchVariants;
  const engine = createEngine(engineOpts);
  let variants = 0;
  let scored = false;
  const cancelled = (): ComputeCancelled =>
    new ComputeCancelled({
      processed: scored ? variants : 0,
      total: variants,
      reason: `interrupted (Ctrl-C)${scored ? ' while writing the output' : ''}`,
    });
  const intr = interruptible(() => outputs.map((o) => o.path), cancelled);
  return intr.run(engine, async () => {
    for (const o of outputs) await checkOutPath(o.path, o.flag);
    const strategy = await strategyOf(values, positionals);
    // The strategy's own checks and its variant count come before the data is read.
    variants = strategyGrid(strategy).variants;
    const candles = await loadData(values);
    await intr.check();
    const progress = progressLine(strategy.id, values);
    const result = await engine
      .backtest({
        candles,
        strategy,
        ...options,
        ...(typeof batchVariants === 'number' ? { batchVariants } : {}),
        signal: intr.signal,
        ...(progress ? { onProgress: (p: BacktestProgress) => progress.show(p, intr.signal.aborted) } : {}),
      })
      .catch((e: unknown) => {
        throw toFlagError(e);
      });
    scored = true;
    await intr.check();
    progress?.end();

    const needReplay = values.trades !== undefined || result.holdout !== null;
    const replays = needReplay ? await result.replay() : null;
    const table = await result.reportTableMd();
    await intr.check();
    const pending: (PendingFile & { flag: string })[] = [];
    if (values.out !== undefined) pending.push({ flag: 'out', out: values.out, data: result.toArrowIPC({ format: 'file' }) });
    if (values.report !== undefined) pending.push({ flag: 'report', out: values.report, data: table });
    if (values.trades !== undefined) pending.push({ flag: 'trades', out: values.trades, data: tradesDocument(replays!) });
    const sizes = await writeFilesAtomically(pending, intr.signal, intr.check);
    const files = Object.fromEntries(pending.map((p, i) => [p.flag, { path: p.out, bytes: sizes[i]! }]));

    if (values.json) process.stdout.write(`${JSON.stringify(jsonSummary(result, candles, replays, files))}\n`);
    else {
      process.stdout.write(textSummary(result, candles, table, replays));
      for (const p of pending) process.stderr.write(`gridta backtest: wrote ${p.out} (${files[p.flag]!.bytes} bytes)\n`);
    }
    return 0;
  });
}

/** `gridta strategies [--json]`: the template registry. */
export async function runStrategiesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {});
  if (values.help) {
    process.stdout.write(STRATEGIES_USAGE);
    return 0;
  }
  checkPositionals('strategies', positionals, 0);
  const defs = strategyRegistry.list();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(defs)}\n`);
    return 0;
  }
  const lines: string[] = [];
  for (const d of defs) {
    lines.push(`${d.id} (${d.family}): ${d.title}`);
    for (const p of d.params) lines.push(`  ${strategyParamText(p)}${p.doc ? ` — ${p.doc}` : ''}`);
    lines.push(`  constraints: ${constraintsText(d)}`);
    lines.push(`  long entry: ${ruleText(d.rules.long_entry)}`, `  long exit:  ${ruleText(d.rules.long_exit)}`);
    lines.push(`  ${d.doc}`, '');
  }
  lines.push(`${defs.length} templates; gridta backtest <id> --grid PARAM=SPEC replaces a param's default grid`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
