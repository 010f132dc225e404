/**
 * The host side of the Stage A kernel (assembly/backtest.ts): lays out one WebAssembly memory with
 * the bar tables, the operand series, the compiled comparisons and signals and the per-variant
 * operand arrays, then runs the kernel batch by batch into accumulator arrays.
 */
import { MAX_PAGES, PAGE } from '../compute/plan.js';
import { elementIndex } from '../compute/kernels.js';
import { reclaimBeforeAllocating } from '../compute/reclaim.js';
import { ComputeBudgetExceeded } from '../errors.js';
import { ACC_COUNT, type BarInputs, type Execution, type StrategyProgram } from './program.js';
import { SIGNAL_NAMES } from '../strategies/types.js';

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
  depth: 56,
  fee: 64,
  slip: 72,
  bytes: 80,
});
/** Bytes of one comparison in the kernel's table. */
export const BT_ATOM_BYTES = 32;
/** Rows per block (assembly/backtest.ts BT_BLOCK) and state arrays of n f64 per variant (BT_STATE_ARRAYS). */
export const BT_BLOCK = 256;
export const BT_STATE_ARRAYS = 19;

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
function scratchBytes(n: number, atoms: number, depth: number): number {
  const B = BT_BLOCK;
  return BT_STATE_ARRAYS * (n + (n & 1)) * 8 + B * 8 + B * 16 + 2 * B + (B + 1) * 16 + (atoms + depth) * B;
}

const align = (x: number): number => Math.ceil(x / 64) * 64;

/** Where everything lives in the memory of one Stage A run. */
export interface StageALayout {
  readonly bytes: number;
  readonly frame: number;
  readonly open: number;
  readonly close: number;
  readonly valid: number;
  readonly inv: number;
  readonly seriesTable: number;
  readonly series: readonly number[];
  readonly atoms: number;
  /** Per atom: the offsets of the left and right per-variant arrays (all variants). */
  readonly sides: readonly (readonly [number, number])[];
  readonly code: number;
  readonly signals: number;
  readonly acc: number;
  readonly scratch: number;
  readonly depth: number;
}

/** Lays out the memory for a program over t rows with batches of at most `batch` variants. */
export function stageALayout(program: StrategyProgram, t: number, batch: number): StageALayout {
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
  const series = program.series.map(() => take(t * 4));
  const atoms = take(program.atoms.length * BT_ATOM_BYTES);
  const V = program.variants;
  // one entry past the last variant: the padding lane of an odd batch reads it
  const sides = program.atoms.map(
    (a) => [take((V + 1) * (a.left.kind === 'series' ? 4 : 8)), take((V + 1) * (a.right.kind === 'series' ? 4 : 8))] as const,
  );
  const codeLength = SIGNAL_NAMES.reduce((s, k) => s + (program.signals[k]?.length ?? 0), 0);
  const code = take(codeLength * 4);
  const signals = take(8 * 4);
  const depth = Math.max(1, ...SIGNAL_NAMES.map((k) => (program.signals[k] ? stackDepth(program.signals[k]!) : 0)));
  const acc = take(ACC_COUNT * batch * 8);
  const scratch = take(scratchBytes(batch, program.atoms.length, depth));
  return { bytes: off, frame, open, close, valid, inv, seriesTable, series, atoms, sides, code, signals, acc, scratch, depth };
}

/** A memory for the layout, refused with ComputeBudgetExceeded past the 4 GiB of one wasm32 memory. */
export function stageAMemory(layout: StageALayout, t: number, program: StrategyProgram, maxComputeBytesTotal: number): WebAssembly.Memory {
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
  reclaimBeforeAllocating(pages * PAGE);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

/** Writes everything but the accumulators and scratch: bar tables, series, comparisons, signals, frame. */
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
    new Float32Array(buf, L.series[k]!, t).set(bars.series[k]!);
  });
  program.atoms.forEach((atom, k) => {
    const at = elementIndex(L.atoms + k * BT_ATOM_BYTES, 4);
    u32[at] = atom.cmp;
    [atom.left, atom.right].forEach((side, s) => {
      const arr = L.sides[k]![s]!;
      u32[at + 1 + s * 3] = side.kind === 'series' ? 0 : 1;
      i32[at + 2 + s * 3] = side.kind === 'series' ? side.lag : 0;
      const V = program.variants;
      if (side.kind === 'series') {
        new Int32Array(buf, arr, V + 1).set(side.series);
        new Int32Array(buf, arr, V + 1)[V] = side.series[V - 1]!;
      } else {
        new Float64Array(buf, arr, V + 1).set(side.value);
        new Float64Array(buf, arr, V + 1)[V] = side.value[V - 1]!;
      }
    });
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
  const f = elementIndex(L.frame, 4);
  u32[f + BT_FRAME.first / 4] = bars.first;
  u32[f + BT_FRAME.end / 4] = bars.end;
  u32[f + BT_FRAME.open / 4] = L.open;
  u32[f + BT_FRAME.close / 4] = L.close;
  u32[f + BT_FRAME.valid / 4] = L.valid;
  u32[f + BT_FRAME.inv / 4] = L.inv;
  u32[f + BT_FRAME.series / 4] = L.seriesTable;
  u32[f + BT_FRAME.atoms / 4] = L.atoms;
  u32[f + BT_FRAME.nAtoms / 4] = program.atoms.length;
  u32[f + BT_FRAME.code / 4] = L.code;
  u32[f + BT_FRAME.signals / 4] = L.signals;
  u32[f + BT_FRAME.side / 4] = SIDES[exec.side];
  u32[f + BT_FRAME.fill / 4] = exec.fill === 'close' ? 1 : 0;
  u32[f + BT_FRAME.acc / 4] = L.acc;
  u32[f + BT_FRAME.depth / 4] = L.depth;
  const f64 = new Float64Array(buf);
  f64[elementIndex(L.frame + BT_FRAME.fee, 8)] = exec.fee_bps / 1e4;
  f64[elementIndex(L.frame + BT_FRAME.slip, 8)] = exec.slippage_bps / 1e4;
}

export type BacktestFn = (io: number, n: number, scratch: number) => void;

/**
 * Runs variants [start, end) and returns their accumulators (ACC_COUNT arrays of end − start):
 * points each comparison's per-variant arrays at the batch's first variant, then calls the kernel.
 */
export function runStageABatch(
  exports: Record<string, unknown>,
  memory: WebAssembly.Memory,
  L: StageALayout,
  program: StrategyProgram,
  start: number,
  end: number,
): Float64Array {
  const u32 = new Uint32Array(memory.buffer);
  program.atoms.forEach((atom, k) => {
    const at = elementIndex(L.atoms + k * BT_ATOM_BYTES, 4);
    [atom.left, atom.right].forEach((side, s) => {
      u32[at + 3 + s * 3] = L.sides[k]![s]! + start * (side.kind === 'series' ? 4 : 8);
    });
  });
  const n = end - start;
  (exports.backtest as BacktestFn)(L.frame, n, L.scratch);
  return new Float64Array(memory.buffer, L.acc, ACC_COUNT * n).slice();
}
