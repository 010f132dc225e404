/**
 * The resume contract of docs/kernel-state.md, exercised on one kernel: a run split into calls of
 * given lengths, the first starting the series and the rest resumed, each call in conditions that
 * expose a kernel breaking the contract:
 * - its inputs are only the declared history rows before the call's first row, preceded by finite
 *   garbage (a read further back, or before bar 0, changes the result);
 * - its outputs go to a fresh region filled with a garbage pattern (a read of an earlier output row
 *   reads garbage, a row not written stays garbage);
 * - its state is only the declared leading scratch bytes, copied to the other of two scratch regions
 *   between calls, whose remaining bytes are garbage (state kept past `stateBytes`, or a pointer
 *   into scratch, changes the result).
 * Returns the rows of all calls in TIME_MAJOR order, as `runKernel` (test/helpers/oracle.ts) does.
 */
import type { Axis } from '../../src/grid/types.js';
import type { IndicatorDef, Profile, SourceSeries } from '../../src/registry/types.js';
import { axisStrides, axisValueAt } from '../../src/compute/plan.js';
import {
  FRAME_BYTES,
  FRAME_OUT,
  FRAME_RESUME,
  FRAME_SRC,
  FRAME_PROFILE,
  FRAME_T0,
  FRAME_WORDS,
  profileCode,
  SERIES_SLOT,
  type KernelFn,
} from '../../src/compute/kernels.js';
import { bundledModules, sourceOf, type Target } from './oracle.js';
import type { TestSeries } from './series.js';

const GARBAGE_U32 = 0x5a5a5a5a;
/** A finite price-like value: a kernel reading a row it must not read sees a plausible number. */
const GARBAGE_F32 = 4321.5;
const align = (x: number): number => Math.ceil(x / 64) * 64;

/** The largest value of each numeric param over `variants` of `axes`. */
export function paramMaxima(def: IndicatorDef, axes: readonly Axis[], variants: readonly number[]): Record<string, number> {
  const strides = axisStrides(axes);
  const max: Record<string, number> = {};
  for (const name of def.kernel!.params) {
    const k = axes.findIndex((a) => a.name === name);
    max[name] = Math.max(...variants.map((v) => axisValueAt(axes, strides, k, v) as number));
  }
  return max;
}

/**
 * Runs variants `first … first + n − 1` of `axes` (one source value) over the series in calls of the
 * given lengths (summing to the series' length). Returns one Uint32Array per kernel slot of
 * `outputs`, t × n values, TIME_MAJOR.
 */
export function runResumed(
  def: IndicatorDef,
  axes: readonly Axis[],
  s: TestSeries,
  target: Target,
  first: number,
  n: number,
  lengths: readonly number[],
  outputs: readonly string[] = def.outputs,
  profile: Profile = 'gridta',
): Uint32Array[] {
  const kernel = def.kernel!;
  const resume = kernel.resume!;
  const variants = Array.from({ length: n }, (_, j) => first + j);
  const strides = axisStrides(axes);
  const srcAxis = axes.findIndex((a) => a.name === 'source');
  const source = srcAxis >= 0 ? (axisValueAt(axes, strides, srcAxis, first) as SourceSeries) : null;
  const H = resume.historyBars(paramMaxima(def, axes, variants));
  const G = 16; // garbage rows before the history
  const maxLen = Math.max(...lengths);
  const scratchBytes = align(kernel.scratchBytes(n, maxLen) + 64);
  const stateBytes = resume.stateBytes(n);
  if (stateBytes > kernel.scratchBytes(n, maxLen)) throw new Error(`${def.id}: stateBytes ${stateBytes} exceeds its scratch`);
  const inputs: Record<string, Float32Array> = {};
  for (const name of Object.keys(SERIES_SLOT)) inputs[name] = sourceOf(s, name as SourceSeries);
  if (source) inputs.src = sourceOf(s, source);
  const seriesNames = Object.keys(inputs);
  const rowsIn = G + H + maxLen;
  const frame = 0;
  const params = FRAME_BYTES;
  const scratchA = align(params + Math.max(1, kernel.params.length) * n * 8);
  const scratchB = scratchA + scratchBytes;
  const inBase = scratchB + scratchBytes;
  const outBase = inBase + seriesNames.length * align(rowsIn * 4);
  const total = outBase + outputs.length * align(maxLen * n * 4);
  const pages = Math.ceil(total / 65536) + 1;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const exports = new WebAssembly.Instance(bundledModules()[target], { env: { memory } }).exports as Record<string, unknown>;
  const fn = exports[kernel.name] as KernelFn;
  const u32 = new Uint32Array(memory.buffer);
  const f32 = new Float32Array(memory.buffer);
  const f64 = new Float64Array(memory.buffer);
  for (let i = 0; i < FRAME_WORDS; i++) u32[frame / 4 + i] = 0;
  u32[frame / 4 + FRAME_PROFILE] = profileCode(profile);
  kernel.params.forEach((name, p) => {
    const k = axes.findIndex((a) => a.name === name);
    for (let j = 0; j < n; j++) f64[params / 8 + p * n + j] = axisValueAt(axes, strides, k, first + j) as number;
  });
  const slotOf = outputs.map((o) => kernel.slots.indexOf(o));
  const result = outputs.map(() => new Uint32Array(s.t * n));
  let r0 = 0;
  let scratch = scratchA;
  u32.fill(GARBAGE_U32, scratchA / 4, (scratchA + 2 * scratchBytes) / 4);
  lengths.forEach((len, c) => {
    // inputs: garbage, then rows r0 − H … r0 + len − 1 of the series (garbage before bar 0)
    seriesNames.forEach((name, k) => {
      const base = inBase + k * align(rowsIn * 4);
      f32.fill(GARBAGE_F32, base / 4, base / 4 + rowsIn);
      const src = inputs[name]!;
      for (let i = -H; i < len; i++) if (r0 + i >= 0) f32[base / 4 + G + H + i] = src[r0 + i]!;
      const at = base + (G + H) * 4;
      if (name === 'src') u32[frame / 4 + FRAME_SRC] = at;
      else u32[frame / 4 + SERIES_SLOT[name]!] = at;
    });
    for (let k = 0; k < outputs.length; k++) {
      const base = outBase + k * align(maxLen * n * 4);
      u32.fill(GARBAGE_U32, base / 4, base / 4 + maxLen * n);
      u32[frame / 4 + FRAME_OUT + slotOf[k]!] = base;
    }
    u32[frame / 4 + FRAME_RESUME] = c === 0 ? 0 : 1;
    u32[frame / 4 + FRAME_T0] = r0;
    fn(frame, len, n, params, n * 4, 4, scratch);
    for (let k = 0; k < outputs.length; k++) {
      const base = outBase + k * align(maxLen * n * 4);
      result[k]!.set(u32.subarray(base / 4, base / 4 + len * n), r0 * n);
    }
    // the state moves to the other scratch region; everything past it there is garbage
    const next = scratch === scratchA ? scratchB : scratchA;
    u32.fill(GARBAGE_U32, next / 4, (next + scratchBytes) / 4);
    new Uint8Array(memory.buffer).copyWithin(next, scratch, scratch + stateBytes);
    scratch = next;
    r0 += len;
  });
  if (r0 !== s.t) throw new Error(`call lengths sum to ${r0}, the series has ${s.t} bars`);
  return result;
}

/** Call lengths: mostly 1 (a stream's pushes), some short and some long calls, from a seeded generator. */
export function callLengths(t: number, seed: number): number[] {
  let x = seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const out: number[] = [];
  let left = t;
  while (left > 0) {
    const r = rnd();
    const len = Math.min(
      left,
      r < 0.6 ? 1 : r < 0.8 ? 2 + Math.floor(rnd() * 6) : r < 0.95 ? 8 + Math.floor(rnd() * 60) : 64 + Math.floor(rnd() * 300),
    );
    out.push(len);
    left -= len;
  }
  return out;
}

/**
 * Rows a comparison skips for a kernel with provisional outputs (registry `resume.provisional`): per
 * output, 1 at (bar, variant) where the bar is among the last `trailingNan` bars of a call that is not
 * the last (the value needs bars the call did not have). `trailingNan` expressions are param names.
 */
export function provisionalRows(
  def: IndicatorDef,
  axes: readonly Axis[],
  first: number,
  n: number,
  lengths: readonly number[],
  t: number,
  output: string,
): Uint8Array | null {
  const expr = def.kernel!.resume!.provisional ? def.trailingNan?.[output] : undefined;
  if (!expr) return null;
  const strides = axisStrides(axes);
  const k = axes.findIndex((a) => a.name === expr);
  if (k < 0) throw new Error(`${def.id}: trailingNan of ${output} is not a param name (${expr})`);
  const skip = new Uint8Array(t * n);
  let r1 = 0;
  lengths.forEach((len, c) => {
    r1 += len;
    if (c === lengths.length - 1) return;
    for (let j = 0; j < n; j++) {
      const d = axisValueAt(axes, strides, k, first + j) as number;
      for (let r = Math.max(0, r1 - d); r < r1; r++) skip[r * n + j] = 1;
    }
  });
  return skip;
}
