/**
 * The reference engine's stream: the plain-TypeScript references have no state to resume, so the
 * stream keeps every bar (holes included) and recomputes each variant over all of them on every push
 * and update, taking the last row. Exact by construction and slow (linear in the bars so far): the
 * reference engine is the oracle the WebAssembly streams are checked against, not a way to stream.
 */
import type { Axis } from '../grid/types.js';
import type { IndicatorDef, Profile, SeriesInputs } from '../registry/types.js';
import { axisStrides, axisValueAt } from '../compute/plan.js';
import type { SeriesName } from '../candles/sources.js';

export class ReferenceStreamCore {
  readonly rows: Readonly<Record<string, Float32Array>>;
  bars = 0;
  readonly callRows = 1 << 20;
  private data: Float32Array[];
  private lastCallRows = 0;

  constructor(
    private readonly def: IndicatorDef,
    private readonly axes: readonly Axis[],
    private readonly outputs: readonly string[],
    private readonly variants: number,
    readonly seriesNames: readonly SeriesName[],
    private readonly profile: Profile,
  ) {
    this.data = seriesNames.map(() => new Float32Array(1024));
    this.rows = Object.fromEntries(outputs.map((o) => [o, new Float32Array(variants)]));
  }

  append(k: number, value: (s: number, i: number) => number, _save: boolean): void {
    this.seriesNames.forEach((_, s) => {
      let a = this.data[s]!;
      if (this.bars + k > a.length) {
        const b = new Float32Array(Math.max(2 * a.length, this.bars + k));
        b.set(a.subarray(0, this.bars));
        this.data[s] = a = b;
      }
      for (let i = 0; i < k; i++) a[this.bars + i] = value(s, i);
    });
    this.bars += k;
    this.lastCallRows = k;
    this.recompute();
  }

  push(holes: number, values: Float64Array): void {
    this.append(holes + 1, (s, i) => (i < holes ? Number.NaN : values[s]!), true);
  }

  redo(values: Float64Array): void {
    this.seriesNames.forEach((_, s) => {
      this.data[s]![this.bars - 1] = values[s]!;
    });
    this.recompute();
  }

  private recompute(): void {
    const t = this.bars;
    const strides = axisStrides(this.axes);
    const view = (name: string): Float32Array | undefined => {
      const s = this.seriesNames.indexOf(name as SeriesName);
      return s < 0 ? undefined : this.data[s]!.subarray(0, t);
    };
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
      const res = this.def.kernel!.reference(inputs, params, this.profile);
      for (const o of this.outputs) this.rows[o]![v] = res[o]![t - 1]!;
    }
  }

  /** Every bar so far, per series: the whole state of a reference stream. */
  exportState(): { bars: number; lastCallRows: number; inputs: Float32Array[] } {
    return { bars: this.bars, lastCallRows: this.lastCallRows, inputs: this.data.map((a) => a.slice(0, this.bars)) };
  }

  fits(s: { bars: number; lastCallRows: number; inputs: readonly Float32Array[] }): boolean {
    return s.inputs.length === this.seriesNames.length && s.inputs.every((a) => a.length === s.bars) && s.lastCallRows <= s.bars;
  }

  importState(s: { bars: number; lastCallRows: number; inputs: readonly Float32Array[] }): void {
    this.data = s.inputs.map((x) => {
      const a = new Float32Array(Math.max(1024, s.bars));
      a.set(x);
      return a;
    });
    this.bars = s.bars;
    this.lastCallRows = s.lastCallRows;
    if (this.bars > 0) this.recompute();
  }
}
