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
import type { IndicatorDef, ResumeSpec } from '../registry/types.js';
import { axisStrides, axisValueAt, FRAME_BYTES } from '../compute/plan.js';
import { FRAME_OUT, FRAME_RESUME, FRAME_SRC, FRAME_T0, FRAME_WORDS, SERIES_SLOT, elementIndex, type KernelFn } from '../compute/kernels.js';
import type { SeriesName } from '../candles/sources.js';

const align = (x: number): number => Math.ceil(x / 64) * 64;

/** Output values a call may write at most (all runs, all outputs): bounds the rows per call of a long replay. */
const CALL_VALUES = 2 ** 21;
/** Rows per call at most. */
const MAX_CALL_ROWS = 1024;

interface Run {
  readonly first: number;
  readonly n: number;
  readonly source: SeriesName | null;
  readonly frame: number;
  readonly params: number;
  readonly scratch: number;
  readonly saved: number;
  readonly stateBytes: number;
  /** Per output, the base of this run's rows (TIME_MAJOR within the run: row i at base + i·n·4). */
  readonly out: readonly number[];
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
  /** Per output name, the last row of every variant (the stream hands these out). */
  readonly rows: Readonly<Record<string, Float32Array>>;
  /** Bars processed so far (holes included): the bar index of the next row. */
  bars = 0;
  private lastCallRows = 0;
  private lastResumed = false;
  private len = 0;
  private readonly runs: Run[] = [];
  private readonly fn: KernelFn;
  private readonly memory: WebAssembly.Memory;
  private readonly inBase: Record<string, number> = {};
  private readonly history: number;
  private readonly cap: number;
  readonly callRows: number;
  private readonly slotOf: readonly number[];

  constructor(
    module: WebAssembly.Module,
    private readonly def: IndicatorDef,
    axes: readonly Axis[],
    private readonly outputs: readonly string[],
    variants: number,
    seriesNames: readonly SeriesName[],
  ) {
    const kernel = def.kernel!;
    const resume = kernel.resume as ResumeSpec;
    this.seriesNames = seriesNames;
    this.callRows = Math.max(1, Math.min(MAX_CALL_ROWS, Math.floor(CALL_VALUES / (variants * outputs.length))));
    const strides = axisStrides(axes);
    const srcAxis = axes.findIndex((a) => a.name === 'source');
    const paramAxes = kernel.params.map((p) => axes.findIndex((a) => a.name === p));
    // runs of variants sharing a source value, and the history the deepest of them reads
    const spans: { first: number; n: number; source: SeriesName | null }[] = [];
    let history = 0;
    for (let s = 0; s < variants; ) {
      const source = srcAxis >= 0 ? (axisValueAt(axes, strides, srcAxis, s) as SeriesName) : null;
      let e = s + 1;
      if (srcAxis >= 0) while (e < variants && axisValueAt(axes, strides, srcAxis, e) === source) e++;
      else e = variants;
      const max: Record<string, number> = {};
      kernel.params.forEach((name, p) => {
        let m = -Infinity;
        for (let v = s; v < e; v++) m = Math.max(m, axisValueAt(axes, strides, paramAxes[p]!, v) as number);
        max[name] = m;
      });
      history = Math.max(history, resume.historyBars(max));
      spans.push({ first: s, n: e - s, source });
      s = e;
    }
    this.history = history;
    this.cap = history + this.callRows;
    // memory: per run frame, params, scratch, saved state and output rows; then the input buffers
    let at = 0;
    const placed = spans.map((r) => {
      const frame = at;
      const params = frame + FRAME_BYTES;
      const scratch = align(params + Math.max(1, kernel.params.length) * r.n * 8);
      const scratchBytes = align(kernel.scratchBytes(r.n, this.callRows) + 64);
      const stateBytes = resume.stateBytes(r.n);
      const saved = scratch + scratchBytes;
      let o = align(saved + stateBytes);
      const out = outputs.map(() => {
        const base = o;
        o += align(this.callRows * r.n * 4);
        return base;
      });
      at = o;
      return { ...r, frame, params, scratch, saved, stateBytes, out };
    });
    for (const name of seriesNames) {
      this.inBase[name] = at;
      at += align(this.cap * 4);
    }
    const pages = Math.ceil(at / 65536) + 1;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as Record<string, unknown>;
    this.fn = exports[kernel.name] as KernelFn;
    const u32 = new Uint32Array(this.memory.buffer);
    const f64 = new Float64Array(this.memory.buffer);
    for (const r of placed) {
      const f = elementIndex(r.frame, 4);
      for (let i = 0; i < FRAME_WORDS; i++) u32[f + i] = 0;
      paramAxes.forEach((ax, p) => {
        for (let j = 0; j < r.n; j++) f64[elementIndex(r.params, 8) + p * r.n + j] = axisValueAt(axes, strides, ax, r.first + j) as number;
      });
      this.runs.push(r);
    }
    this.slotOf = outputs.map((o) => kernel.slots.indexOf(o));
    this.rows = Object.fromEntries(outputs.map((o) => [o, new Float32Array(variants)]));
  }

  /** Room for `k` more rows, keeping the history before them. */
  private reserve(k: number): void {
    if (this.len + k <= this.cap) return;
    const keep = Math.min(this.len, this.history);
    const f32 = new Float32Array(this.memory.buffer);
    for (const name of this.seriesNames) {
      const b = elementIndex(this.inBase[name]!, 4);
      f32.copyWithin(b, b + this.len - keep, b + this.len);
    }
    this.len = keep;
  }

  /**
   * Appends `k` rows (k ≤ callRows): row i of series s is `value(s, i)`. Then one call per run over
   * them; with `save`, each run's state before the call is kept for `redo`.
   */
  append(k: number, value: (name: SeriesName, i: number) => number, save: boolean): void {
    this.reserve(k);
    const f32 = new Float32Array(this.memory.buffer);
    for (const name of this.seriesNames) {
      const b = elementIndex(this.inBase[name]!, 4) + this.len;
      for (let i = 0; i < k; i++) f32[b + i] = value(name, i);
    }
    this.len += k;
    this.call(k, this.bars > 0, save);
    this.bars += k;
  }

  /** The last call again, from the state before it, with the last row's inputs replaced. */
  redo(value: (name: SeriesName) => number): void {
    const f32 = new Float32Array(this.memory.buffer);
    for (const name of this.seriesNames) f32[elementIndex(this.inBase[name]!, 4) + this.len - 1] = value(name);
    const bytes = new Uint8Array(this.memory.buffer);
    for (const r of this.runs) bytes.copyWithin(r.scratch, r.saved, r.saved + r.stateBytes);
    this.bars -= this.lastCallRows;
    this.call(this.lastCallRows, this.lastResumed, true);
    this.bars += this.lastCallRows;
  }

  /** One call per run over the last `k` rows of the buffers (bars this.bars … this.bars + k − 1). */
  private call(k: number, resumed: boolean, save: boolean): void {
    const u32 = new Uint32Array(this.memory.buffer);
    const bytes = new Uint8Array(this.memory.buffer);
    const f32 = new Float32Array(this.memory.buffer);
    const row0 = this.len - k;
    for (const r of this.runs) {
      if (save) bytes.copyWithin(r.saved, r.scratch, r.scratch + r.stateBytes);
      const f = elementIndex(r.frame, 4);
      for (const [name, slot] of Object.entries(SERIES_SLOT))
        u32[f + slot] = this.inBase[name] === undefined ? 0 : this.inBase[name]! + row0 * 4;
      u32[f + FRAME_SRC] = r.source ? this.inBase[r.source]! + row0 * 4 : 0;
      for (let o = 0; o < this.outputs.length; o++) u32[f + FRAME_OUT + this.slotOf[o]!] = r.out[o]!;
      u32[f + FRAME_RESUME] = resumed ? 1 : 0;
      u32[f + FRAME_T0] = this.bars;
      this.fn(r.frame, k, r.n, r.params, r.n * 4, 4, r.scratch);
      for (let o = 0; o < this.outputs.length; o++) {
        const from = elementIndex(r.out[o]!, 4) + (k - 1) * r.n;
        this.rows[this.outputs[o]!]!.set(f32.subarray(from, from + r.n), r.first);
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
      inputs: this.seriesNames.map((name) => new Float32Array(buf, this.inBase[name]! + (this.len - keep) * 4, keep).slice()),
    };
  }

  /** Sizes of the sections a snapshot of this core holds, to check a snapshot before importing it. */
  stateShape(): { runs: readonly number[]; series: number; maxInputRows: number } {
    return { runs: this.runs.map((r) => r.stateBytes), series: this.seriesNames.length, maxInputRows: this.cap };
  }

  /** Continues from a snapshot's state (shapes checked by the caller against stateShape). */
  importState(s: WasmCoreState): void {
    const bytes = new Uint8Array(this.memory.buffer);
    const f32 = new Float32Array(this.memory.buffer);
    this.runs.forEach((r, i) => {
      bytes.set(s.states[i]!, r.scratch);
      bytes.set(s.saved[i]!, r.saved);
    });
    const rows = s.inputs[0]?.length ?? 0;
    this.seriesNames.forEach((name, i) => {
      f32.set(s.inputs[i]!, elementIndex(this.inBase[name]!, 4));
    });
    this.len = rows;
    this.bars = s.bars;
    this.lastCallRows = s.lastCallRows;
    this.lastResumed = s.lastResumed;
  }

  /** Recomputes the last row from the restored state (a redo with the last row's own inputs). */
  refreshRows(): void {
    if (this.lastCallRows === 0) return;
    const f32 = new Float32Array(this.memory.buffer);
    const at = (name: SeriesName): number => f32[elementIndex(this.inBase[name]!, 4) + this.len - 1]!;
    this.redo(at);
  }

  get indicatorId(): string {
    return this.def.id;
  }
}
