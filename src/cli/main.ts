#!/usr/bin/env node
/** `gridta` command line: bench | compute | estimate | warmup | diagnose | cache | jobs | worker (runtime.md §8). */
import { rename, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { loadCandlesFile } from '../arrow/candles.js';
import { writeTensorCsv } from '../arrow/csv.js';
import { createEngine } from '../runtime/engine.js';
import { UsageError, engineOptions, gridOverrides, parse, reportError } from './args.js';
import { runBench } from './bench.js';

const USAGE = `usage: gridta <command> [options]

commands:
  bench      benchmark gridta against plain-JS loops and the JS peers, side by side (what npm start runs)
  compute    gridta compute <id> --data FILE --grid AXIS=SPEC ... --out FILE.arrow|FILE.csv
             [--layout time|variant] [--outputs a,b] [--instrument ID] [--timeframe TF]
             [--timeline dense|sessions] [--ts-unit ms|s|us|ns] [--variant-key] [--json]
  estimate   gridta estimate <id> --grid AXIS=SPEC ... (--t N | --data FILE) [--json]
  warmup     compile or load the kernels and exercise them; prints the warmup report
  diagnose   every setting with its source, CPUs, module cache, SIMD, warmup timings, versions
             [--json] [--export FILE] [--no-warmup]
  cache      gridta cache path | ls | verify [--fix] | clear   [--dir DIR] [--json]
  jobs       gridta jobs submit | status | ls | cancel | collect  (scale-out on PostgreSQL; gridta jobs --help)
  worker     gridta worker [--concurrency N] [--metrics-port P] [--metrics-host ADDR] [--dsn URL]  (claims and computes job units)

axis specs: 5..200 (range, hard step), 5..200:5 (range with step), 10,20,30 (list), close,hlc3 (sources)
config flags: --config FILE --env dev|test|prod --threads N|auto --cache-dir DIR --cache-strict
              --engine auto|wasm-simd|wasm-scalar|reference --max-compute-bytes-total N
              --max-variants-per-compute N --batch-variants N|auto
`;

const DATA_FLAGS = {
  data: { type: 'string' },
  grid: { type: 'string', multiple: true },
  instrument: { type: 'string' },
  timeframe: { type: 'string' },
  timeline: { type: 'string' },
  'ts-unit': { type: 'string' },
} as const;

async function loadData(values: Record<string, unknown>) {
  const file = values.data as string | undefined;
  if (!file) throw new UsageError('--data FILE is required');
  const timeline = values.timeline as string | undefined;
  if (timeline !== undefined && timeline !== 'dense' && timeline !== 'sessions') throw new UsageError(`--timeline must be dense or sessions (got ${JSON.stringify(timeline)})`);
  const instrumentId = (values.instrument as string | undefined) ?? basename(file, extname(file));
  return loadCandlesFile(file, {
    instrumentId,
    ...(values.timeframe ? { timeframe: values.timeframe as never } : {}),
    ...(timeline ? { timeline } : {}),
    ...(values['ts-unit'] ? { tsUnit: values['ts-unit'] as never } : {}),
  });
}

async function cmdCompute(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...DATA_FLAGS, out: { type: 'string' }, layout: { type: 'string' }, outputs: { type: 'string' }, 'variant-key': { type: 'boolean' },
  });
  if (values.help) { process.stdout.write(USAGE); return 0; }
  const id = positionals[0];
  if (!id) throw new UsageError('compute needs an indicator id');
  const out = values.out;
  if (!out) throw new UsageError('--out FILE.arrow or FILE.csv is required');
  const ext = extname(out).toLowerCase();
  if (!['.arrow', '.feather', '.csv'].includes(ext)) throw new UsageError(`--out must end in .arrow or .csv (got ${JSON.stringify(out)})`);
  const layout = values.layout === undefined ? undefined : values.layout === 'time' ? 'TIME_MAJOR' : values.layout === 'variant' ? 'VARIANT_MAJOR' : undefined;
  if (values.layout !== undefined && !layout) throw new UsageError(`--layout must be time or variant (got ${JSON.stringify(values.layout)})`);
  const engine = createEngine(engineOptions(values));
  try {
    const candles = await loadData(values);
    const grid = engine.defaultGrid(id, gridOverrides(id, values.grid ?? []));
    const ac = new AbortController();
    let interrupts = 0;
    const onSigint = (): void => {
      if (++interrupts > 1) process.exit(130);
      ac.abort(new Error('interrupted (Ctrl-C)'));
    };
    process.on('SIGINT', onSigint);
    const tty = !values.json && process.stderr.isTTY;
    const t0 = performance.now();
    const tensor = await engine.compute({
      candles, grid, ...(layout ? { layout } : {}),
      ...(values.outputs ? { outputs: values.outputs.split(',').map((s: string) => s.trim()) } : {}),
      signal: ac.signal,
      onProgress: tty ? (p) => process.stderr.write(`\r${id}: ${p.processed}/${p.total} variants (${Math.round((100 * p.processed) / p.total)}%)`) : undefined,
    }).finally(() => process.off('SIGINT', onSigint));
    if (tty) process.stderr.write('\n');
    let bytes: number;
    if (ext === '.csv') {
      bytes = (await writeTensorCsv(tensor, out, { includeVariantKey: values['variant-key'] ?? false })).bytes;
    } else {
      const ipc = tensor.toArrowIPC({ format: 'file', includeVariantKey: values['variant-key'] ?? false });
      const tmp = `${out}.tmp-${process.pid}`;
      await writeFile(tmp, ipc);
      await rename(tmp, out);
      bytes = ipc.length;
    }
    const ms = Math.round(performance.now() - t0);
    const summary = { indicatorId: tensor.indicatorId, instrumentId: candles.instrumentId, timeframe: candles.timeframe, t: tensor.meta.t, variants: tensor.meta.variants, outputs: tensor.outputs.map((o) => o.name), engine: tensor.meta.engine, threads: tensor.meta.threads, ms, bytes, out };
    if (values.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else process.stderr.write(`gridta compute: ${summary.indicatorId} on ${summary.instrumentId} (${summary.timeframe}): T=${summary.t} V=${summary.variants} outputs=${summary.outputs.join(',')} engine=${summary.engine} threads=${summary.threads} ${ms} ms, ${bytes} bytes -> ${out}\n`);
    return 0;
  } finally {
    await engine.close();
  }
}

async function cmdEstimate(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...DATA_FLAGS, t: { type: 'string' }, outputs: { type: 'string' } });
  if (values.help) { process.stdout.write(USAGE); return 0; }
  const id = positionals[0];
  if (!id) throw new UsageError('estimate needs an indicator id');
  const engine = createEngine(engineOptions(values));
  let horizon: number | Awaited<ReturnType<typeof loadData>>;
  if (values.t !== undefined) {
    if (!/^[0-9]+$/.test(values.t)) throw new UsageError(`--t must be a positive integer (got ${JSON.stringify(values.t)})`);
    horizon = Number(values.t);
  } else if (values.data) horizon = await loadData(values);
  else throw new UsageError('estimate needs --t N or --data FILE');
  const grid = engine.defaultGrid(id, gridOverrides(id, values.grid ?? []));
  const est = engine.estimate(grid, horizon, { throwOnGuard: false, ...(values.outputs ? { outputs: values.outputs.split(',') } : {}) });
  if (values.json) process.stdout.write(JSON.stringify(est) + '\n');
  else {
    const lines = [`${est.indicatorId}: T=${est.t} layout=${est.layout} outputs=${est.outputs.join(',')}`];
    for (const a of est.axes) lines.push(`  axis ${a.name} (${a.kind}): ${a.values.length} values${a.values.length <= 8 ? ` [${a.values.join(', ')}]` : ` [${a.values.slice(0, 3).join(', ')}, …, ${a.values[a.values.length - 1]}]`}`);
    lines.push(`  variants ${est.variants}  (limit ${est.maxVariants}: ${est.variants <= est.maxVariants ? 'ok' : 'REFUSED'})`);
    lines.push(`  bytesOut ${est.bytesOut}  bytesTotalEst ${est.bytesTotalEst}  (limit ${est.maxComputeBytesTotal}: ${est.bytesTotalEst <= est.maxComputeBytesTotal ? 'ok' : 'REFUSED'})`);
    if (!est.withinGuards && est.variants <= est.maxVariants && est.bytesTotalEst <= est.maxComputeBytesTotal) {
      lines.push('  REFUSED: the compute would not fit one WebAssembly memory (4 GiB with its input series and scratch) or one output array; split the grid');
    }
    process.stdout.write(lines.join('\n') + '\n');
  }
  await engine.close();
  return est.withinGuards ? 0 : 4;
}

async function cmdWarmup(argv: string[]): Promise<number> {
  const { values } = parse(argv, {});
  if (values.help) { process.stdout.write(USAGE); return 0; }
  const engine = createEngine(engineOptions(values));
  const report = await engine.warmup();
  if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
  else {
    const tm = report.timings;
    process.stdout.write([
      `gridta warmup: ok, engine ${report.requestedEngine} -> ${report.engine}, threads ${report.threads}`,
      `cache   ${report.cache.source}${report.cache.key ? ` key ${report.cache.key.slice(0, 12)}` : ''} dir ${report.cache.dir}${report.cache.wrote ? ' (wrote entry)' : ''}`,
      ...Object.entries(tm).map(([k, v]) => `${k.padEnd(14)} ${Math.round(v)} ms`),
      `kernels ${report.kernels.length} exercised`,
    ].join('\n') + '\n');
  }
  await engine.close();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const json = rest.includes('--json');
  try {
    switch (cmd) {
      case 'bench': return await runBench(rest);
      case 'compute': return await cmdCompute(rest);
      case 'estimate': return await cmdEstimate(rest);
      case 'warmup': return await cmdWarmup(rest);
      case 'cache': return await (await import('./cache.js')).runCache(rest);
      case 'diagnose': return await (await import('./diagnose.js')).runDiagnose(rest);
      case 'jobs': return await (await import('./jobs.js')).runJobs(rest);
      case 'worker': return await (await import('./worker.js')).runWorker(rest);
      case undefined: case 'help': case '--help': case '-h':
        process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
    }
  } catch (e) {
    return reportError(e, json);
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
