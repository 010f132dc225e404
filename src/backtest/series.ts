/**
 * The operand series of a program: candle series built once, and the distinct indicator outputs
 * computed once per (indicator, source) as one grid over the distinct values of each parameter
 * (so a 1,400-variant ma_cross over windows 5 … 200 computes 196 EMA series, not 2,800).
 */
import { buildSourceSeries, type Candles } from '../candles/index.js';
import type { ComputeRequest } from '../runtime/engine.js';
import type { IndicatorTensor } from '../compute/tensor.js';
import type { MemoryTarget } from '../compute/run.js';
import { materializeGrid, variantIndex } from '../grid/index.js';
import type { GridSpec } from '../grid/types.js';
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

/** One compute of the operand series: a piece of one group's grid, and the program series its cells hold. */
export interface SeriesPiece {
  readonly grid: GridSpec;
  /**
   * The outputs in the order the piece lays them out: those holding the most program series first,
   * so the cells no series needs (an output that ignores a param is read at one value of it) come
   * last, where the next piece can take their place.
   */
  readonly outputs: readonly string[];
  readonly variants: number;
  /** Cell (output o, variant v) at o · variants + v: the program series it holds, or −1. */
  readonly holds: readonly number[];
}

/**
 * The computes of a program's indicator series: per (indicator, source), the distinct values of its
 * params as one grid, cut into pieces of at most `pieceBytes` of outputs (seriesPieces).
 */
export function seriesComputes(series: readonly SeriesRequest[], t: number, pieceBytes = SERIES_PIECE_BYTES): SeriesPiece[] {
  const out: SeriesPiece[] = [];
  for (const g of groups(series)) {
    const used = [...new Set(g.members.map((m) => m.req.output))];
    for (const params of seriesPieces(paramAxes(g), t * 4 * used.length, pieceBytes)) {
      const grid: GridSpec = { indicatorId: g.indicatorId, params, ...(g.source ? { source: [g.source] } : {}) };
      const axes = materializeGrid(grid).axes;
      const variants = axes.reduce((n, a) => n * a.values.length, 1);
      const members = g.members.flatMap(({ index, req }) =>
        Object.entries(req.params).every(([name, value]) => params[name]!.includes(value))
          ? [
              {
                index,
                output: req.output,
                v: variantIndex(g.indicatorId, axes, { ...req.params, ...(g.source ? { source: g.source } : {}) }),
              },
            ]
          : [],
      );
      const count = (o: string): number => members.filter((m) => m.output === o).length;
      // stable: equal counts keep the first-seen order
      const outputs = [...used].sort((a, b) => count(b) - count(a));
      const holds = new Array<number>(outputs.length * variants).fill(-1);
      for (const m of members) holds[outputs.indexOf(m.output) * variants + m.v] = m.index;
      out.push({ grid, outputs, variants, holds });
    }
  }
  return out;
}

/** The candle series of a program (their indices), built rather than computed. */
export function priceSeries(series: readonly SeriesRequest[]): number[] {
  return series.flatMap((req, k) => (req.kind === 'price' ? [k] : []));
}

/** The operand series by program index (float32 of length t), each a view on its piece's tensor. */
export async function operandSeries(
  series: readonly SeriesRequest[],
  candles: Candles,
  compute: ComputeFn,
  request: Pick<ComputeRequest, 'signal' | 'profile'>,
  pieceBytes = SERIES_PIECE_BYTES,
): Promise<Float32Array[]> {
  const out: Float32Array[] = new Array(series.length);
  const t = candles.t;
  for (const k of priceSeries(series)) out[k] = buildSourceSeries(candles, (series[k] as Extract<SeriesRequest, { kind: 'price' }>).price);
  for (const piece of seriesComputes(series, t, pieceBytes)) {
    const tensor = await compute({ candles, grid: piece.grid, layout: 'VARIANT_MAJOR', outputs: piece.outputs, ...request });
    piece.holds.forEach((k, cell) => {
      if (k < 0) return;
      const v = cell % piece.variants;
      out[k] = tensor.output(piece.outputs[(cell - v) / piece.variants]!).subarray(v * t, (v + 1) * t);
    });
  }
  return out;
}

/** Where the operand series go in a scoring memory: each series' row 0, and each piece's place. */
export interface SeriesPlacement {
  /** Series k's row 0. */
  readonly series: readonly number[];
  /** Per piece (seriesComputes order): output o's variant 0 at row 0. */
  readonly outputAt: readonly (readonly number[])[];
  /** Bytes from one variant's row 0 to the next within a piece. */
  readonly variantBytes: number;
  /** Where a piece's compute lays out its own regions (input series, work). */
  readonly work: number;
}

/**
 * Computes each piece straight into the scoring memory, its outputs where `placement` says (no
 * tensor, nothing copied), one piece after the other: a piece may lay its outputs over the cells of
 * the piece before that no series needs. The candle series are built in place.
 */
export async function operandSeriesInto(
  series: readonly SeriesRequest[],
  candles: Candles,
  pieces: readonly SeriesPiece[],
  into: (req: ComputeRequest, target: MemoryTarget) => Promise<void>,
  request: Pick<ComputeRequest, 'signal' | 'profile'>,
  memory: WebAssembly.Memory,
  placement: SeriesPlacement,
): Promise<void> {
  for (const k of priceSeries(series)) {
    const view = new Float32Array(memory.buffer, placement.series[k]!, candles.t);
    buildSourceSeries(candles, (series[k] as Extract<SeriesRequest, { kind: 'price' }>).price, view);
  }
  for (const [i, piece] of pieces.entries()) {
    await into(
      { candles, grid: piece.grid, layout: 'VARIANT_MAJOR', outputs: piece.outputs, ...request },
      { memory, base: placement.work, outputAt: placement.outputAt[i]!, variantBytes: placement.variantBytes },
    );
  }
}
