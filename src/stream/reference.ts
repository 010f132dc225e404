/**
 * The reference engine's stream: the plain-TypeScript references have no state to resume, so the
 * stream keeps every bar (holes included) and recomputes each variant over all of them on every push
 * and update, taking the last row. Exact by construction and slow (linear in the bars so far): the
 * reference engine is the oracle the WebAssembly streams are checked against, not a way to stream.
 */
import type { Axis } from '../grid/types.js';
import type { IndicatorDef, SeriesInputs } from '../registry/types.js';
import { axisStrides, axisValueAt } from '../compute/plan.js';
import type { SeriesName } from '../candles/sources.js';

export class ReferenceStreamCore {
  readonly rows: Readonly<Record<string, Float32Array>>;
  bars = 0;
  private data: Record<string, Float32Array> = {};
  private lastCallRows = 0;

  constructor(
    private readonly def: IndicatorDef,
    private readonly axes: readonly Axis[],
    private readonly outputs: readonly string[],
    private readonly variants: number,
    readonly seriesNames: readonly SeriesName[],
  ) {
    for (const name of seriesNames) this.data[name] = new Float32Array(1024);
    this.rows = Object.fromEntries(outputs.map((o) => [o, new Float32Array(variants)]));
  }

  readonly callRows = 1 << 20;

  append(k: number, value: (name: SeriesName, i: number) => number, _save: boolean): void {
    for (const name of this.seriesNames) {
      let a = this.data[name]!;
      if (this.bars + k > a.length) {
        const b = new Float32Array(Math.max(2 * a.length, this.bars + k));
        b.set(a.subarray(0, this.bars));
        this.data[name] = a = b;
      }
      for (let i = 0; i < k; i++) a[this.bars + i] = value(name, i);
    }
    this.bars += k;
    this.lastCallRows = k;
    this.recompute();
  }

  redo(value: (name: SeriesName) => number): void {
    for (const name of this.seriesNames) this.data[name]![this.bars - 1] = value(name);
    this.recompute();
  }

  private recompute(): void {
    const t = this.bars;
    const strides = axisStrides(this.axes);
    const view = (name: string): Float32Array | undefined => this.data[name]?.subarray(0, t);
    for (let v = 0; v < this.variants; v++) {
      const params: Record<string, number> = {};
      let src: Float32Array | undefined;
      this.axes.forEach((a, k) => {
        const x = axisValueAt(this.axes, strides, k, v);
        if (a.name === 'source') src = view(x as string);
        else params[a.name] = x as number;
      });
      const inputs: SeriesInputs = {
        t,
        src,
        open: view('open'),
        high: view('high'),
        low: view('low'),
        close: view('close'),
        volume: view('volume'),
      };
      const res = this.def.kernel!.reference(inputs, params);
      for (const o of this.outputs) this.rows[o]![v] = res[o]![t - 1]!;
    }
  }

  /** Every bar so far, per series: the whole state of a reference stream. */
  exportState(): { bars: number; lastCallRows: number; inputs: Float32Array[] } {
    return { bars: this.bars, lastCallRows: this.lastCallRows, inputs: this.seriesNames.map((n) => this.data[n]!.slice(0, this.bars)) };
  }

  importState(s: { bars: number; lastCallRows: number; inputs: readonly Float32Array[] }): void {
    this.seriesNames.forEach((n, i) => {
      const a = new Float32Array(Math.max(1024, s.bars));
      a.set(s.inputs[i]!);
      this.data[n] = a;
    });
    this.bars = s.bars;
    this.lastCallRows = s.lastCallRows;
    if (this.bars > 0) this.recompute();
  }
}
