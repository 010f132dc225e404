/** CLI plumbing shared by the commands: option parsing, axis specs, error printing and exit codes. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GridtaError } from '../errors.js';
import type { AxisSpec, GridSpec } from '../grid/types.js';
import { suggestKey } from '../options.js';
import { registry } from '../registry/index.js';
import type { GridtaOptions } from '../runtime/config.js';

export class UsageError extends Error {}

/** Flags every engine-creating command accepts; they become options (source `option`). */
export const CONFIG_FLAGS = {
  config: { type: 'string' },
  env: { type: 'string' },
  threads: { type: 'string' },
  'cache-dir': { type: 'string' },
  'cache-strict': { type: 'boolean' },
  engine: { type: 'string' },
  'max-compute-bytes-total': { type: 'string' },
  'max-variants-per-compute': { type: 'string' },
  'batch-variants': { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type Flags = NonNullable<ParseArgsConfig['options']>;
/** What `parse` hands to parseArgs for a command whose own flags are `O`. */
interface CommandArgs<O extends Flags> {
  args: string[];
  options: typeof CONFIG_FLAGS & O;
  allowPositionals: true;
  strict: true;
}
/** Parsed flags, typed by their definitions: `values[flag]` is a string, boolean or list, or undefined. */
export type Parsed<O extends Flags> = ReturnType<typeof parseArgs<CommandArgs<O>>>;

/**
 * Parses `argv` against the config flags plus a command's own; the result's `values` are typed by
 * the flag definitions (strings, booleans, string lists for `multiple` flags, undefined when absent).
 * An unknown flag is a usage error naming the closest known flag of the command.
 */
export function parse<const O extends Flags>(argv: string[], options: O): Parsed<O> {
  const config: CommandArgs<O> = { args: argv, options: { ...CONFIG_FLAGS, ...options }, allowPositionals: true, strict: true };
  try {
    return parseArgs(config);
  } catch (e) {
    const unknown = (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'--?([^'=]+)/.exec((e as Error).message) : null;
    if (unknown) {
      const known = Object.keys(config.options);
      const hint = suggestKey(unknown[1]!, known);
      throw new UsageError(
        `unknown option --${unknown[1]}${hint ? `; did you mean --${hint}?` : ` (options: ${known.map((k) => `--${k}`).join(' ')})`}`,
      );
    }
    throw new UsageError((e as Error).message);
  }
}

/** More positional arguments than a command takes is a usage error naming the first extra one. */
export function checkPositionals(command: string, positionals: readonly string[], max: number): void {
  if (positionals.length > max) {
    throw new UsageError(
      `${command} takes ${max === 0 ? 'no arguments' : max === 1 ? 'one argument' : `${max} arguments`}; unexpected ${JSON.stringify(positionals[max])}`,
    );
  }
}

const intFlag = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v.trim())) throw new UsageError(`--${name} must be a positive integer (got ${JSON.stringify(v)})`);
  return Number(v);
};

/** Config flags → engine options. Values stay as given; the config layer validates and names the source. */
export function engineOptions(values: Record<string, unknown>): GridtaOptions {
  const o: Record<string, unknown> = {};
  if (values.config !== undefined) o.configPath = values.config;
  if (values.env !== undefined) o.env = values.env;
  if (values.threads !== undefined) o.threads = values.threads === 'auto' ? 'auto' : intFlag('threads', values.threads as string);
  if (values['cache-dir'] !== undefined) o.cacheDir = values['cache-dir'];
  if (values['cache-strict'] !== undefined) o.cacheStrict = values['cache-strict'];
  if (values.engine !== undefined) o.engine = values.engine;
  if (values['max-compute-bytes-total'] !== undefined)
    o.maxComputeBytesTotal = intFlag('max-compute-bytes-total', values['max-compute-bytes-total'] as string);
  if (values['max-variants-per-compute'] !== undefined)
    o.maxVariantsPerCompute = intFlag('max-variants-per-compute', values['max-variants-per-compute'] as string);
  if (values['batch-variants'] !== undefined)
    o.batchVariants = values['batch-variants'] === 'auto' ? 'auto' : intFlag('batch-variants', values['batch-variants'] as string);
  if (values.profile !== undefined) o.profile = values.profile;
  return o as GridtaOptions;
}

const num = (s: string): number | string => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s.trim()) ? Number(s) : s.trim());

/**
 * Axis spec grammar: `A..B` range with the param's hard step, `A..B:S` range with
 * step S, `x,y,z` explicit list, a single value a one-value axis.
 */
export function parseAxisSpec(indicatorId: string, axis: string, spec: string, hardStep?: number): AxisSpec {
  const m = /^\s*([^:,]+?)\.\.([^:,]+?)(?::([^,]+))?\s*$/.exec(spec); // A and B may be decimals: 1.5..2.5:0.5
  if (m) {
    const start = num(m[1]!),
      stop = num(m[2]!);
    if (typeof start !== 'number' || typeof stop !== 'number') throw new UsageError(`--grid ${axis}=${spec}: a range needs numbers`);
    let step: number | string;
    if (m[3] !== undefined) step = num(m[3]);
    else if (hardStep !== undefined) step = hardStep;
    else {
      const def = registry.has(indicatorId) ? registry.get(indicatorId) : undefined;
      step = def?.params.find((p) => p.name === axis)?.step ?? 1;
    }
    if (typeof step !== 'number') throw new UsageError(`--grid ${axis}=${spec}: the step must be a number`);
    return { mode: 'range', start, stopIncl: stop, step };
  }
  const values = spec.split(',').map(num);
  if (values.some((v) => v === '')) throw new UsageError(`--grid ${axis}=${spec}: empty value in the list`);
  return { mode: 'explicit', values };
}

/** Collects repeated `--grid AXIS=SPEC` flags into a partial grid (axes left out take the YAML defaults). */
export function gridOverrides(indicatorId: string, flags: readonly string[]): Partial<GridSpec> {
  const params: Record<string, AxisSpec> = {};
  let source: AxisSpec | undefined;
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`--grid expects AXIS=SPEC (got ${JSON.stringify(f)})`);
    const axis = f.slice(0, eq).trim();
    const spec = parseAxisSpec(indicatorId, axis, f.slice(eq + 1));
    if (axis === 'source') source = spec;
    else params[axis] = spec;
  }
  return { ...(source ? { source } : {}), params };
}

/** Exit code of an error: 2 bad usage, 3 invalid input, 4 a guard exceeded, 130 cancelled, 1 anything else. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError) return 2;
  if (e instanceof GridtaError) {
    switch (e.code) {
      case 'max_variants_exceeded':
      case 'max_compute_bytes_exceeded':
        return 4;
      case 'config_invalid':
      case 'defaults_invalid':
      case 'candles_invalid':
      case 'unknown_indicator':
      case 'grid_invalid':
      case 'strategy_invalid':
      case 'missing_input_series':
      case 'kernel_unavailable':
      case 'job_input_invalid':
      case 'job_not_found':
      case 'output_invalid':
        return 3;
      case 'compute_cancelled':
        return 130;
      default:
        return 1;
    }
  }
  return 1;
}

/** Prints an error as `gridta: <code>: <message>` (or the JSON document with --json) and returns its exit code. */
export function reportError(e: unknown, json: boolean): number {
  const code = e instanceof UsageError ? 'usage' : e instanceof GridtaError ? e.code : 'internal_error';
  const message = e instanceof Error ? e.message : String(e);
  if (json) {
    const details = e instanceof GridtaError ? e.details : {};
    process.stdout.write(`${JSON.stringify({ error: { code, message, details } })}\n`);
  } else {
    process.stderr.write(`gridta: ${code}: ${message}\n`);
  }
  return exitCodeOf(e);
}
