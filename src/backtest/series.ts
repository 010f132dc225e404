/**
 * The operand series of a program: candle series built once, and the distinct indicator outputs
 * computed once per (indicator, source) as one grid over the distinct values of each parameter
 * (so a 1,400-variant ma_cross over windows 5 … 200 computes 196 EMA series, not 2,800).
 */
import { buildSourceSeries, type Candles } from '../candles/index.js';
import type { ComputeRequest } from '../runtime/engine.js';
import type { IndicatorTensor } from '../compute/tensor.js';
import type { SourceSeries } from '../registry/types.js';
import type { SeriesRequest } from './program.js';

export type ComputeFn = (req: ComputeRequest) => Promise<IndicatorTensor>;

interface Group {
  readonly indicatorId: string;
  readonly source: SourceSeries | null;
  readonly members: { readonly index: number; readonly req: Extract<SeriesRequest, { kind: 'indicator' }> }[];
}

/** Groups the indicator requests by (indicator, source), in first-seen order. */
function groups(series: readonly SeriesRequest[]): Group[] {
  const byKey = new Map<string, Group>();
  series.forEach((req, index) => {
    if (req.kind !== 'indicator') return;
    const key = `${req.indicatorId}\u0000${req.source ?? ''}`;
    let g = byKey.get(key);
    if (!g) {
      g = { indicatorId: req.indicatorId, source: req.source, members: [] };
      byKey.set(key, g);
    }
    g.members.push({ index, req });
  });
  return [...byKey.values()];
}

/** The distinct values each parameter takes in a group, ascending (numbers) or in first-seen order (strings). */
function paramAxes(g: Group): ParamAxes {
  const axes: ParamAxes = {};
  for (const { req } of g.members) {
    for (const [name, value] of Object.entries(req.params)) {
      const list = axes[name] ?? [];
      axes[name] = list;
      if (!list.includes(value)) list.push(value);
    }
  }
  for (const list of Object.values(axes)) if (list.every((x) => typeof x === 'number')) (list as number[]).sort((a, b) => a - b);
  return axes;
}

/** One compute of a group holds at most this many output bytes: a big group runs in pieces. */
export const SERIES_PIECE_BYTES = 128 * 1024 * 1024;

type ParamAxes = Record<string, (number | string)[]>;

/**
 * Splits a group's grid (its distinct param values) into pieces whose outputs hold at most `budget`
 * bytes (`bytesPerVariant` each), covering every variant exactly once. The axis with the most
 * values is cut into equal runs, of a multiple of 4 values when they hold 4 or more (a kernel that
 * shares work across the other axes, as bbands shares a window's sums across mults, keeps that
 * sharing), a last run shorter than 4 joining the one before when the two fit; when one value of
 * it is still over the budget, each value becomes its own grid and the
 * next axis is cut the same way. A single variant over the budget is a piece of its own (the
 * compute's guards then decide).
 */
export function seriesPieces(axes: ParamAxes, bytesPerVariant: number, budget: number): ParamAxes[] {
  const names = Object.keys(axes);
  const variants = names.reduce((n, name) => n * axes[name]!.length, 1);
  if (variants * bytesPerVariant <= budget) return [axes];
  const widest = names.reduce((a, b) => (axes[b]!.length > axes[a]!.length ? b : a));
  const values = axes[widest]!;
  if (values.length <= 1) return [axes];
  const perValue = (variants / values.length) * bytesPerVariant;
  const most = Math.floor(budget / perValue);
  // runs of a multiple of 4 values when they can hold 4: kernels run variants in blocks of four lanes,
  // and a block that spans two values of an outer axis takes a slower path (bbands: 18% at 1M bars)
  const step = most >= 4 ? most - (most % 4) : most;
  if (step >= 1) {
    const out: ParamAxes[] = [];
    for (let i = 0; i < values.length; i += step) out.push({ ...axes, [widest]: values.slice(i, i + step) });
    // a last run shorter than four values would run the kernel's scalar path: it joins the run
    // before it when the two fit the budget
    const last = out.at(-1)![widest]!.length;
    if (out.length > 1 && step >= 4 && last < 4 && step + last <= most) {
      out.pop();
      out[out.length - 1] = { ...axes, [widest]: values.slice(values.length - step - last) };
    }
    return out;
  }
  return values.flatMap((v) => seriesPieces({ ...axes, [widest]: [v] }, bytesPerVariant, budget));
}

/**
 * The operand series by program index (float32 of length t). With `into`, each series is copied
 * into the array `into(k)` gives (e.g. a view on the scoring memory) and no tensor is kept, so a
 * large group (computed in pieces of at most SERIES_PIECE_BYTES) never lives twice in memory.
 */
export async function operandSeries(
  series: readonly SeriesRequest[],
  candles: Candles,
  compute: ComputeFn,
  request: Pick<ComputeRequest, 'signal' | 'profile'>,
  into?: (k: number) => Float32Array,
  pieceBytes = SERIES_PIECE_BYTES,
): Promise<Float32Array[]> {
  const out: Float32Array[] = new Array(series.length);
  const t = candles.t;
  const place = (k: number, values: Float32Array): void => {
    if (into) {
      const target = into(k);
      target.set(values);
      out[k] = target;
    } else out[k] = values;
  };
  series.forEach((req, k) => {
    if (req.kind !== 'price') return;
    place(k, buildSourceSeries(candles, req.price));
  });
  for (const g of groups(series)) {
    const outputs = [...new Set(g.members.map((m) => m.req.output))];
    const pieces = seriesPieces(paramAxes(g), t * 4 * outputs.length, pieceBytes);
    let previous: { tensor: IndicatorTensor; size: number } | undefined;
    for (const piece of pieces) {
      const size = Object.values(piece).reduce((n, v) => n * v.length, 1);
      // copied out already: the next piece of the same size reuses the memory (no fresh pages to
      // touch); one of another size hands it back to the engine, which gives it to a later compute
      // it fits (this call's, or the next backtest's first piece)
      const reuse = into && previous?.size === size ? { out: previous.tensor } : {};
      if (into && previous && previous.size !== size) previous.tensor.release();
      const tensor = await compute({
        candles,
        grid: { indicatorId: g.indicatorId, params: piece, ...(g.source ? { source: [g.source] } : {}) },
        layout: 'VARIANT_MAJOR',
        outputs,
        ...request,
        ...reuse,
      });
      previous = { tensor, size };
      for (const { index, req } of g.members) {
        if (!Object.entries(req.params).every(([name, value]) => piece[name]!.includes(value))) continue;
        const v = tensor.variantIndex({ ...req.params, ...(g.source ? { source: g.source } : {}) });
        place(index, tensor.output(req.output).subarray(v * t, (v + 1) * t));
      }
    }
    if (into) previous?.tensor.release();
  }
  return out;
}
