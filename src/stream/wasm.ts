/**
 * The WebAssembly side of a stream: one memory and one instance per stream, the grid's variants split
 * into runs that share a source value (one kernel call each, as a compute makes them), and the
 * kernels' resume contract (docs/kernel-state.md): every call after the first continues from the
 * state the previous one left in the leading bytes of its scratch, with the bars before it kept in
 * input buffers as far back as the kernel reads. A push appends its rows (holes, then the bar) and
 * makes one call per run; the state before that call is kept so that `update` can make it again with
 * the bar replaced.
 */
import type { Axis } from '../grid/types.js';
import type { IndicatorDef, Profile, ResumeSpec } from '../registry/types.js';
import { axisStrides, axisValueAt, FRAME_BYTES } from '../compute/plan.js';
import {
  FRAME_OUT,
  FRAME_PROFILE,
  FRAME_RESUME,
  FRAME_SRC,
  FRAME_T0,
  FRAME_WORDS,
  SERIES_SLOT,
  elementIndex,
  profileCode,
  type KernelFn,
} from '../compute/kernels.js';
import type { SeriesName } from '../candles/sources.js';

const align = (x: number): number => Math.ceil(x / 64) * 64;

/** Output values a call may write at most (all runs, all outputs): bounds the rows per call of a long replay. */
const CALL_VALUES = 2 ** 21;
/** Rows per call at most. */
const MAX_CALL_ROWS = 1024;

interface Run {
  readonly first: number;
  readonly n: number;
  /** Index of the run's source in `seriesNames`, −1 without a source axis. */
  readonly source: number;
  readonly frame: number;
  readonly params: number;
  readonly scratch: number;
  readonly saved: number;
  readonly stateBytes: number;
}

/** What a snapshot keeps of the core (memory sections as bytes, positions as numbers). */
export interface WasmCoreState {
  readonly bars: number;
  readonly lastCallRows: number;
  readonly lastResumed: boolean;
  /** Per run, its state now and before the last call. */
  readonly states: readonly Uint8Array[];
  readonly saved: readonly Uint8Array[];
  /** Per series (in `seriesNames` order), the last rows of its buffer. */
  readonly inputs: readonly Float32Array[];
}

export class WasmStreamCore {
  readonly seriesNames: readonly SeriesName[];
  /**
   * Per output name, the last row of every variant: views on the kernels' output rows (every run
   * writes its variants into one row of V values, as a TIME_MAJOR compute lays them out).
   */
  readonly rows: Readonly<Record<string, Float32Array>>;
  /** Bars processed so far (holes included): the bar index of the next row. */
  bars = 0;
  readonly callRows: number;
  private lastCallRows = 0;
  private lastResumed = false;
  private len = 0;
  private readonly runs: Run[] = [];
  private readonly fn: KernelFn;
  /** memory.copy inside the instance (assembly/lanes.ts copy_bytes). */
  private readonly copy: (dst: number, src: number, n: number) => void;
  private readonly memory: WebAssembly.Memory;
  private readonly u32: Uint32Array;
  private readonly f32: Float32Array;
  private readonly bytes: Uint8Array;
  /** Byte offset of each series' input buffer, in `seriesNames` order. */
  private readonly inBase: number[];
  /** Per base-series frame slot, the index of that series in `seriesNames` (−1: not read). */
  private readonly slotSeries: readonly [number, number][];
  /** Per output, the byte offset of its rows (callRows rows of V values). */
  private readonly outBase: number[];
  private readonly outSlots: readonly number[];
  private readonly history: number;
  private readonly cap: number;
  private readonly variants: number;
  /** The frame's profile code (kernels.ts profileCode), written on every call. */
  private readonly profile: number;

  constructor(
    module: WebAssembly.Module,
    private readonly def: IndicatorDef,
    axes: readonly Axis[],
    outputs: readonly string[],
    variants: number,
    seriesNames: readonly SeriesName[],
    profile: Profile,
  ) {
    const kernel = def.kernel!;
    this.profile = profileCode(profile);
    const resume = kernel.resume as ResumeSpec;
    this.seriesNames = seriesNames;
    this.variants = variants;
    this.callRows = Math.max(1, Math.min(MAX_CALL_ROWS, Math.floor(CALL_VALUES / (variants * outputs.length))));
    const strides = axisStrides(axes);
    const srcAxis = axes.findIndex((a) => a.name === 'source');
    const paramAxes = kernel.params.map((p) => axes.findIndex((a) => a.name === p));
    // runs of variants sharing a source value, and the history the deepest of them reads
    const spans: { first: number; n: number; source: number }[] = [];
    let history = 0;
    for (let s = 0; s < variants; ) {
      const source = srcAxis >= 0 ? (axisValueAt(axes, strides, srcAxis, s) as SeriesName) : null;
      let e = s + 1;
      if (srcAxis >= 0) while (e < variants && axisValueAt(axes, strides, srcAxis, e) === source) e++;
      else e = variants;
      const max: Record<string, number> = {};
      kernel.params.forEach((name, p) => {
        let m = Number.NEGATIVE_INFINITY;
        for (let v = s; v < e; v++) m = Math.max(m, axisValueAt(axes, strides, paramAxes[p]!, v) as number);
        max[name] = m;
      });
      history = Math.max(history, resume.historyBars(max));
      spans.push({ first: s, n: e - s, source: source === null ? -1 : seriesNames.indexOf(source) });
      s = e;
    }
    this.history = history;
    this.cap = history + this.callRows;
    // memory: per run frame, params, scratch and saved state; per output its rows; per series its input buffer
    let at = 0;
    const placed = spans.map((r) => {
      const frame = at;
      const params = frame + FRAME_BYTES;
      const scratch = align(params + Math.max(1, kernel.params.length) * r.n * 8);
      const saved = scratch + align(kernel.scratchBytes(r.n, this.callRows) + 64);
      const stateBytes = resume.stateBytes(r.n);
      at = align(saved + stateBytes);
      return { ...r, frame, params, scratch, saved, stateBytes };
    });
    this.outBase = outputs.map(() => {
      const base = at;
      at += align(this.callRows * variants * 4);
      return base;
    });
    this.inBase = seriesNames.map(() => {
      const base = at;
      at += align(this.cap * 4);
      return base;
    });
    const pages = Math.ceil(at / 65536) + 1;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as Record<string, unknown>;
    this.fn = exports[kernel.name] as KernelFn;
    this.copy = exports.copy_bytes as (dst: number, src: number, n: number) => void;
    this.u32 = new Uint32Array(this.memory.buffer);
    this.f32 = new Float32Array(this.memory.buffer);
    this.bytes = new Uint8Array(this.memory.buffer);
    const f64 = new Float64Array(this.memory.buffer);
    this.outSlots = outputs.map((o) => kernel.slots.indexOf(o));
    for (const r of placed) {
      const f = elementIndex(r.frame, 4);
      for (let i = 0; i < FRAME_WORDS; i++) this.u32[f + i] = 0;
      paramAxes.forEach((ax, p) => {
        for (let j = 0; j < r.n; j++) f64[elementIndex(r.params, 8) + p * r.n + j] = axisValueAt(axes, strides, ax, r.first + j) as number;
      });
      for (let o = 0; o < outputs.length; o++) this.u32[f + FRAME_OUT + this.outSlots[o]!] = this.outBase[o]! + r.first * 4;
      this.runs.push(r);
    }
    this.slotSeries = Object.entries(SERIES_SLOT).map(
      ([name, slot]) => [slot, seriesNames.indexOf(name as SeriesName)] as [number, number],
    );
    this.rows = Object.fromEntries(outputs.map((o, k) => [o, new Float32Array(this.memory.buffer, this.outBase[k]!, variants)]));
  }

  /** Room for `k` more rows, keeping the history before them. */
  private reserve(k: number): void {
    if (this.len + k <= this.cap) return;
    const keep = Math.min(this.len, this.history);
    for (const base of this.inBase) {
      const b = elementIndex(base, 4);
      this.f32.copyWithin(b, b + this.len - keep, b + this.len);
    }
    this.len = keep;
  }

  /**
   * Appends `k` rows (k ≤ callRows): row i of series s (its index in seriesNames) is `value(s, i)`.
   * Then one call per run over them; with `save`, each run's state before the call is kept for `redo`.
   */
  append(k: number, value: (s: number, i: number) => number, save: boolean): void {
    this.reserve(k);
    for (let s = 0; s < this.inBase.length; s++) {
      const b = elementIndex(this.inBase[s]!, 4) + this.len;
      for (let i = 0; i < k; i++) this.f32[b + i] = value(s, i);
    }
    this.len += k;
    this.call(k, this.bars > 0, save);
    this.bars += k;
  }

  /** `holes` NaN rows, then one row of `values` (one per series): a push. */
  push(holes: number, values: Float64Array): void {
    let left = holes;
    while (left >= this.callRows) {
      this.append(this.callRows, () => Number.NaN, false);
      left -= this.callRows;
    }
    const k = left + 1;
    this.reserve(k);
    for (let s = 0; s < this.inBase.length; s++) {
      const b = elementIndex(this.inBase[s]!, 4) + this.len;
      for (let i = 0; i < k - 1; i++) this.f32[b + i] = Number.NaN;
      this.f32[b + k - 1] = values[s]!;
    }
    this.len += k;
    this.call(k, this.bars > 0, true);
    this.bars += k;
  }

  /** The last call again, from the state before it, with the last row's inputs replaced by `values`. */
  redo(values: Float64Array): void {
    for (let s = 0; s < this.inBase.length; s++) this.f32[elementIndex(this.inBase[s]!, 4) + this.len - 1] = values[s]!;
    for (const r of this.runs) this.copy(r.scratch, r.saved, r.stateBytes);
    this.bars -= this.lastCallRows;
    this.call(this.lastCallRows, this.lastResumed, false);
    this.bars += this.lastCallRows;
  }

  /** One call per run over the last `k` rows of the buffers (bars this.bars … this.bars + k − 1); the last row moves to the rows' start. */
  private call(k: number, resumed: boolean, save: boolean): void {
    const u32 = this.u32;
    const row0 = (this.len - k) * 4;
    for (const r of this.runs) {
      if (save) this.copy(r.saved, r.scratch, r.stateBytes);
      const f = r.frame >>> 2;
      for (const [slot, s] of this.slotSeries) u32[f + slot] = s < 0 ? 0 : this.inBase[s]! + row0;
      u32[f + FRAME_SRC] = r.source < 0 ? 0 : this.inBase[r.source]! + row0;
      u32[f + FRAME_RESUME] = resumed ? 1 : 0;
      u32[f + FRAME_T0] = this.bars;
      u32[f + FRAME_PROFILE] = this.profile;
      this.fn(r.frame, k, r.n, r.params, this.variants * 4, 4, r.scratch);
    }
    if (k > 1) {
      const V = this.variants;
      for (const base of this.outBase) {
        const b = elementIndex(base, 4);
        this.f32.copyWithin(b, b + (k - 1) * V, b + k * V);
      }
    }
    this.lastCallRows = k;
    this.lastResumed = resumed;
  }

  /** The state a snapshot keeps: each run's state now and before the last call, and the input rows a later call or a redo reads. */
  exportState(): WasmCoreState {
    const keep = Math.min(this.len, this.history + this.lastCallRows);
    const buf = this.memory.buffer;
    return {
      bars: this.bars,
      lastCallRows: this.lastCallRows,
      lastResumed: this.lastResumed,
      states: this.runs.map((r) => new Uint8Array(buf, r.scratch, r.stateBytes).slice()),
      saved: this.runs.map((r) => new Uint8Array(buf, r.saved, r.stateBytes).slice()),
      inputs: this.inBase.map((base) => new Float32Array(buf, base + (this.len - keep) * 4, keep).slice()),
    };
  }

  /** Whether a snapshot's sections fit this core: as many runs with the same state sizes, one input section per series, not too long. */
  fits(s: WasmCoreState): boolean {
    const rows = s.inputs[0]?.length ?? 0;
    return (
      s.states.length === this.runs.length &&
      s.saved.length === this.runs.length &&
      this.runs.every((r, i) => s.states[i]!.byteLength === r.stateBytes && s.saved[i]!.byteLength === r.stateBytes) &&
      s.inputs.length === this.inBase.length &&
      s.inputs.every((x) => x.length === rows) &&
      rows <= this.cap &&
      s.lastCallRows <= rows &&
      s.lastCallRows <= this.callRows &&
      Number.isSafeInteger(s.bars) &&
      s.bars >= rows
    );
  }

  /** Continues from a snapshot's state (checked with `fits`), and recomputes the last row from the state before it. */
  importState(s: WasmCoreState): void {
    this.runs.forEach((r, i) => {
      this.bytes.set(s.states[i]!, r.scratch);
      this.bytes.set(s.saved[i]!, r.saved);
    });
    const rows = s.inputs[0]?.length ?? 0;
    this.inBase.forEach((base, i) => {
      this.f32.set(s.inputs[i]!, elementIndex(base, 4));
    });
    this.len = rows;
    this.bars = s.bars;
    this.lastCallRows = s.lastCallRows;
    this.lastResumed = s.lastResumed;
    if (this.lastCallRows > 0) {
      const last = new Float64Array(this.inBase.length);
      this.inBase.forEach((base, i) => {
        last[i] = this.f32[elementIndex(base, 4) + rows - 1]!;
      });
      this.redo(last);
    }
  }

  get indicatorId(): string {
    return this.def.id;
  }
}
