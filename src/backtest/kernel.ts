/**
 * The host side of the Stage A kernel (assembly/backtest.ts): lays out one WebAssembly memory with
 * the bar tables, the operand series, the compiled comparisons and signals and the per-variant
 * operand arrays, then runs the kernel batch by batch into accumulator arrays.
 */
import { MAX_PAGES, PAGE } from '../compute/plan.js';
import { elementIndex } from '../compute/kernels.js';
import { reclaimBeforeAllocating } from '../compute/reclaim.js';
import { ComputeBudgetExceeded } from '../errors.js';
import { ACC_COUNT, type AtomSide, type BarInputs, type Execution, type StrategyProgram } from './program.js';
import { SIGNAL_NAMES } from '../strategies/types.js';
import { priceSeries, type SeriesPiece, type SeriesPlacement } from './series.js';

/** Frame offsets in bytes, as assembly/backtest.ts declares them (BT_*). */
export const BT_FRAME = Object.freeze({
  first: 0,
  end: 4,
  open: 8,
  close: 12,
  valid: 16,
  inv: 20,
  series: 24,
  atoms: 28,
  nAtoms: 32,
  code: 36,
  signals: 40,
  side: 44,
  fill: 48,
  acc: 52,
  fee: 64,
  slip: 72,
  relations: 80,
  nRelations: 84,
  nSeries: 88,
  bytes: 92,
});
/** Bytes of one relation and of one comparison in the kernel's tables. */
export const BT_REL_BYTES = 32;
export const BT_ATOM_BYTES = 8;
/** Rows of 64 per word of signal bits: a block is BT_BLOCK / 64 words. */
const WORDS = 4;
/** Rows per block (assembly/backtest.ts BT_BLOCK) and state arrays of n f64 per variant (BT_STATE_ARRAYS). */
export const BT_BLOCK = 256;
export const BT_STATE_ARRAYS = 20;

const SIDES = { long: 0, short: 1, both: 2 } as const;

/** The deepest stack the postfix code of a signal reaches. */
export function stackDepth(code: Int32Array): number {
  let top = 0;
  let max = 0;
  for (let i = 0; i < code.length; i += 2) {
    const op = code[i]!;
    top = op === 0 ? top + 1 : op === 3 ? top : top - code[i + 1]! + 1;
    max = Math.max(max, top);
  }
  return max;
}

/** As assembly/backtest.ts backtest_scratch_bytes: state arrays of n rounded up to even, then the block tables. */
function scratchBytes(n: number, relations: number, atoms: number, depth: number, series: number): number {
  const B = BT_BLOCK;
  const sig = 4 * WORDS * 8;
  const clean = Math.ceil(series / 8) * 8;
  return (
    BT_STATE_ARRAYS * (n + (n & 1)) * 8 +
    B * 16 +
    2 * sig +
    WORDS * 8 +
    clean +
    relations * 4 * WORDS * 8 +
    atoms * 2 * WORDS * 8 +
    depth * 16
  );
}

/**
 * The comparisons' distinct side pairs ("relations": one pass of compares serves every comparison on
 * the same two sides, in either order) and, per comparison, its relation and kind (+ 4 when swapped).
 */
export function relationsOf(program: StrategyProgram): {
  relations: (readonly [AtomSide, AtomSide])[];
  atoms: (readonly [number, number])[];
} {
  const same = (a: AtomSide, b: AtomSide): boolean =>
    a.kind === b.kind &&
    (a.kind === 'series'
      ? a.lag === (b as typeof a).lag && sameArray(a.series, (b as typeof a).series)
      : sameArray(a.value, (b as Extract<AtomSide, { kind: 'const' }>).value));
  const relations: (readonly [AtomSide, AtomSide])[] = [];
  const atoms = program.atoms.map((atom) => {
    for (let r = 0; r < relations.length; r++) {
      const [l, rt] = relations[r]!;
      if (same(l, atom.left) && same(rt, atom.right)) return [r, atom.cmp] as const;
      if (same(l, atom.right) && same(rt, atom.left)) return [r, atom.cmp + 4] as const;
    }
    relations.push([atom.left, atom.right]);
    return [relations.length - 1, atom.cmp] as const;
  });
  return { relations, atoms };
}

function sameArray(a: Int32Array | Float64Array, b: Int32Array | Float64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** NaN floats before each series: a read `lag` rows before row 0 (or the row before it, for a cross) finds NaN. */
function nanPrefix(program: StrategyProgram): number {
  let lag = 0;
  for (const a of program.atoms) for (const s of [a.left, a.right]) if (s.kind === 'series') lag = Math.max(lag, s.lag);
  return Math.ceil((lag + 1) / 4) * 4;
}

const align = (x: number): number => Math.ceil(x / 64) * 64;

/** One executor's own part of the memory: its frame, relation table, accumulators and kernel scratch. */
export interface StageASlot {
  readonly frame: number;
  readonly relations: number;
  readonly acc: number;
  readonly scratch: number;
}

/**
 * What a batch needs of the layout (all a pool worker is sent): every executor's slot, each
 * relation's per-variant arrays with their bytes per variant (4: series indices, 8: constants), and
 * the batches' Int32 done-flags.
 */
export interface StageABatchLayout {
  readonly slots: readonly StageASlot[];
  /** Per relation: the offsets of its left and right per-variant arrays (all variants, and one past). */
  readonly sides: readonly (readonly [number, number])[];
  readonly sideBytes: readonly (readonly [number, number])[];
  /** Int32 per batch, 1 once a worker has published the batch's accumulators. */
  readonly flags: number;
  readonly batches: number;
}

/**
 * Where everything lives in the memory of one Stage A run. `frame`, `relations`, `acc` and
 * `scratch` are executor 0's (`slots[0]`); the bar tables, series, operand arrays, comparisons,
 * code and signals are shared by every executor.
 */
export interface StageALayout extends StageABatchLayout {
  readonly bytes: number;
  readonly frame: number;
  readonly open: number;
  readonly close: number;
  readonly valid: number;
  readonly inv: number;
  readonly seriesTable: number;
  /** Each series' row 0 (a NaN prefix of `prefix` floats stands before it). */
  readonly series: readonly number[];
  readonly prefix: number;
  /** Where the indicator series are computed: each piece's outputs, and the computes' own regions. */
  readonly placement: SeriesPlacement;
  readonly relations: number;
  readonly relationSides: readonly (readonly [AtomSide, AtomSide])[];
  readonly atoms: number;
  readonly atomTable: readonly (readonly [number, number])[];
  readonly code: number;
  readonly signals: number;
  readonly acc: number;
  readonly scratch: number;
}

/** The indicator series' computes (seriesComputes) and the bytes the largest lays out from its base. */
export interface SeriesComputes {
  readonly pieces: readonly SeriesPiece[];
  readonly workBytes: number;
}

/**
 * Lays out the memory for a program over t rows with batches of at most `batch` variants, for
 * `executors` batches at once (the pool's threads; 1 in-process), each in its own slot. The
 * indicator series lie where their pieces' computes write them: each piece's cells `variantBytes`
 * apart (a NaN prefix, the t rows and 16 bytes), the pieces one after the other, each starting
 * after the last cell of the one before that holds a series (the cells after it are never read).
 */
export function stageALayout(
  program: StrategyProgram,
  t: number,
  batch: number,
  executors: number,
  computes: SeriesComputes,
): StageALayout {
  let off = 64;
  const take = (bytes: number): number => {
    const at = off;
    off = align(off + bytes);
    return at;
  };
  const frame = take(BT_FRAME.bytes);
  const open = take(t * 8);
  const close = take(t * 8);
  const inv = take(t * 8);
  const valid = take(t);
  const seriesTable = take(program.series.length * 4);
  const prefix = nanPrefix(program);
  // + 16 bytes after each series: the last block's groups of four rows read up to three past the end
  const variantBytes = align((prefix + t) * 4 + 16);
  const series = new Array<number>(program.series.length).fill(-1);
  for (const k of priceSeries(program.series)) series[k] = take(variantBytes) + prefix * 4;
  let end = off;
  const outputAt = computes.pieces.map((piece) => {
    const at = piece.outputs.map((_, o) => off + prefix * 4 + o * piece.variants * variantBytes);
    let last = -1;
    piece.holds.forEach((k, cell) => {
      if (k < 0) return;
      series[k] = off + prefix * 4 + cell * variantBytes;
      last = cell;
    });
    end = Math.max(end, off + piece.holds.length * variantBytes);
    off += (last + 1) * variantBytes;
    return at;
  });
  off = align(end);
  const work = take(computes.workBytes);
  const { relations: relationSides, atoms: atomTable } = relationsOf(program);
  const relations = take(relationSides.length * BT_REL_BYTES);
  const V = program.variants;
  // one entry past the last variant: the padding lane of an odd batch reads it
  const sides = relationSides.map(
    ([l, r]) => [take((V + 1) * (l.kind === 'series' ? 4 : 8)), take((V + 1) * (r.kind === 'series' ? 4 : 8))] as const,
  );
  const atoms = take(atomTable.length * BT_ATOM_BYTES);
  const codeLength = SIGNAL_NAMES.reduce((s, k) => s + (program.signals[k]?.length ?? 0), 0);
  const code = take(codeLength * 4);
  const signals = take(8 * 4);
  const depth = Math.max(1, ...SIGNAL_NAMES.map((k) => (program.signals[k] ? stackDepth(program.signals[k]!) : 0)));
  const acc = take(ACC_COUNT * batch * 8);
  const scratch = take(scratchBytes(batch, relationSides.length, atomTable.length, depth, program.series.length));
  const slots: StageASlot[] = [{ frame, relations, acc, scratch }];
  for (let e = 1; e < executors; e++) {
    slots.push({
      frame: take(BT_FRAME.bytes),
      relations: take(relationSides.length * BT_REL_BYTES),
      acc: take(ACC_COUNT * batch * 8),
      scratch: take(scratchBytes(batch, relationSides.length, atomTable.length, depth, program.series.length)),
    });
  }
  const batches = Math.ceil(V / batch);
  const flags = take(batches * 4);
  return {
    bytes: off,
    slots,
    sideBytes: relationSides.map(([l, r]) => [l.kind === 'series' ? 4 : 8, r.kind === 'series' ? 4 : 8] as const),
    flags,
    batches,
    frame,
    open,
    close,
    valid,
    inv,
    seriesTable,
    series,
    prefix,
    placement: { series, outputAt, variantBytes, work },
    relations,
    sides,
    relationSides,
    atoms,
    atomTable,
    code,
    signals,
    acc,
    scratch,
  };
}

/** The largest scoring memory an engine keeps between backtests. */
export const STAGE_A_KEEP_BYTES = 1 << 30;

/**
 * The scoring memory an engine keeps for its next backtest: filling a fresh memory costs the first
 * touch of every page (on small VMs 1–2 s per GiB, more than scoring a grid), so a backtest that
 * finished hands its memory back, and the next one takes it when it is large enough. One memory
 * of at most `limit` bytes is kept; a backtest that fails or is cancelled does not hand it back
 * (a pool worker may still be writing to it). Everything Stage A reads is written before it runs,
 * so a kept memory gives the same bits as a fresh one.
 */
export interface ScoringMemoryCache {
  /** The kept memory if it holds `bytes` (it is no longer kept), else null (a smaller one is dropped). */
  take(bytes: number): WebAssembly.Memory | null;
  /** Keeps `memory` for the next backtest unless it is over the limit or smaller than the one kept. */
  give(memory: WebAssembly.Memory): void;
  clear(): void;
}

export function scoringMemoryCache(limit = STAGE_A_KEEP_BYTES): ScoringMemoryCache {
  let kept: WebAssembly.Memory | null = null;
  return {
    take(bytes) {
      const m = kept;
      kept = null;
      return m && m.buffer.byteLength >= bytes ? m : null;
    },
    give(memory) {
      const size = memory.buffer.byteLength;
      if (size <= limit && (kept === null || size >= kept.buffer.byteLength)) kept = memory;
    },
    clear() {
      kept = null;
    },
  };
}

/**
 * A memory for the layout (the cache's, when it keeps one large enough), refused with
 * ComputeBudgetExceeded past the 4 GiB of one wasm32 memory or the engine's byte limit.
 */
export function stageAMemory(
  layout: StageALayout,
  t: number,
  program: StrategyProgram,
  maxComputeBytesTotal: number,
  cache?: ScoringMemoryCache,
): WebAssembly.Memory {
  const pages = Math.ceil(layout.bytes / PAGE);
  const over = pages > MAX_PAGES ? 'wasm_memory' : layout.bytes > maxComputeBytesTotal ? 'bytes' : null;
  if (over) {
    const details = {
      scope: 'backtest',
      limit: over,
      t,
      variants: program.variants,
      series: program.series.length,
      bytesTotalEst: layout.bytes,
      maxComputeBytesTotal,
    } as const;
    throw new ComputeBudgetExceeded(
      details,
      over === 'wasm_memory'
        ? `a backtest over ${t} bars reading ${program.series.length} series needs ${layout.bytes} bytes, over the 4 GiB of one WebAssembly memory`
        : `a backtest over ${t} bars reading ${program.series.length} series needs ${layout.bytes} bytes, over maxComputeBytesTotal=${maxComputeBytesTotal}`,
    );
  }
  const kept = cache?.take(pages * PAGE);
  if (kept) return kept;
  reclaimBeforeAllocating(pages * PAGE);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

/**
 * Writes everything but the series values (operandSeriesInto), the accumulators and scratch: bar tables,
 * the series table and NaN prefixes, relations, comparisons, signals, and every executor's frame
 * and relation table (the same values but for its own acc and relations pointers).
 */
export function writeStageA(
  memory: WebAssembly.Memory,
  L: StageALayout,
  program: StrategyProgram,
  bars: BarInputs,
  inv: Float64Array,
  exec: Execution,
): void {
  const buf = memory.buffer;
  const t = bars.t;
  new Float64Array(buf, L.open, t).set(bars.open);
  new Float64Array(buf, L.close, t).set(bars.close);
  new Float64Array(buf, L.inv, t).set(inv);
  new Uint8Array(buf, L.valid, t).set(bars.valid);
  const u32 = new Uint32Array(buf);
  const i32 = new Int32Array(buf);
  program.series.forEach((_, k) => {
    u32[elementIndex(L.seriesTable, 4) + k] = L.series[k]!;
    new Float32Array(buf, L.series[k]! - L.prefix * 4, L.prefix).fill(Number.NaN);
  });
  const V = program.variants;
  L.relationSides.forEach((pair, k) => {
    pair.forEach((side, s) => {
      const arr = L.sides[k]![s]!;
      for (const slot of L.slots) {
        const at = elementIndex(slot.relations + k * BT_REL_BYTES, 4);
        u32[at + s * 3] = side.kind === 'series' ? 0 : 1;
        i32[at + 1 + s * 3] = side.kind === 'series' ? side.lag : 0;
      }
      if (side.kind === 'series') {
        const view = new Int32Array(buf, arr, V + 1);
        view.set(side.series);
        view[V] = side.series[V - 1]!;
      } else {
        const view = new Float64Array(buf, arr, V + 1);
        view.set(side.value);
        view[V] = side.value[V - 1]!;
      }
    });
  });
  L.atomTable.forEach(([rel, kind], k) => {
    u32[elementIndex(L.atoms + k * BT_ATOM_BYTES, 4)] = rel;
    u32[elementIndex(L.atoms + k * BT_ATOM_BYTES, 4) + 1] = kind;
  });
  let pair = 0;
  SIGNAL_NAMES.forEach((name, k) => {
    const code = program.signals[name];
    i32[elementIndex(L.signals, 4) + 2 * k] = pair;
    i32[elementIndex(L.signals, 4) + 2 * k + 1] = code ? code.length / 2 : 0;
    if (code) {
      i32.set(code, elementIndex(L.code, 4) + 2 * pair);
      pair += code.length / 2;
    }
  });
  const fields: readonly [number, number][] = [
    [BT_FRAME.first, bars.first],
    [BT_FRAME.end, bars.end],
    [BT_FRAME.open, L.open],
    [BT_FRAME.close, L.close],
    [BT_FRAME.valid, L.valid],
    [BT_FRAME.inv, L.inv],
    [BT_FRAME.series, L.seriesTable],
    [BT_FRAME.atoms, L.atoms],
    [BT_FRAME.nAtoms, L.atomTable.length],
    [BT_FRAME.code, L.code],
    [BT_FRAME.signals, L.signals],
    [BT_FRAME.side, SIDES[exec.side]],
    [BT_FRAME.fill, exec.fill === 'close' ? 1 : 0],
    [BT_FRAME.nRelations, L.relationSides.length],
    [BT_FRAME.nSeries, L.series.length],
  ];
  const f64 = new Float64Array(buf);
  for (const slot of L.slots) {
    const f = elementIndex(slot.frame, 4);
    for (const [field, value] of fields) u32[f + field / 4] = value;
    u32[f + BT_FRAME.acc / 4] = slot.acc;
    u32[f + BT_FRAME.relations / 4] = slot.relations;
    f64[elementIndex(slot.frame + BT_FRAME.fee, 8)] = exec.fee_bps / 1e4;
    f64[elementIndex(slot.frame + BT_FRAME.slip, 8)] = exec.slippage_bps / 1e4;
  }
}

export type BacktestFn = (io: number, n: number, scratch: number) => void;

/**
 * Scores variants [start, end) in executor `executor`'s slot, leaving their accumulators in its acc
 * area: points its relation table at the batch's first variant, then calls the kernel.
 */
export function scoreStageABatch(
  exports: Record<string, unknown>,
  memory: WebAssembly.Memory,
  L: StageABatchLayout,
  start: number,
  end: number,
  executor = 0,
): void {
  const slot = L.slots[executor]!;
  const u32 = new Uint32Array(memory.buffer);
  L.sides.forEach((arrays, k) => {
    const at = elementIndex(slot.relations + k * BT_REL_BYTES, 4);
    arrays.forEach((arr, s) => {
      u32[at + 2 + s * 3] = arr + start * L.sideBytes[k]![s]!;
    });
  });
  (exports.backtest as BacktestFn)(slot.frame, end - start, slot.scratch);
}

/** A copy of the accumulators (ACC_COUNT arrays of n) executor `executor`'s last batch of n variants left. */
export function stageAAccumulators(memory: WebAssembly.Memory, L: StageABatchLayout, n: number, executor = 0): Float64Array {
  return new Float64Array(memory.buffer, L.slots[executor]!.acc, ACC_COUNT * n).slice();
}

/** Runs variants [start, end) in executor 0's slot and returns their accumulators (ACC_COUNT arrays of end − start). */
export function runStageABatch(
  exports: Record<string, unknown>,
  memory: WebAssembly.Memory,
  L: StageALayout,
  start: number,
  end: number,
): Float64Array {
  scoreStageABatch(exports, memory, L, start, end);
  return stageAAccumulators(memory, L, end - start);
}

/** The part of a layout a pool worker is sent (StageABatchLayout): no operand arrays, no atoms. */
export function batchLayoutOf(L: StageALayout): StageABatchLayout {
  return { slots: L.slots, sides: L.sides, sideBytes: L.sideBytes, flags: L.flags, batches: L.batches };
}
