/**
 * Every gridta error class. One base class with a stable lower-case `code` and a
 * JSON-safe `details` object whose keys appear in the documented order.
 */

export class GridtaError<D extends object = Record<string, unknown>> extends Error {
  readonly code: string;
  readonly details: D;
  constructor(code: string, message: string, details: D, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
    this.name = new.target.name;
  }
  toJSON(): { code: string; message: string; details: D } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

const show = (v: unknown): string => {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
    if (s !== undefined) return s;
  } catch {
    // a cycle, or a toJSON that throws: fall through to String
  }
  try {
    return String(v);
  } catch {
    // a null-prototype object has no toString: a message must still be built
    return Object.prototype.toString.call(v);
  }
};
export { show as formatValue };

export interface ConfigErrorDetails {
  key: string;
  source: string;
  value: unknown;
  expected: string;
  path?: string;
}
export class ConfigError extends GridtaError<ConfigErrorDetails> {
  constructor(details: ConfigErrorDetails, message?: string) {
    super(
      'config_invalid',
      message ?? `${details.key} from ${details.source} must be ${details.expected} (got ${show(details.value)})`,
      details,
    );
  }
}

export interface DefaultsValidationDetails {
  configPath: string;
  yamlPath: string;
  indicatorId: string | null;
  name: string | null;
  expected: string;
  actual: string;
}
export class DefaultsValidationError extends GridtaError<DefaultsValidationDetails> {
  constructor(details: DefaultsValidationDetails) {
    super(
      'defaults_invalid',
      `${details.configPath}: ${details.yamlPath} (indicator_id=${details.indicatorId ?? ''}, name=${details.name ?? ''}) expected ${details.expected}, got ${details.actual}`,
      details,
    );
  }
}

export interface RegistryDefinitionDetails {
  indicatorId: string;
  field: string;
  value: unknown;
  expected: string;
}
export class RegistryDefinitionError extends GridtaError<RegistryDefinitionDetails> {
  constructor(details: RegistryDefinitionDetails) {
    super('registry_invalid', `${details.indicatorId}: ${details.field} must be ${details.expected} (got ${show(details.value)})`, details);
  }
}

export type CandlesReason =
  | 'empty_instrument'
  | 'unsupported_timeframe'
  | 'empty'
  | 'wrong_dtype'
  | 'length_mismatch'
  | 'not_dense'
  | 'non_finite'
  | 'missing_column'
  | 'not_a_number'
  | 'bad_timestamp'
  | 'timeframe_required'
  | 'timeframe_not_inferred'
  | 'empty_range'
  | 'range_not_aligned'
  | 'duplicate_timestamp'
  | 'misaligned_timestamp'
  | 'unknown_key'
  | 'timeline_too_long'
  | 'duplicate_column'
  | 'file_unreadable'
  | 'non_positive_price'
  | 'bad_bar';
export interface CandlesValidationDetails {
  field: string;
  reason: CandlesReason;
  index?: number;
  line?: number;
  value?: unknown;
  expected?: unknown;
}
export class CandlesValidationError extends GridtaError<CandlesValidationDetails> {
  constructor(details: CandlesValidationDetails, explanation: string) {
    const where = details.line !== undefined ? ` at line ${details.line}` : details.index !== undefined ? ` at index ${details.index}` : '';
    const got = details.value !== undefined ? ` (got ${show(details.value)})` : '';
    super('candles_invalid', `${details.field}${where}: ${explanation}${got}`, details);
  }
}

export interface UnknownIndicatorDetails {
  indicatorId: string;
  suggestions: string[];
}
export class UnknownIndicatorError extends GridtaError<UnknownIndicatorDetails> {
  constructor(details: UnknownIndicatorDetails) {
    const hint = details.suggestions.length ? `; did you mean ${details.suggestions.join(', ')}?` : '';
    super('unknown_indicator', `unknown indicator ${show(details.indicatorId)}${hint}`, details);
  }
}

export type GridReason =
  | 'invalid_spec'
  | 'unknown_axis'
  | 'missing_axis'
  | 'source_required'
  | 'source_not_supported'
  | 'empty_values'
  | 'wrong_type'
  | 'not_integer'
  | 'non_finite'
  | 'duplicate_value'
  | 'below_min'
  | 'above_max'
  | 'not_allowed'
  | 'step_not_positive'
  | 'start_after_stop'
  | 'too_many_values'
  | 'step_not_multiple'
  | 'off_grid'
  | 'invalid_layout'
  | 'unknown_output'
  | 'invalid_guard'
  | 'variant_rule'
  | 'invalid_t'
  | 'time_range_empty'
  | 'time_range_misaligned'
  | 'shape_mismatch';
export interface GridValidationDetails {
  indicatorId: string;
  field: string;
  reason: GridReason | string;
  value: unknown;
  expected?: unknown;
}
export class GridValidationError<D extends object = GridValidationDetails> extends GridtaError<D> {
  constructor(details: GridValidationDetails, explanation: string);
  constructor(details: D, explanation: string, code: string, message: string);
  constructor(details: D, explanation: string, code?: string, message?: string) {
    const d = details as unknown as GridValidationDetails;
    super(code ?? 'grid_invalid', message ?? `${d.field}: ${explanation} (got ${show(d.value)})`, details);
  }
}

export interface VariantsGuardDetails {
  scope: 'compute' | 'batch';
  variants: number | string;
  maxVariants: number;
  limitSource: 'config' | 'request';
}
export class VariantsGuardExceeded extends GridValidationError<VariantsGuardDetails> {
  constructor(details: VariantsGuardDetails) {
    super(
      details,
      '',
      'max_variants_exceeded',
      `grid has ${details.variants} variants, over the ${details.limitSource} limit maxVariants=${details.maxVariants} (scope ${details.scope})`,
    );
  }
}

export type ComputeBudgetDetails =
  | {
      scope: 'compute';
      limit: 'bytes' | 'elements' | 'wasm_memory';
      t: number;
      variants: number;
      outputs: number;
      bytesOut: number;
      bytesTotalEst: number;
      maxComputeBytesTotal: number;
    }
  | {
      scope: 'batch';
      limit: 'bytes';
      t: number;
      totalVariants: number;
      bytesCandles: number;
      bytesOut: number;
      reserve: number;
      bytesTotalEst: number;
      maxComputeBytesTotal: number;
    }
  | { scope: 'export'; limit: 'bytes'; rows: number; bytesTotalEst: number; maxComputeBytesTotal: number }
  | {
      scope: 'backtest';
      limit: 'bytes' | 'wasm_memory';
      t: number;
      variants: number;
      series: number;
      bytesTotalEst: number;
      maxComputeBytesTotal: number;
    };
export class ComputeBudgetExceeded extends GridValidationError<ComputeBudgetDetails> {
  constructor(details: ComputeBudgetDetails, explanation?: string) {
    const msg =
      explanation ??
      (details.limit === 'elements'
        ? `one output would hold ${(details as { t: number }).t} x ${(details as { variants: number }).variants} values, over the 4294967295-element limit of one array`
        : `estimated ${details.bytesTotalEst} bytes (scope ${details.scope}) exceed maxComputeBytesTotal=${details.maxComputeBytesTotal}`);
    super(details, '', 'max_compute_bytes_exceeded', msg);
  }
}

export interface MissingInputSeriesDetails {
  indicatorId: string;
  missing: string[];
  required: string[];
  available: string[];
}
export class MissingInputSeriesError extends GridtaError<MissingInputSeriesDetails> {
  constructor(details: MissingInputSeriesDetails) {
    super(
      'missing_input_series',
      `${details.indicatorId} needs candle series ${details.missing.join(', ')} which the candles do not have (available: ${details.available.join(', ')})`,
      details,
    );
  }
}

export interface StrategyValidationDetails {
  /** Where the defect is, e.g. `rules.long_entry[1].params.window`, `execution.fee_bps`, `constraints[0]`. */
  path: string;
  value: unknown;
  expected: string;
}
/** Every defect of a strategy, a binding, a rule, a constraint or a backtest option. */
export class StrategyValidationError extends GridtaError<StrategyValidationDetails> {
  constructor(details: StrategyValidationDetails) {
    super('strategy_invalid', `${details.path}: expected ${details.expected} (got ${show(details.value)})`, details);
  }
}

export interface ComputeCancelledDetails {
  processed: number;
  total: number;
  reason: string;
}
export class ComputeCancelled extends GridtaError<ComputeCancelledDetails> {
  constructor(details: ComputeCancelledDetails) {
    super('compute_cancelled', `compute cancelled after ${details.processed}/${details.total} variants: ${details.reason}`, details);
  }
}

export interface WorkerCrashedDetails {
  indicatorId: string;
  batchIndex: number;
  variantStart: number;
  variantEnd: number;
  attempts: number;
  cause: 'exit' | 'error' | 'timeout';
  exitCode?: number;
}
export class WorkerCrashedError extends GridtaError<WorkerCrashedDetails> {
  constructor(details: WorkerCrashedDetails, options?: { cause?: unknown }) {
    super(
      'worker_crashed',
      `${details.indicatorId}: batch ${details.batchIndex} (variants ${details.variantStart}..${details.variantEnd - 1}) failed ${details.attempts} times (${details.cause})`,
      details,
      options,
    );
  }
}

export interface KernelErrorDetails {
  indicatorId: string;
  batchIndex: number;
  variantStart: number;
  variantEnd: number;
  message: string;
}
export class KernelError extends GridtaError<KernelErrorDetails> {
  constructor(details: KernelErrorDetails, options?: { cause?: unknown }) {
    super('kernel_error', `${details.indicatorId}: kernel failed in batch ${details.batchIndex}: ${details.message}`, details, options);
  }
}

export interface CacheUnavailableDetails {
  dir: string;
  operation: 'mkdir' | 'probe' | 'read' | 'write';
  errno: string;
}
export class CacheUnavailableError extends GridtaError<CacheUnavailableDetails> {
  constructor(details: CacheUnavailableDetails, options?: { cause?: unknown }) {
    super(
      'cache_unavailable',
      `cache dir ${details.dir} is unusable (${details.operation}: ${details.errno}) and cache_strict is on`,
      details,
      options,
    );
  }
}

export interface CompileErrorDetails {
  target: string;
  diagnostics: string;
}
export class CompileError extends GridtaError<CompileErrorDetails> {
  constructor(details: CompileErrorDetails, options?: { cause?: unknown }) {
    super('compile_failed', `compiling the ${details.target} kernels failed: ${details.diagnostics}`, details, options);
  }
}

export interface WarmupErrorDetails {
  phase: string;
  workerIndex?: number;
  cause: string;
}
export class WarmupError extends GridtaError<WarmupErrorDetails> {
  constructor(details: WarmupErrorDetails, options?: { cause?: unknown }) {
    super(
      'warmup_failed',
      `warmup failed in phase ${details.phase}${details.workerIndex !== undefined ? ` (worker ${details.workerIndex})` : ''}: ${details.cause}`,
      details,
      options,
    );
  }
}

// ---------------------------------------------------------------------------------------------
export interface OutputPathDetails {
  field: string;
  reason: 'no_directory' | 'not_writable' | 'is_a_directory';
  value: string;
}
/** An output path that cannot be written: its directory is missing or not writable, or it is a directory. Raised before computing. */
export class OutputPathError extends GridtaError<OutputPathDetails> {
  constructor(details: OutputPathDetails, explanation: string, options?: { cause?: unknown }) {
    super('output_invalid', `${details.field}: ${explanation} (got ${show(details.value)})`, details, options);
  }
}

// Scale-out jobs (gridta jobs / gridta worker)

export type JobInputReason =
  | 'not_found'
  | 'not_a_file'
  | 'no_data_files'
  | 'duplicate_instrument'
  | 'not_writable'
  | 'data_changed'
  | 'invalid_spec'
  | 'fs_timeout';
export interface JobInputDetails {
  field: string;
  reason: JobInputReason;
  value: unknown;
  expected?: unknown;
}
/** A job's input (data files, output directory, unit size) is unusable; raised before anything is enqueued. */
export class JobInputError extends GridtaError<JobInputDetails> {
  constructor(details: JobInputDetails, explanation: string, options?: { cause?: unknown }) {
    super('job_input_invalid', `${details.field}: ${explanation} (got ${show(details.value)})`, details, options);
  }
}

export interface JobsUnavailableDetails {
  dsn: string;
  cause: string;
}
/** PostgreSQL cannot be reached (or refused the connection) at the configured DSN (shown without its password). */
export class JobsUnavailableError extends GridtaError<JobsUnavailableDetails> {
  constructor(details: JobsUnavailableDetails, options?: { cause?: unknown }) {
    super('jobs_unavailable', `cannot reach PostgreSQL at ${details.dsn}: ${details.cause}`, details, options);
  }
}

export interface JobNotFoundDetails {
  jobId: string;
}
export class JobNotFoundError extends GridtaError<JobNotFoundDetails> {
  constructor(details: JobNotFoundDetails) {
    super('job_not_found', `no job ${show(details.jobId)} in this database`, details);
  }
}

export interface JobIncompleteDetails {
  jobId: string;
  instrumentId: string;
  reason: 'missing_units' | 'bad_unit_file' | 'checksum_mismatch' | 'missing_variants' | 'not_finished';
  missing: { unit: number; file: string }[];
  missingCount: number;
  total: number;
}
/** `collect` found a unit file missing or not the slice it should be. */
export class JobIncompleteError extends GridtaError<JobIncompleteDetails> {
  constructor(details: JobIncompleteDetails, explanation?: string) {
    super(
      'job_incomplete',
      explanation ??
        `job ${details.jobId} (${details.instrumentId}): ${details.missingCount} of ${details.total} unit files missing${details.missing.length ? ` (first: unit ${details.missing[0]!.unit}, ${details.missing[0]!.file})` : ''}`,
      details,
    );
  }
}

export interface StreamOrderDetails {
  /** What the call needs: a later bar (`push`) or the last bar again (`update`). */
  call: 'push' | 'update';
  /** tsOpen of the stream's last bar (epoch ms), null before its first bar. */
  lastTs: number | null;
  /** tsOpen of the refused bar (epoch ms). */
  tsOpen: number;
}
/** A streamed bar out of order: `push` needs a later bar than the last, `update` the last bar's time. */
export class StreamOrderError extends GridtaError<StreamOrderDetails> {
  constructor(details: StreamOrderDetails) {
    const want =
      details.call === 'push'
        ? `push needs a bar after the last one (tsOpen > ${details.lastTs})`
        : details.lastTs === null
          ? 'update needs a bar to replace, and the stream has none yet'
          : `update replaces the last bar (tsOpen = ${details.lastTs})`;
    super('stream_order', `${want}; got tsOpen ${details.tsOpen}`, details);
  }
}

export interface StreamSnapshotDetails {
  reason:
    | 'not_a_snapshot'
    | 'truncated'
    | 'checksum_mismatch'
    | 'newer_format'
    | 'other_build'
    | 'other_engine'
    | 'other_profile'
    | 'malformed';
  /** What was found, when it helps (a format number, a build key). */
  value?: unknown;
  expected?: unknown;
}
/** A stream snapshot `restoreStream` cannot vouch for: not one, cut short, altered, newer, from other kernels, or of another profile than asked. */
export class StreamSnapshotError extends GridtaError<StreamSnapshotDetails> {
  constructor(details: StreamSnapshotDetails, explanation: string) {
    super('stream_snapshot', `cannot restore the stream snapshot: ${explanation}`, details);
  }
}

export interface TensorReleasedDetails {
  indicatorId: string;
  /** The accessor called after release(). */
  method: string;
}
/** A tensor's data read after `release()` (or the end of a `using` block): its memory belongs to the engine again. */
export class TensorReleasedError extends GridtaError<TensorReleasedDetails> {
  constructor(details: TensorReleasedDetails) {
    super(
      'tensor_released',
      `${details.method}: this ${details.indicatorId} tensor was released; its memory may already hold another compute's outputs`,
      details,
    );
  }
}
