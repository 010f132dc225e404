/** Hand-built tensors for the tensor, Arrow export and CSV export tests. */
import { registry } from '../../src/registry/index.js';
import type { Axis, Layout } from '../../src/grid/types.js';
import { createTensor, type IndicatorTensor, type TensorExporters, type TensorInit, type TensorMeta } from '../../src/compute/tensor.js';

export const TS0 = 1_700_000_000_000;
export const STEP_1M = 60_000;

/** `ma.sma` with source [open, close] × window [20, 10]: V = 4, 0 → (open, 20) ... 3 → (close, 10). */
export const SMA_AXES: readonly Axis[] = [
  { name: 'source', kind: 'source', values: ['open', 'close'] },
  { name: 'window', kind: 'int', values: [20, 10] },
];

/** `volatility.bbands` with mult [1.5, 2] × source [close, hlc3] × window [10, 20]: V = 8. */
export const BBANDS_AXES: readonly Axis[] = [
  { name: 'mult', kind: 'float', values: [1.5, 2] },
  { name: 'source', kind: 'source', values: ['close', 'hlc3'] },
  { name: 'window', kind: 'int', values: [10, 20] },
];

/** A known value for (output k, bar t, variant v): 100k + 10v + t + 0.25, NaN at t = 0 of variant 1. */
export function knownValue(k: number, t: number, v: number): number {
  if (t === 0 && v === 1) return NaN;
  return Math.fround(100 * k + 10 * v + t + 0.25);
}

export interface FixtureOptions {
  readonly indicatorId?: string;
  readonly axes?: readonly Axis[];
  readonly layout?: Layout;
  readonly t?: number;
  /** Output names, in tensor order (default: every output of the definition). */
  readonly outputs?: readonly string[];
  readonly value?: (k: number, t: number, v: number) => number;
  readonly maxComputeBytesTotal?: number;
  readonly exporters?: TensorExporters<unknown>;
  readonly meta?: Partial<TensorMeta>;
}

/** Builds a tensor whose element (t, v) of output k is `value(k, t, v)`, in the requested layout. */
export function makeTensor(o: FixtureOptions = {}): IndicatorTensor<unknown> {
  const def = registry.get(o.indicatorId ?? 'ma.sma');
  const axes = o.axes ?? SMA_AXES;
  const layout = o.layout ?? 'TIME_MAJOR';
  const T = o.t ?? 3;
  const V = axes.reduce((n, a) => n * a.values.length, 1);
  const names = o.outputs ?? def.outputs;
  const value = o.value ?? knownValue;
  const outputs = names.map((name, k) => {
    const values = new Float32Array(T * V);
    for (let t = 0; t < T; t++) {
      for (let v = 0; v < V; v++) values[layout === 'TIME_MAJOR' ? t * V + v : v * T + t] = value(k, t, v);
    }
    return { name, values };
  });
  const tsOpen = new BigInt64Array(T);
  for (let t = 0; t < T; t++) tsOpen[t] = BigInt(TS0 + t * STEP_1M);
  const meta: TensorInit['meta'] = {
    t: T,
    variants: V,
    outputs: outputs.length,
    nanPolicy: 'propagate',
    computeMs: 3,
    warmupMs: 0,
    engine: 'reference',
    threads: 1,
    batches: 1,
    batchVariants: V,
    attempts: 1,
    lookAheadOutputs: def.lookAhead.filter((n) => names.includes(n)),
    instrumentId: '1:BTCUSDT',
    timeframe: '1m',
    timeline: 'dense',
    start: TS0,
    end: TS0 + T * STEP_1M,
    ...o.meta,
  };
  return createTensor(
    {
      def,
      axes,
      layout,
      t: T,
      variants: V,
      outputs,
      tsOpen,
      meta,
      maxComputeBytesTotal: o.maxComputeBytesTotal ?? 5_368_709_120,
    },
    o.exporters,
  );
}

/** The bit pattern of a float32 value (NaNs compare by their bits too). */
export function bits(x: number): number {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0]!;
}
