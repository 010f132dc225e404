/**
 * IndicatorTensor: the plain-data result of one compute — one dense float32 array
 * per materialised output, its layout and axes, the candles' timeline, metadata and the variant
 * helpers. Arrow export is delegated to injected exporters so the core never imports apache-arrow
 * (it is an optional peer, loaded only through `gridta/arrow`).
 */
import { GridtaError, GridValidationError, TensorReleasedError } from '../errors.js';
import type { IndicatorDef } from '../registry/index.js';
import { DEFAULT_PROFILE, type Profile } from '../registry/types.js';
import type { Axis, Layout } from '../grid/types.js';
import type { Timeframe } from '../grid/timeframe.js';
import { variantIndex as gridVariantIndex, variantValues as gridVariantValues } from '../grid/index.js';
import { tensorVariantKey, tensorVariantKeyPayload } from '../grid/keys.js';

export type { Layout } from '../grid/types.js';

export interface TensorMeta {
  readonly t: number;
  readonly variants: number;
  readonly outputs: number;
  readonly nanPolicy: 'propagate';
  /** Integer: Math.round of the wall time from the compute() call to resolution, excluding lazy warmup. */
  readonly computeMs: number;
  /** Time spent in a lazy warmup triggered by this compute, else 0. */
  readonly warmupMs: number;
  readonly engine: 'wasm-simd' | 'wasm-scalar' | 'reference';
  readonly threads: number;
  readonly batches: number;
  readonly batchVariants: number;
  /** Batch attempts in total (= batches unless a batch was retried). */
  readonly attempts: number;
  /** The materialised outputs listed in the definition's lookAhead. */
  readonly lookAheadOutputs: readonly string[];
  readonly instrumentId: string;
  readonly timeframe: Timeframe;
  readonly timeline: 'dense' | 'sessions';
  readonly start: number;
  readonly end: number;
  /** The profile of conventions the values were computed in (the request's, else the engine's). */
  readonly profile: Profile;
}

/** One output: `values` has length T * V in the tensor's layout. */
export interface TensorOutput {
  readonly name: string;
  readonly values: Float32Array;
}

/** Long-table Arrow export. `variants` is a list of variant indices or a half-open range `[start, end)`. */
export interface ArrowExportOptions {
  variants?: readonly number[] | { start: number; end: number };
  outputs?: readonly string[];
  includeVariantKey?: boolean;
}

export type ArrowIPCExportOptions = ArrowExportOptions & { format?: 'file' | 'stream' };

/**
 * `A` is the Arrow table type `toArrow` returns (apache-arrow's `Table` once the
 * exporters of `gridta/arrow` are injected); this layer does not know it.
 */
export interface IndicatorTensor<A = unknown> {
  readonly indicatorId: string;
  readonly layout: Layout;
  /** `[T, V]` for TIME_MAJOR, `[V, T]` for VARIANT_MAJOR. */
  readonly shape: readonly [number, number];
  readonly axes: readonly Axis[];
  /** Primary first. */
  readonly outputs: readonly TensorOutput[];
  /** `=== outputs[0].values`. */
  readonly values: Float32Array;
  /** The candles' timeline (the same array, not a copy). */
  readonly tsOpen: BigInt64Array;
  readonly meta: TensorMeta;

  /** Unknown name → GridValidationError `unknown_output`. */
  output(name: string): Float32Array;
  /** Element (t, v) of an output (default: `values`). Out-of-range indices → RangeError. */
  get(t: number, v: number, output?: string): number;
  /** The T values of variant v: a view for VARIANT_MAJOR, a copy for TIME_MAJOR. */
  series(v: number, output?: string): Float32Array;
  variantValues(v: number): Readonly<Record<string, number | string>>;
  variantIndex(values: Readonly<Record<string, number | string>>): number;
  variantKey(v: number): string;
  /** Computed on first call, then cached. */
  variantKeys(): readonly string[];
  variantKeyPayload(v: number): string;
  toArrow(opts?: ArrowExportOptions): A;
  toArrowIPC(opts?: ArrowIPCExportOptions): Uint8Array;
  /**
   * Hands the tensor's memory back to its engine, which reuses it for a later compute without `out`
   * (no fresh memory to touch). Afterwards the data accessors (`values`, `outputs[k].values`,
   * `output`, `get`, `series`, the Arrow exports) throw TensorReleasedError; shape, axes, meta and
   * keys stay readable. Idempotent. `using t = await engine.compute(...)` releases at the block's end.
   */
  release(): void;
  /** True once `release()` ran. */
  readonly released: boolean;
  [Symbol.dispose](): void;
}

/** What `gridta/arrow` provides; injected so `src/compute` never imports apache-arrow. */
export interface TensorExporters<A = unknown> {
  toArrow(t: IndicatorTensor<A>, opts?: ArrowExportOptions): A;
  toArrowIPC(t: IndicatorTensor<A>, opts?: ArrowIPCExportOptions): Uint8Array;
}

export interface TensorInit {
  readonly def: IndicatorDef;
  readonly axes: readonly Axis[];
  readonly layout: Layout;
  readonly t: number;
  readonly variants: number;
  /** Primary first; each of length t * variants. */
  readonly outputs: readonly TensorOutput[];
  readonly tsOpen: BigInt64Array;
  /** `profile` absent: the default profile. */
  readonly meta: Omit<TensorMeta, 'profile'> & { readonly profile?: Profile };
  /** The byte budget the Arrow export is sized against before it is built. */
  readonly maxComputeBytesTotal: number;
  /** Called once by `release()`: the engine takes the memory back. */
  readonly onRelease?: () => void;
}

/** Default `max_compute_bytes_total` (5 GiB): the export budget of tensors not built here. */
export const DEFAULT_MAX_COMPUTE_BYTES_TOTAL = 5_368_709_120;

/** Per-tensor internals that are not part of the public shape. */
interface TensorInternals {
  readonly def: IndicatorDef;
  readonly maxComputeBytesTotal: number;
}
const internals = new WeakMap<object, TensorInternals>();

/**
 * @internal The export byte budget of a tensor: the `maxComputeBytesTotal` it was created with, or
 * the default 5 GiB for an object that did not come from `createTensor`.
 */
export function tensorExportBudget(t: IndicatorTensor<unknown>): number {
  return internals.get(t)?.maxComputeBytesTotal ?? DEFAULT_MAX_COMPUTE_BYTES_TOTAL;
}

/** Thrown by `toArrow` / `toArrowIPC` of a tensor created without exporters. */
export class ArrowExportUnavailableError extends GridtaError<{ method: string; indicatorId: string }> {
  constructor(method: string, indicatorId: string) {
    super(
      'arrow_unavailable',
      `${method}: this tensor (${indicatorId}) was created without Arrow exporters; import { tensorToArrow, tensorToArrowIPC } from 'gridta/arrow' and call them with the tensor`,
      { method, indicatorId },
    );
  }
}

function invariant(ok: boolean, message: string): asserts ok {
  if (!ok) throw new TypeError(`createTensor: ${message}`);
}

function freezeAxes(axes: readonly Axis[]): readonly Axis[] {
  if (Object.isFrozen(axes) && axes.every((a) => Object.isFrozen(a) && Object.isFrozen(a.values))) return axes;
  return Object.freeze(
    axes.map((a) =>
      Object.freeze({
        name: a.name,
        kind: a.kind,
        values: Object.freeze([...(a.values as readonly (number | string)[])]) as readonly number[] | readonly string[],
      }),
    ),
  );
}

/**
 * Builds the frozen tensor of one compute. The output arrays are used as given (no copy); `init`
 * must be consistent (lengths t * variants, tsOpen of length t, variants = Π axis lengths) — a
 * mismatch is a gridta bug and throws TypeError.
 */
export function createTensor<A = unknown>(init: TensorInit, exporters?: TensorExporters<A>): IndicatorTensor<A> {
  checkInit(init);
  const { def, layout, tsOpen, meta } = init;
  const T = init.t;
  const V = init.variants;
  const indicatorId = def.id;
  const axes = freezeAxes(init.axes);
  let released = false;
  /** Every data accessor's entry: after release() the memory may hold another compute's outputs. */
  const live = (method: string): void => {
    if (released) throw new TensorReleasedError({ indicatorId, method });
  };
  const outputs = Object.freeze(
    init.outputs.map((o) =>
      Object.freeze({
        name: o.name,
        get values(): Float32Array {
          live(`outputs[${JSON.stringify(o.name)}].values`);
          return o.values;
        },
      }),
    ),
  );
  const byName = new Map<string, Float32Array>(init.outputs.map((o) => [o.name, o.values]));
  const outputNames = outputs.map((o) => o.name);
  const primary = init.outputs[0]!.values;
  const frozenMeta: TensorMeta = Object.freeze({
    ...meta,
    lookAheadOutputs: Object.freeze([...meta.lookAheadOutputs]),
    profile: meta.profile ?? DEFAULT_PROFILE,
  });
  const profile = frozenMeta.profile;
  const shape = Object.freeze(layout === 'TIME_MAJOR' ? [T, V] : [V, T]) as readonly [number, number];
  const timeMajor = layout === 'TIME_MAJOR';
  let keys: readonly string[] | undefined;

  const pick = (output: string | undefined, method: string): Float32Array => {
    live(method);
    if (output === undefined) return primary;
    const values = byName.get(output);
    if (values) return values;
    throw new GridValidationError(
      { indicatorId, field: 'outputs', reason: 'unknown_output', value: output, expected: outputNames },
      `${indicatorId} has no output ${JSON.stringify(output)} in this tensor (outputs: ${outputNames.join(', ')})`,
    );
  };
  const checkV = (v: number, what: string): void => {
    if (!Number.isInteger(v) || v < 0 || v >= V)
      throw new RangeError(`${what}: variant index must be an integer in [0, ${V}) (got ${String(v)})`);
  };
  const checkT = (t: number, what: string): void => {
    if (!Number.isInteger(t) || t < 0 || t >= T)
      throw new RangeError(`${what}: bar index must be an integer in [0, ${T}) (got ${String(t)})`);
  };

  const tensor: IndicatorTensor<A> = {
    indicatorId,
    layout,
    shape,
    axes,
    outputs,
    get values(): Float32Array {
      live('values');
      return primary;
    },
    tsOpen,
    meta: frozenMeta,

    output: (name: string): Float32Array => pick(name, 'output'),

    get(t: number, v: number, output?: string): number {
      checkT(t, 'get');
      checkV(v, 'get');
      const values = pick(output, 'get');
      return timeMajor ? values[t * V + v]! : values[v * T + t]!;
    },

    series(v: number, output?: string): Float32Array {
      checkV(v, 'series');
      const values = pick(output, 'series');
      if (!timeMajor) return values.subarray(v * T, (v + 1) * T);
      const out = new Float32Array(T);
      for (let t = 0, i = v; t < T; t++, i += V) out[t] = values[i]!;
      return out;
    },

    variantValues(v: number): Readonly<Record<string, number | string>> {
      checkV(v, 'variantValues');
      return gridVariantValues(axes, v);
    },

    variantIndex: (values: Readonly<Record<string, number | string>>): number => gridVariantIndex(indicatorId, axes, values),

    variantKey(v: number): string {
      checkV(v, 'variantKey');
      if (keys) return keys[v]!;
      return tensorVariantKey(def, axes, v, frozenMeta.instrumentId, frozenMeta.timeframe, profile);
    },

    variantKeys(): readonly string[] {
      if (!keys) {
        const all = new Array<string>(V);
        for (let v = 0; v < V; v++) all[v] = tensorVariantKey(def, axes, v, frozenMeta.instrumentId, frozenMeta.timeframe, profile);
        keys = Object.freeze(all);
      }
      return keys;
    },

    variantKeyPayload(v: number): string {
      checkV(v, 'variantKeyPayload');
      return tensorVariantKeyPayload(def, axes, v, frozenMeta.instrumentId, frozenMeta.timeframe, profile);
    },

    toArrow(opts?: ArrowExportOptions): A {
      live('toArrow');
      if (!exporters) throw new ArrowExportUnavailableError('toArrow', indicatorId);
      return exporters.toArrow(tensor, opts);
    },

    toArrowIPC(opts?: ArrowIPCExportOptions): Uint8Array {
      live('toArrowIPC');
      if (!exporters) throw new ArrowExportUnavailableError('toArrowIPC', indicatorId);
      return exporters.toArrowIPC(tensor, opts);
    },

    release(): void {
      if (released) return;
      released = true;
      init.onRelease?.();
    },

    get released(): boolean {
      return released;
    },

    [Symbol.dispose](): void {
      tensor.release();
    },
  };
  Object.freeze(tensor);
  internals.set(tensor, { def, maxComputeBytesTotal: init.maxComputeBytesTotal });
  return tensor;
}

/** The consistency `createTensor` relies on; a mismatch is a gridta bug (TypeError). */
function checkInit(init: TensorInit): void {
  const { layout, tsOpen, meta } = init;
  const T = init.t;
  const V = init.variants;
  invariant(layout === 'TIME_MAJOR' || layout === 'VARIANT_MAJOR', `unknown layout ${String(layout)}`);
  invariant(Number.isInteger(T) && T >= 1, `t must be a positive integer (got ${T})`);
  invariant(Number.isInteger(V) && V >= 1, `variants must be a positive integer (got ${V})`);
  invariant(init.outputs.length >= 1, 'at least one output is required');
  invariant(tsOpen instanceof BigInt64Array && tsOpen.length === T, `tsOpen must be a BigInt64Array of length ${T}`);
  let product = 1;
  for (const a of init.axes) product *= a.values.length;
  invariant(product === V, `variants (${V}) must equal the product of the axis lengths (${product})`);
  const names = new Set<string>();
  for (const o of init.outputs) {
    invariant(!names.has(o.name), `output ${o.name} is listed twice`);
    names.add(o.name);
    invariant(
      o.values instanceof Float32Array && o.values.length === T * V,
      `output ${o.name} must be a Float32Array of length t * variants = ${T * V} (got ${o.values?.length})`,
    );
  }
  invariant(
    meta.t === T && meta.variants === V && meta.outputs === init.outputs.length,
    `meta (t ${meta.t}, variants ${meta.variants}, outputs ${meta.outputs}) must match the tensor (${T}, ${V}, ${init.outputs.length})`,
  );
  invariant(Number.isFinite(init.maxComputeBytesTotal) && init.maxComputeBytesTotal > 0, 'maxComputeBytesTotal must be a positive number');
}
