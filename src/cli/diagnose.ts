/**
 * `gridta diagnose [--json] [--export FILE] [--no-warmup] [config flags...]`: the
 * diagnose document as an aligned text report or as JSON, optionally also written to a file
 * atomically. Exit code 0 for `ok` and `warnings`, 1 for `error`, 2 for bad usage.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { resolve } from 'node:path';
import { GridtaError } from '../errors.js';
import { diagnose, type DiagnoseDocument, type DiagnoseSetting, type LookupTier } from '../runtime/diagnose.js';
import { UsageError, engineOptions, parse, reportError } from './args.js';

const USAGE = `usage: gridta diagnose [--json] [--export FILE] [--no-warmup] [config flags...]

Reports every setting with the layer it came from, CPUs and threads, the module cache, WebAssembly
support, a warmup (unless --no-warmup) and versions. --export FILE also writes the JSON document to
FILE. Exit code 0 for ok and warnings, 1 for error, 2 for bad usage.

config flags: --config FILE --env dev|test|prod --threads N|auto --cache-dir DIR --cache-strict
              --engine auto|wasm-simd|wasm-scalar|reference --max-compute-bytes-total N
              --max-variants-per-compute N --batch-variants N|auto --profile gridta|talib
`;

class ExportError extends GridtaError<{ file: string; errno: string }> {
  constructor(file: string, errno: string, options?: { cause?: unknown }) {
    super('export_failed', `cannot write ${file} (${errno})`, { file, errno }, options);
  }
}

/** Temporary file in the same directory, flushed, then renamed over FILE. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const path = resolve(file);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    const fh = await fsp.open(tmp, 'wx');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw new ExportError(path, (e as NodeJS.ErrnoException).code ?? 'EIO', { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------
// Text report

const show = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '—' : JSON.stringify(v));

function settingValue(s: DiagnoseSetting): string {
  if (s.error !== undefined) return typeof s.value === 'string' ? JSON.stringify(s.value) : show(s.value);
  const value = show(s.value);
  return s.effective === undefined || show(s.effective) === value ? value : `${value} → ${show(s.effective)}`;
}

function settingSource(s: DiagnoseSetting): string {
  const detail = s.detail !== undefined ? ` (${s.detail})` : '';
  return `${s.source}${detail}${s.error !== undefined ? '  ← invalid' : ''}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 2)))
      .join('')
      .trimEnd(),
  );
}

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

const quotaText = (q: number | null): string =>
  q === null ? 'none' : Number.isInteger(q) ? q.toFixed(1) : String(Math.round(q * 100) / 100);
const where = (tier: LookupTier, active: boolean): string =>
  tier !== 'missing' ? `found in ${tier}` : active ? 'missing (the next start compiles)' : 'missing';
const label = (name: string): string => name.padEnd(11);
const ms = (x: number): string => String(Math.round(x));

export function formatDiagnose(doc: DiagnoseDocument): string {
  const lines = [`gridta diagnose — status: ${doc.status}`];
  lines.push(...table([['setting', 'value', 'source'], ...doc.settings.map((s) => [s.name, settingValue(s), settingSource(s)])]));

  const cpu = doc.cpu;
  lines.push(
    `${label('cpu')}os ${cpu.osAvailableParallelism}, cgroup quota ${quotaText(cpu.cgroupQuota)}, available ${cpu.available}, effective threads ${cpu.threadsEffective ?? '—'}` +
      (cpu.threadsEffective !== null && cpu.threadsEffective > cpu.available ? ' (over-subscribed)' : ''),
  );

  const c = doc.cache;
  if (c) {
    const parts = [
      c.dir,
      c.exists ? 'exists' : 'missing',
      c.writable ? 'writable' : 'NOT writable',
      ...(c.strict ? ['strict'] : []),
      `${c.entries} ${c.entries === 1 ? 'entry' : 'entries'}`,
      bytesText(c.bytes),
      `corrupt ${c.corrupt}`,
      `orphans ${c.orphans}`,
      ...(c.tempFiles ? [`temp files ${c.tempFiles}`] : []),
    ];
    lines.push(`${label('cache')}${parts.join('  ')}`);
    const key = (k: string | null): string => (k === null ? '—' : `${k.slice(0, 12)}…`);
    const active = doc.wasm.engine ?? (doc.wasm.requestedEngine === 'auto' ? null : doc.wasm.requestedEngine);
    lines.push(
      `${label('')}simd key ${key(c.keys.simd)}  ${where(c.lookup.simd, active === 'wasm-simd')}; ` +
        `scalar key ${key(c.keys.scalar)}  ${where(c.lookup.scalar, active === 'wasm-scalar')}`,
    );
    lines.push(`${label('')}bundled ${c.bundledDir}  ${c.bundledEntries} ${c.bundledEntries === 1 ? 'entry' : 'entries'}`);
  } else {
    lines.push(`${label('cache')}— (cacheDir could not be resolved)`);
  }

  const w = doc.wasm;
  const engine =
    w.requestedEngine === null
      ? '— (not resolved)'
      : w.engine === null
        ? `${w.requestedEngine} (not decided: warmup failed)`
        : w.engine === w.requestedEngine
          ? w.engine
          : `${w.requestedEngine} → ${w.engine}`;
  lines.push(
    `${label('wasm')}${w.enabled ? 'enabled' : 'disabled'}, SIMD ${w.simdSupported ? 'supported' : 'not supported'}, engine ${engine}`,
  );

  const wu = doc.warmup;
  if (wu.status === 'ok') {
    const t = wu.timings;
    lines.push(
      `${label('warmup')}ok  total ${ms(t.totalMs)} ms (compile ${ms(t.compileMs)}, wasmCompile ${ms(t.wasmCompileMs)}, exercise ${ms(t.exerciseMs)}, workers ${ms(t.workersMs)})` +
        `  ${wu.cacheSource === 'none' ? 'no module' : `module from ${wu.cacheSource}`}, ` +
        `${wu.workers.length === 0 ? 'in-process' : `${wu.workers.length} ${wu.workers.length === 1 ? 'worker' : 'workers'}`}`,
    );
  } else if (wu.status === 'skipped') {
    lines.push(`${label('warmup')}skipped (--no-warmup)`);
  } else {
    lines.push(`${label('warmup')}failed  ${wu.error.code}: ${wu.error.message}`);
  }

  const v = doc.versions;
  lines.push(
    `${label('versions')}gridta ${v.gridta}, node ${v.node}, v8 ${v.v8}, assemblyscript ${v.assemblyscript}, piscina ${v.piscina}, apache-arrow ${v.apacheArrow}, ${v.platform} ${v.arch}`,
  );
  for (const x of doc.warnings) lines.push(`${label('warning')}${x.code}: ${x.message}`);
  if (doc.error) lines.push(`${label('error')}${doc.error.code}: ${doc.error.message}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------

export async function runDiagnose(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { export: { type: 'string' }, 'no-warmup': { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length) throw new UsageError(`diagnose takes no arguments (got ${JSON.stringify(positionals[0])})`);
  const exportFile = values.export as string | undefined;
  if (exportFile !== undefined && exportFile.trim() === '') throw new UsageError('--export needs a file name');
  const doc = await diagnose({ ...engineOptions(values), warmup: !values['no-warmup'] });
  const code = doc.status === 'error' ? 1 : 0;
  const json = values.json === true;
  if (exportFile !== undefined) {
    try {
      await writeAtomic(exportFile, `${JSON.stringify(doc, null, 2)}\n`);
    } catch (e) {
      // the report still matters: print it, then the export failure (with --json only the error)
      if (!json) process.stdout.write(formatDiagnose(doc));
      return Math.max(reportError(e, json), code);
    }
  }
  process.stdout.write(json ? `${JSON.stringify(doc)}\n` : formatDiagnose(doc));
  return code;
}
