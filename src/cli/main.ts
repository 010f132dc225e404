#!/usr/bin/env node
/** `gridta` command line: bench | compute | estimate | backtest | strategies | warmup | diagnose | cache | jobs | worker. */
import { fileExtension } from '../arrow/candles.js';
import { writeTensorCsv } from '../arrow/csv.js';
import { checkExportBudget, exportBytesPerRow } from '../arrow/export.js';
import { ComputeCancelled } from '../errors.js';
import { createEngine } from '../runtime/engine.js';
import type { IndicatorTensor } from '../index.js';
import { UsageError, checkPositionals, engineOptions, gridOverrides, parse, reportError } from './args.js';
import { checkOutPath, DATA_FLAGS, interruptible, loadData, writeFilesAtomically } from './io.js';

const USAGE = `usage: gridta <command> [options]

commands:
  bench      benchmark gridta against plain-JS loops and the JS peers, side by side (what npm start runs)
  compute    gridta compute <id> --data FILE --grid AXIS=SPEC ... --out FILE.arrow|FILE.csv
             [--layout time|variant] [--outputs a,b] [--instrument ID] [--timeframe TF]
             [--timeline dense|sessions] [--ts-unit ms|s|us|ns] [--strict] [--variant-key] [--progress] [--json]
  estimate   gridta estimate <id> --grid AXIS=SPEC ... (--t N | --data FILE [--strict]) [--json]
  backtest   gridta backtest <template> --data FILE --grid PARAM=SPEC ... [--side long|short|both] [--fill next_open|close]
             [--fee-bps N] [--slippage-bps N] [--objective METRIC[:max|:min]] [--filter NAME=VALUE ...] [--top N]
             [--holdout FRACTION|DATE] [--out FILE.arrow] [--report FILE.md] [--trades FILE.json] [--json]
             gridta backtest --strategy FILE.json --data FILE ...   (a custom strategy; gridta backtest --help)
  strategies the strategy templates: params, bounds, default grids, rules [--json]
  warmup     compile or load the kernels and exercise them; prints the warmup report
  diagnose   every setting with its source, CPUs, module cache, SIMD, warmup timings, versions
             [--json] [--export FILE] [--no-warmup]
  cache      gridta cache path | ls | verify [--fix] | clear   [--dir DIR] [--json]
  jobs       gridta jobs submit | status | ls | cancel | collect | serve  (scale-out on PostgreSQL; gridta jobs --help)
  worker     gridta worker [--concurrency N] [--metrics-port P] [--metrics-host ADDR] [--dsn URL]  (claims and computes job units)

axis specs: 5..200 (range, hard step), 5..200:5 (range with step), 10,20,30 (list), close,hlc3 (sources)
config flags: --config FILE --env dev|test|prod --threads N|auto --cache-dir DIR --cache-strict
              --engine auto|wasm-simd|wasm-scalar|reference --max-compute-bytes-total N
              --max-variants-per-compute N --batch-variants N|auto --profile gridta|talib
`;

/**
 * The bench's own entry (bench/cli.ts, built next to src/ under the package root): loaded by its path
 * at run time because the library never imports bench/ (the bench uses the library, not the reverse).
 */
const BENCH_ENTRY = new URL('../../bench/cli.js', import.meta.url).href;
interface BenchEntry {
  runBench(argv: string[]): Promise<number>;
}

/** `--layout time | variant` as a tensor layout; undefined when the flag is absent. */
function layoutFlag(flag: string | undefined): 'TIME_MAJOR' | 'VARIANT_MAJOR' | undefined {
  if (flag === undefined) return undefined;
  if (flag === 'time') return 'TIME_MAJOR';
  if (flag === 'variant') return 'VARIANT_MAJOR';
  throw new UsageError(`--layout must be time or variant (got ${JSON.stringify(flag)})`);
}

/** Writes the tensor as an Arrow IPC file through a temporary file renamed into place; returns its size in bytes. */
async function writeArrowFile(
  tensor: IndicatorTensor,
  out: string,
  includeVariantKey: boolean,
  signal: AbortSignal,
  check: () => Promise<void>,
): Promise<number> {
  const ipc = tensor.toArrowIPC({ format: 'file', includeVariantKey });
  await check();
  const [bytes] = await writeFilesAtomically([{ out, data: ipc }], signal, check);
  return bytes!;
}

async function cmdCompute(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...DATA_FLAGS,
    out: { type: 'string' },
    layout: { type: 'string' },
    outputs: { type: 'string' },
    'variant-key': { type: 'boolean' },
    progress: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const id = positionals[0];
  if (!id) throw new UsageError('compute needs an indicator id');
  checkPositionals('compute', positionals, 1);
  const out = values.out;
  if (!out) throw new UsageError('--out FILE.arrow or FILE.csv is required');
  const ext = fileExtension(out);
  if (!['.arrow', '.feather', '.csv'].includes(ext)) throw new UsageError(`--out must end in .arrow or .csv (got ${JSON.stringify(out)})`);
  const layout = layoutFlag(values.layout);
  const includeVariantKey = values['variant-key'] ?? false;
  const outputs = values.outputs ? values.outputs.split(',').map((s: string) => s.trim()) : undefined;
  // Ctrl-C from here to the end aborts: the first one at the next check (batch boundary, write chunk),
  // a second one at once; either way no output file and no temporary file is left, and the exit is 130.
  const engine = createEngine(engineOptions(values));
  let variants = 0;
  let processed = 0;
  const cancelled = (): ComputeCancelled =>
    new ComputeCancelled({ processed, total: variants, reason: `interrupted (Ctrl-C)${processed ? ' while writing the output' : ''}` });
  const intr = interruptible(() => [out], cancelled);
  return intr.run(engine, async () => {
    await checkOutPath(out);
    const candles = await loadData(values);
    await intr.check();
    const grid = engine.defaultGrid(id, gridOverrides(id, values.grid ?? []));
    const est = engine.estimate(grid, candles, { throwOnGuard: false, ...(outputs ? { outputs } : {}) });
    variants = est.variants;
    // The in-memory Arrow export has its own size guard: apply it to the planned shape before computing
    // (a shape the compute guards refuse is left to the compute, which names its own limit).
    if (ext !== '.csv' && est.withinGuards) {
      checkExportBudget(est.variants * est.t, exportBytesPerRow(est.axes, est.outputs.length, includeVariantKey), est.maxComputeBytesTotal);
    }
    const progress = !values.json && (values.progress === true || process.stderr.isTTY);
    const eol = process.stderr.isTTY ? '' : '\n';
    const showProgress = (processed: number, total: number): void => {
      if (!intr.signal.aborted)
        process.stderr.write(`\r${id}: ${processed}/${total} variants (${Math.round((100 * processed) / total)}%)${eol}`);
    };
    const t0 = performance.now();
    if (progress) showProgress(0, est.variants);
    const tensor = await engine.compute({
      candles,
      grid,
      ...(layout ? { layout } : {}),
      ...(outputs ? { outputs } : {}),
      signal: intr.signal,
      onProgress: progress ? (p) => showProgress(p.processed, p.total) : undefined,
    });
    processed = tensor.meta.variants;
    // A Ctrl-C during the last (synchronous) batch is dispatched only now: it still cancels.
    await intr.check();
    if (progress && !eol) process.stderr.write('\n');
    let bytes: number;
    if (ext === '.csv') {
      bytes = (await writeTensorCsv(tensor, out, { includeVariantKey }, { signal: intr.signal })).bytes;
    } else {
      bytes = await writeArrowFile(tensor, out, includeVariantKey, intr.signal, intr.check);
    }
    const ms = Math.round(performance.now() - t0);
    const summary = {
      indicatorId: tensor.indicatorId,
      instrumentId: candles.instrumentId,
      timeframe: candles.timeframe,
      t: tensor.meta.t,
      variants: tensor.meta.variants,
      outputs: tensor.outputs.map((o) => o.name),
      engine: tensor.meta.engine,
      threads: tensor.meta.threads,
      profile: tensor.meta.profile,
      ms,
      bytes,
      out,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else
      process.stderr.write(
        `gridta compute: ${summary.indicatorId} on ${summary.instrumentId} (${summary.timeframe}): T=${summary.t} V=${summary.variants} outputs=${summary.outputs.join(',')} engine=${summary.engine} threads=${summary.threads} profile=${summary.profile} ${ms} ms, ${bytes} bytes -> ${out}\n`,
      );
    return 0;
  });
}

async function cmdEstimate(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...DATA_FLAGS, t: { type: 'string' }, outputs: { type: 'string' } });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const id = positionals[0];
  if (!id) throw new UsageError('estimate needs an indicator id');
  checkPositionals('estimate', positionals, 1);
  const engine = createEngine(engineOptions(values));
  let horizon: number | Awaited<ReturnType<typeof loadData>>;
  if (values.t !== undefined) {
    if (!/^[0-9]+$/.test(values.t)) throw new UsageError(`--t must be a positive integer (got ${JSON.stringify(values.t)})`);
    horizon = Number(values.t);
  } else if (values.data) horizon = await loadData(values);
  else throw new UsageError('estimate needs --t N or --data FILE');
  const grid = engine.defaultGrid(id, gridOverrides(id, values.grid ?? []));
  const est = engine.estimate(grid, horizon, { throwOnGuard: false, ...(values.outputs ? { outputs: values.outputs.split(',') } : {}) });
  if (values.json) process.stdout.write(`${JSON.stringify(est)}\n`);
  else {
    const lines = [`${est.indicatorId}: T=${est.t} layout=${est.layout} outputs=${est.outputs.join(',')}`];
    for (const a of est.axes)
      lines.push(
        `  axis ${a.name} (${a.kind}): ${a.values.length} values${a.values.length <= 8 ? ` [${a.values.join(', ')}]` : ` [${a.values.slice(0, 3).join(', ')}, …, ${a.values[a.values.length - 1]}]`}`,
      );
    lines.push(`  variants ${est.variants}  (limit ${est.maxVariants}: ${est.variants <= est.maxVariants ? 'ok' : 'REFUSED'})`);
    lines.push(
      `  bytesOut ${est.bytesOut}  bytesTotalEst ${est.bytesTotalEst}  (limit ${est.maxComputeBytesTotal}: ${est.bytesTotalEst <= est.maxComputeBytesTotal ? 'ok' : 'REFUSED'})`,
    );
    if (!est.withinGuards && est.variants <= est.maxVariants && est.bytesTotalEst <= est.maxComputeBytesTotal) {
      lines.push(
        '  REFUSED: the compute would not fit one WebAssembly memory (4 GiB with its input series and scratch) or one output array; split the grid',
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  await engine.close();
  return est.withinGuards ? 0 : 4;
}

async function cmdWarmup(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {});
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  checkPositionals('warmup', positionals, 0);
  const engine = createEngine(engineOptions(values));
  const report = await engine.warmup();
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    const tm = report.timings;
    process.stdout.write(
      `${[
        `gridta warmup: ok, engine ${report.requestedEngine} -> ${report.engine}, threads ${report.threads}`,
        `cache   ${report.cache.source}${report.cache.key ? ` key ${report.cache.key.slice(0, 12)}` : ''} dir ${report.cache.dir}${report.cache.wrote ? ' (wrote entry)' : ''}`,
        ...Object.entries(tm).map(([k, v]) => `${k.padEnd(14)} ${Math.round(v)} ms`),
        `kernels ${report.kernels.length} exercised`,
      ].join('\n')}\n`,
    );
  }
  await engine.close();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    switch (cmd) {
      case 'bench':
        return await ((await import(BENCH_ENTRY)) as BenchEntry).runBench(rest);
      case 'compute':
        return await cmdCompute(rest);
      case 'estimate':
        return await cmdEstimate(rest);
      case 'warmup':
        return await cmdWarmup(rest);
      case 'backtest':
        return await (await import('./backtest.js')).runBacktestCommand(rest);
      case 'strategies':
        return await (await import('./backtest.js')).runStrategiesCommand(rest);
      case 'cache':
        return await (await import('./cache.js')).runCache(rest);
      case 'diagnose':
        return await (await import('./diagnose.js')).runDiagnose(rest);
      case 'jobs':
        return await (await import('./jobs.js')).runJobs(rest);
      case 'worker':
        return await (await import('./worker.js')).runWorker(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
    }
  } catch (e) {
    return reportError(e, json);
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
