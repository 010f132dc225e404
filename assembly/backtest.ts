// Stage A of a backtest: every strategy variant of a batch run over the scored rows, leaving its
// accumulators (src/backtest/program.ts ACC_*). The same float64 operations in the same order as the
// plain-TypeScript reference (src/backtest/reference.ts, whose header states the execution model),
// so every accumulator is bit-identical to it.
//
// Fused: the operand series are the distinct indicator outputs (and candle series) computed once;
// the strategy's comparisons and signals are evaluated here per time block of BT_BLOCK rows, and
// nothing of size rows × variants is ever written. Rows are processed block by block, and within a
// block variant by variant: the series rows of a block stay in cache while every variant reads them,
// and each variant's state lives in scratch between blocks.

// Frame (bytes from `io`), written by the host (src/backtest/kernel.ts declares the same offsets):
@inline export const BT_FIRST: usize = 0;     // u32: first scored row
@inline export const BT_END: usize = 4;       // u32: one past the last scored row
@inline export const BT_OPEN: usize = 8;      // u32: f64[t] open prices
@inline export const BT_CLOSE: usize = 12;    // u32: f64[t] close prices
@inline export const BT_VALID: usize = 16;    // u32: u8[t], 1 where the row is a valid bar
@inline export const BT_INV: usize = 20;      // u32: f64[t], 1/k at the k-th valid scored row
@inline export const BT_SERIES: usize = 24;   // u32: u32[S], base of each operand series (f32[t])
@inline export const BT_ATOMS: usize = 28;    // u32: BT_ATOM_BYTES per comparison
@inline export const BT_NATOMS: usize = 32;   // u32: comparisons
@inline export const BT_CODE: usize = 36;     // u32: i32 pairs (op, arg) of the four signals, back to back
@inline export const BT_SIGNALS: usize = 40;  // u32: i32[8], (start pair, pairs) of each signal; 0 pairs = absent
@inline export const BT_SIDE: usize = 44;     // u32: 0 long, 1 short, 2 both
@inline export const BT_FILL: usize = 48;     // u32: 0 next_open, 1 close
@inline export const BT_ACC: usize = 52;      // u32: f64 accumulators, ACC_COUNT arrays of n
@inline export const BT_DEPTH: usize = 56;    // u32: the deepest evaluation stack of the four signals
@inline export const BT_FEE: usize = 64;      // f64: fee_bps / 1e4
@inline export const BT_SLIP: usize = 72;     // f64: slippage_bps / 1e4
@inline export const BT_FRAME_BYTES: usize = 80;

// A comparison: u32 words cmp, then for each side kind (0 series, 1 constant), lag, and a pointer to
// the batch's first variant in an i32[n] of series indices or an f64[n] of constants.
@inline export const BT_ATOM_BYTES: usize = 32;

/** Rows per block: a block's signal bytes and the series rows it reads stay in cache. */
@inline export const BT_BLOCK: i32 = 256;

// Accumulators (src/backtest/program.ts), then the running state, each an array of n f64 in scratch.
@inline const A_EQUITY: i32 = 0;
@inline const A_MEAN: i32 = 1;
@inline const A_M2: i32 = 2;
@inline const A_DOWN2: i32 = 3;
@inline const A_MAXDD: i32 = 4;
@inline const A_TRADES: i32 = 5;
@inline const A_WINS: i32 = 6;
@inline const A_SUM_POS: i32 = 7;
@inline const A_SUM_NEG: i32 = 8;
@inline const A_SUM_RET: i32 = 9;
@inline const A_EXPOSED: i32 = 10;
@inline export const BT_ACC_COUNT: i32 = 11;
@inline const S_POS: i32 = 11;       // position −1, 0, +1
@inline const S_REF: i32 = 12;       // R, the price the position was last marked at
@inline const S_REF_PREV: i32 = 13;  // 1 when R is the close of the previous valid row
@inline const S_PENDING: i32 = 14;   // next_open: the target to fill at the next valid bar
@inline const S_RUINED: i32 = 15;
@inline const S_ENTRY_E: i32 = 16;   // equity right before the open trade's entry fee
@inline const S_PEAK: i32 = 17;
@inline const S_TROUGH: i32 = 18;
@inline export const BT_STATE_ARRAYS: i32 = 19;

// Signal bits, as in the reference.
@inline const SIG_LONG_ENTRY: i32 = 1;
@inline const SIG_LONG_EXIT: i32 = 2;
@inline const SIG_SHORT_ENTRY: i32 = 4;
@inline const SIG_SHORT_EXIT: i32 = 8;

// Result bytes: bit 0 the value, bit 1 "defined" (no NaN operand under it).
@inline const VALUE: u8 = 1;
@inline const DEFINED: u8 = 2;

@inline function st(base: usize, n: i32, a: i32, j: i32): usize {
  return base + ((<usize>a * <usize>n + <usize>j) << 3);
}

/** Scratch bytes for n variants and a frame with `atoms` comparisons and a stack of `depth`. */
export function backtest_scratch_bytes(n: i32, atoms: i32, depth: i32): usize {
  const B = <usize>BT_BLOCK;
  return (<usize>BT_STATE_ARRAYS * <usize>((n + 1) & ~1) << 3) + (B << 3) + (B << 4) + 2 * B + ((B + 1) << 4) + <usize>(atoms + depth) * B;
}

/**
 * One side of a comparison for variant j over rows t0 − 1 … t1 − 1, widened to f64 into `out`
 * (out[0] is row t0 − 1): the series value read `lag` rows back (NaN before row 0), or the constant.
 */
function sideBlock(series: usize, kind: u32, lag: i32, ptr: usize, j: i32, t0: i32, t1: i32, out: usize): void {
  if (kind != 0) {
    const c = load<f64>(ptr + (<usize>j << 3));
    for (let row = t0 - 1; row < t1; row++) store<f64>(out + (<usize>(row - t0 + 1) << 3), c);
    return;
  }
  const base = <usize>load<u32>(series + (<usize>load<i32>(ptr + (<usize>j << 2)) << 2));
  let row = t0 - 1;
  for (; row < t1 && row - lag < 0; row++) store<f64>(out + (<usize>(row - t0 + 1) << 3), NaN);
  for (; row < t1; row++) store<f64>(out + (<usize>(row - t0 + 1) << 3), <f64>load<f32>(base + (<usize>(row - lag) << 2)));
}

/** The bytes of comparison `atom` for variant j over rows t0 … t1 − 1, into `out`; `sides` holds 2 × (BT_BLOCK + 1) f64. */
function atomBlock(io: usize, atom: usize, j: i32, t0: i32, t1: i32, out: usize, sides: usize): void {
  const series = <usize>load<u32>(io + BT_SERIES);
  const cmp = load<u32>(atom);
  const A = sides, Bv = sides + ((<usize>BT_BLOCK + 1) << 3);
  sideBlock(series, load<u32>(atom + 4), load<i32>(atom + 8), <usize>load<u32>(atom + 12), j, t0, t1, A);
  sideBlock(series, load<u32>(atom + 16), load<i32>(atom + 20), <usize>load<u32>(atom + 24), j, t0, t1, Bv);
  const len = t1 - t0;
  if (cmp < 2) {
    for (let i = 0; i < len; i++) {
      const a = load<f64>(A + (<usize>(i + 1) << 3)), b = load<f64>(Bv + (<usize>(i + 1) << 3));
      const defined = a == a && b == b;
      store<u8>(out + <usize>i, defined ? DEFINED | (cmp == 0 ? <u8>(a > b) : <u8>(a < b)) : 0);
    }
    return;
  }
  for (let i = 0; i < len; i++) {
    const a1 = load<f64>(A + (<usize>i << 3)), b1 = load<f64>(Bv + (<usize>i << 3));
    const a = load<f64>(A + (<usize>(i + 1) << 3)), b = load<f64>(Bv + (<usize>(i + 1) << 3));
    const defined = a == a && b == b && a1 == a1 && b1 == b1;
    store<u8>(out + <usize>i, defined ? DEFINED | (cmp == 2 ? <u8>(a > b && a1 <= b1) : <u8>(a < b && a1 >= b1)) : 0);
  }
}

/**
 * Evaluates a signal's postfix code over a block into `out` (value bits), from the atoms' bytes at
 * `atomBytes` and a stack of `depth` block-sized buffers at `stack`.
 */
function signalBlock(code: usize, pairs: i32, atomBytes: usize, stack: usize, len: i32, out: usize, bit: u8): void {
  let top = 0;
  const B = <usize>BT_BLOCK;
  for (let k = 0; k < pairs; k++) {
    const op = load<i32>(code + (<usize>k << 3)), arg = load<i32>(code + (<usize>k << 3) + 4);
    if (op == 0) {
      memory.copy(stack + <usize>top * B, atomBytes + <usize>arg * B, <usize>len);
      top++;
    } else if (op == 3) {
      const p = stack + <usize>(top - 1) * B;
      for (let i = 0; i < len; i++) {
        const x = load<u8>(p + <usize>i);
        store<u8>(p + <usize>i, (x & DEFINED) | ((x >> 1) & ~x & VALUE));
      }
    } else {
      const first = top - arg;
      const p = stack + <usize>first * B;
      for (let c = first + 1; c < top; c++) {
        const q = stack + <usize>c * B;
        for (let i = 0; i < len; i++) {
          const x = load<u8>(p + <usize>i), y = load<u8>(q + <usize>i);
          // all: value and definedness both AND; any: value OR, definedness AND
          store<u8>(p + <usize>i, op == 1 ? x & y : ((x | y) & VALUE) | (x & y & DEFINED));
        }
      }
      top = first + 1;
    }
  }
  for (let i = 0; i < len; i++) {
    const v = load<u8>(stack + <usize>i) & VALUE;
    store<u8>(out + <usize>i, load<u8>(out + <usize>i) | (v != 0 ? bit : 0));
  }
}

/** The target position after a decision (the reference's `decide`). */
@inline function decide(p: f64, bits: i32, side: u32): f64 {
  const long = side != 1, short = side != 0;
  if (p == 0) return long && (bits & SIG_LONG_ENTRY) != 0 ? 1.0 : short && (bits & SIG_SHORT_ENTRY) != 0 ? -1.0 : 0.0;
  if (p == 1) return (bits & SIG_LONG_EXIT) == 0 ? 1.0 : side == 2 && (bits & SIG_SHORT_ENTRY) != 0 ? -1.0 : 0.0;
  return (bits & SIG_SHORT_EXIT) == 0 ? -1.0 : side == 2 && (bits & SIG_LONG_ENTRY) != 0 ? 1.0 : 0.0;
}

/** A trade entered with equity entryE (before its fee) closes with equity e after its exit: count it. */
function closeTrade(s: usize, n: i32, j: i32, e: f64, entryE: f64): void {
  const ret = e / entryE - 1;
  store<f64>(st(s, n, A_TRADES, j), load<f64>(st(s, n, A_TRADES, j)) + 1);
  if (ret > 0) {
    store<f64>(st(s, n, A_WINS, j), load<f64>(st(s, n, A_WINS, j)) + 1);
    store<f64>(st(s, n, A_SUM_POS, j), load<f64>(st(s, n, A_SUM_POS, j)) + ret);
  } else if (ret < 0) {
    store<f64>(st(s, n, A_SUM_NEG, j), load<f64>(st(s, n, A_SUM_NEG, j)) + ret);
  }
  store<f64>(st(s, n, A_SUM_RET, j), load<f64>(st(s, n, A_SUM_RET, j)) + ret);
}

/**
 * Runs variant j over rows t0 … t1 − 1 of a block: sig holds each row's signal bits, gain each valid
 * row's close / previous valid close − 1. The state lives in locals for the block; trade sums
 * (rare) are counted in scratch by closeTrade.
 */
function runRows(io: usize, s: usize, n: i32, j: i32, t0: i32, t1: i32, sig: usize, gain: usize): void {
  const close = <usize>load<u32>(io + BT_CLOSE), open = <usize>load<u32>(io + BT_OPEN);
  const valid = <usize>load<u32>(io + BT_VALID), inv = <usize>load<u32>(io + BT_INV);
  const side = load<u32>(io + BT_SIDE), atClose = load<u32>(io + BT_FILL) == 1;
  const fee = load<f64>(io + BT_FEE), slip = load<f64>(io + BT_SLIP);
  let e = load<f64>(st(s, n, A_EQUITY, j)), mean = load<f64>(st(s, n, A_MEAN, j)), m2 = load<f64>(st(s, n, A_M2, j));
  let down2 = load<f64>(st(s, n, A_DOWN2, j)), maxdd = load<f64>(st(s, n, A_MAXDD, j)), exposed = load<f64>(st(s, n, A_EXPOSED, j));
  let peak = load<f64>(st(s, n, S_PEAK, j)), trough = load<f64>(st(s, n, S_TROUGH, j));
  let p = load<f64>(st(s, n, S_POS, j)), ref = load<f64>(st(s, n, S_REF, j)), refPrev = load<f64>(st(s, n, S_REF_PREV, j)) != 0;
  let pending = load<f64>(st(s, n, S_PENDING, j)), ruined = load<f64>(st(s, n, S_RUINED, j)) != 0;
  let entryE = load<f64>(st(s, n, S_ENTRY_E, j));
  for (let row = t0; row < t1; row++) {
    if (load<u8>(valid + <usize>row) == 0) continue;
    const before = e;
    let fill = false;
    let factor = 1.0;
    const c = load<f64>(close + (<usize>row << 3));
    // next_open: fill the pending target at this bar's open
    let target = pending, price = load<f64>(open + (<usize>row << 3));
    let move = !atClose && !ruined && pending != p;
    for (let phase = 0; phase < 2; phase++) {
      if (move) {
        fill = true;
        if (p != 0) {
          const x = price * (1 - p * slip);
          e = e * (1 + p * (x / ref - 1));
          e = e * (1 - fee);
          if (e <= 0) {
            e = 0;
            closeTrade(s, n, j, e, entryE);
            p = 0;
            pending = 0;
            ruined = true;
          } else {
            closeTrade(s, n, j, e, entryE);
            p = 0;
          }
        }
        if (target != 0 && !ruined) {
          entryE = e;
          e = e * (1 - fee);
          p = target;
          ref = price * (1 + target * slip);
          refPrev = false;
        }
      }
      if (phase == 1) break;
      if (!atClose) pending = p;
      // mark: R is the previous valid close unless the position was entered since, so the quotient
      // close / R − 1 is then the block's shared gain (the same division, done once per row)
      if (p != 0) {
        const g = refPrev ? load<f64>(gain + (<usize>(row - t0) << 3)) : c / ref - 1;
        factor = 1 + p * g;
        e = e * factor;
        ref = c;
        refPrev = true;
        exposed += 1;
        if (e <= 0) {
          e = 0;
          fill = true;
          closeTrade(s, n, j, e, entryE);
          p = 0;
          pending = 0;
          ruined = true;
        }
      }
      move = false;
      if (!ruined) {
        const d = decide(p, <i32>load<u8>(sig + <usize>(row - t0)), side);
        if (atClose) {
          move = d != p;
          target = d;
          price = c;
        } else {
          pending = d;
        }
      }
    }
    const ret = fill ? (before == 0 ? 0 : e / before - 1) : factor - 1;
    const delta = ret - mean;
    mean = mean + delta * load<f64>(inv + (<usize>row << 3));
    m2 = m2 + delta * (ret - mean);
    if (ret < 0) down2 = down2 + ret * ret;
    if (e > peak) {
      if (trough < peak) {
        const dd = 1 - trough / peak;
        if (dd > maxdd) maxdd = dd;
      }
      peak = e;
      trough = e;
    } else if (e < trough) {
      trough = e;
    }
  }
  store<f64>(st(s, n, A_EQUITY, j), e); store<f64>(st(s, n, A_MEAN, j), mean); store<f64>(st(s, n, A_M2, j), m2);
  store<f64>(st(s, n, A_DOWN2, j), down2); store<f64>(st(s, n, A_MAXDD, j), maxdd); store<f64>(st(s, n, A_EXPOSED, j), exposed);
  store<f64>(st(s, n, S_PEAK, j), peak); store<f64>(st(s, n, S_TROUGH, j), trough);
  store<f64>(st(s, n, S_POS, j), p); store<f64>(st(s, n, S_REF, j), ref); store<f64>(st(s, n, S_REF_PREV, j), refPrev ? 1 : 0);
  store<f64>(st(s, n, S_PENDING, j), pending); store<f64>(st(s, n, S_RUINED, j), ruined ? 1 : 0);
  store<f64>(st(s, n, S_ENTRY_E, j), entryE);
}

/** The signal bits of variant j over a block into `sig`: each comparison's bytes, then each signal's code. */
function signalsOf(io: usize, j: i32, t0: i32, t1: i32, work: usize, depth: i32, sig: usize): void {
  const B = <usize>BT_BLOCK, len = t1 - t0;
  const atoms = <usize>load<u32>(io + BT_ATOMS), nAtoms = load<i32>(io + BT_NATOMS);
  const code = <usize>load<u32>(io + BT_CODE), signals = <usize>load<u32>(io + BT_SIGNALS);
  const sides = work, atomBytes = sides + ((B + 1) << 4), stack = atomBytes + <usize>nAtoms * B;
  for (let a = 0; a < nAtoms; a++) atomBlock(io, atoms + <usize>a * BT_ATOM_BYTES, j, t0, t1, atomBytes + <usize>a * B, sides);
  memory.fill(sig, 0, <usize>len);
  for (let k = 0; k < 4; k++) {
    const pairs = load<i32>(signals + (<usize>k << 3) + 4);
    if (pairs == 0) continue;
    const start = load<i32>(signals + (<usize>k << 3));
    signalBlock(code + (<usize>start << 3), pairs, atomBytes, stack, len, sig, <u8>(<u32>1 << <u32>k));
  }
}

/**
 * The signal bits that would change variant j's position (its watch): entries when flat (those the
 * side allows), the exit of the open side, none once ruined. A bar whose bits miss the watch, with no
 * fill pending and R the previous close, only marks.
 */
@inline function watchOf(s: usize, n: i32, j: i32, side: u32): i32 {
  if (load<f64>(st(s, n, S_RUINED, j)) != 0) return 0;
  const p = load<f64>(st(s, n, S_POS, j));
  if (p == 0) return (side != 1 ? SIG_LONG_ENTRY : 0) | (side != 0 ? SIG_SHORT_ENTRY : 0);
  return p > 0 ? SIG_LONG_EXIT : SIG_SHORT_EXIT;
}

/** Variant j's next valid bar needs the full row logic: a fill pending, or a mark against an entry price. */
@inline function slowNext(s: usize, n: i32, j: i32, atClose: bool): bool {
  if (load<f64>(st(s, n, S_RUINED, j)) != 0) return false;
  const p = load<f64>(st(s, n, S_POS, j));
  return (!atClose && load<f64>(st(s, n, S_PENDING, j)) != p) || (p != 0 && load<f64>(st(s, n, S_REF_PREV, j)) == 0);
}

/**
 * Variants j and j + 1 over a block, two f64 lanes (SIMD build). A bar where neither lane's signal
 * bits meet its watch and neither needs the full logic only marks: the factor 1 + p·g is the
 * block's shared 1 + g or 1 − g (the same operations as the scalar mark), and the return is the
 * factor − 1. Any other bar runs the scalar row logic (runRows) for both lanes, from the same
 * state, so the two paths give the same bits.
 */
function runPair(io: usize, s: usize, n: i32, j: i32, t0: i32, t1: i32, sigA: usize, sigB: usize, gain: usize, fl: usize): void {
  const valid = <usize>load<u32>(io + BT_VALID), inv = <usize>load<u32>(io + BT_INV);
  const side = load<u32>(io + BT_SIDE), atClose = load<u32>(io + BT_FILL) == 1;
  const one = f64x2.splat(1.0), zero = f64x2.splat(0.0);
  let E = v128.load(st(s, n, A_EQUITY, j)), MEAN = v128.load(st(s, n, A_MEAN, j)), M2 = v128.load(st(s, n, A_M2, j));
  let DOWN2 = v128.load(st(s, n, A_DOWN2, j)), MAXDD = v128.load(st(s, n, A_MAXDD, j)), EXPOSED = v128.load(st(s, n, A_EXPOSED, j));
  let PEAK = v128.load(st(s, n, S_PEAK, j)), TROUGH = v128.load(st(s, n, S_TROUGH, j));
  let P = v128.load(st(s, n, S_POS, j));
  let isLong = f64x2.gt(P, zero), isShort = f64x2.lt(P, zero), inPos = v128.or(isLong, isShort);
  let watchA = watchOf(s, n, j, side), watchB = watchOf(s, n, j + 1, side);
  let slow = slowNext(s, n, j, atClose) || slowNext(s, n, j + 1, atClose);
  for (let row = t0; row < t1; row++) {
    if (load<u8>(valid + <usize>row) == 0) continue;
    const i = <usize>(row - t0);
    let full = slow || ((<i32>load<u8>(sigA + i) & watchA) | (<i32>load<u8>(sigB + i) & watchB)) != 0;
    let factor = zero, e2 = zero;
    if (!full) {
      factor = v128.bitselect(v128.load64_splat(fl + (i << 4)), v128.bitselect(v128.load64_splat(fl + (i << 4) + 8), one, isShort), isLong);
      e2 = f64x2.mul(E, factor);
      // a mark that ruins (E ≤ 0) takes the full logic
      full = v128.any_true(v128.and(f64x2.le(e2, zero), inPos));
    }
    if (full) {
      v128.store(st(s, n, A_EQUITY, j), E); v128.store(st(s, n, A_MEAN, j), MEAN); v128.store(st(s, n, A_M2, j), M2);
      v128.store(st(s, n, A_DOWN2, j), DOWN2); v128.store(st(s, n, A_MAXDD, j), MAXDD); v128.store(st(s, n, A_EXPOSED, j), EXPOSED);
      v128.store(st(s, n, S_PEAK, j), PEAK); v128.store(st(s, n, S_TROUGH, j), TROUGH);
      runRows(io, s, n, j, row, row + 1, sigA + i, gain + (i << 3));
      runRows(io, s, n, j + 1, row, row + 1, sigB + i, gain + (i << 3));
      E = v128.load(st(s, n, A_EQUITY, j)); MEAN = v128.load(st(s, n, A_MEAN, j)); M2 = v128.load(st(s, n, A_M2, j));
      DOWN2 = v128.load(st(s, n, A_DOWN2, j)); MAXDD = v128.load(st(s, n, A_MAXDD, j)); EXPOSED = v128.load(st(s, n, A_EXPOSED, j));
      PEAK = v128.load(st(s, n, S_PEAK, j)); TROUGH = v128.load(st(s, n, S_TROUGH, j));
      P = v128.load(st(s, n, S_POS, j));
      isLong = f64x2.gt(P, zero); isShort = f64x2.lt(P, zero); inPos = v128.or(isLong, isShort);
      watchA = watchOf(s, n, j, side); watchB = watchOf(s, n, j + 1, side);
      slow = slowNext(s, n, j, atClose) || slowNext(s, n, j + 1, atClose);
      continue;
    }
    E = e2;
    const r = f64x2.sub(factor, one);
    EXPOSED = f64x2.add(EXPOSED, v128.and(inPos, one));
    const delta = f64x2.sub(r, MEAN);
    MEAN = f64x2.add(MEAN, f64x2.mul(delta, v128.load64_splat(inv + (<usize>row << 3))));
    M2 = f64x2.add(M2, f64x2.mul(delta, f64x2.sub(r, MEAN)));
    // + 0 where the return is not negative: the sum is never −0, so that adds nothing
    DOWN2 = f64x2.add(DOWN2, v128.and(f64x2.lt(r, zero), f64x2.mul(r, r)));
    const up = f64x2.gt(E, PEAK);
    const ends = v128.and(up, f64x2.lt(TROUGH, PEAK));
    if (v128.any_true(ends)) {
      const dd = f64x2.sub(one, f64x2.div(TROUGH, PEAK));
      MAXDD = v128.bitselect(dd, MAXDD, v128.and(ends, f64x2.gt(dd, MAXDD)));
    }
    PEAK = v128.bitselect(E, PEAK, up);
    TROUGH = v128.bitselect(E, TROUGH, v128.or(up, f64x2.lt(E, TROUGH)));
  }
  v128.store(st(s, n, A_EQUITY, j), E); v128.store(st(s, n, A_MEAN, j), MEAN); v128.store(st(s, n, A_M2, j), M2);
  v128.store(st(s, n, A_DOWN2, j), DOWN2); v128.store(st(s, n, A_MAXDD, j), MAXDD); v128.store(st(s, n, A_EXPOSED, j), EXPOSED);
  v128.store(st(s, n, S_PEAK, j), PEAK); v128.store(st(s, n, S_TROUGH, j), TROUGH);
}

/**
 * Scores n variants (the batch's per-variant operand arrays start at its first variant and hold one
 * entry past the last) over the scored rows; writes BT_ACC_COUNT accumulator arrays of n f64 at the
 * frame's BT_ACC. State arrays are of n rounded up to even (the SIMD build runs variants in pairs;
 * a padding lane repeats the last variant and is never written out).
 */
export function backtest(io: usize, n: i32, scratch: usize): void {
  const first = load<i32>(io + BT_FIRST), end = load<i32>(io + BT_END);
  const close = <usize>load<u32>(io + BT_CLOSE), valid = <usize>load<u32>(io + BT_VALID);
  const depth = load<i32>(io + BT_DEPTH);
  const np = (n + 1) & ~1;
  const B = <usize>BT_BLOCK;
  const gain = scratch + (<usize>BT_STATE_ARRAYS * <usize>np << 3);
  const fl = gain + (B << 3);
  const sigA = fl + (B << 4), sigB = sigA + B;
  const work = sigB + B;
  for (let j = 0; j < np; j++) {
    for (let a = 0; a < BT_STATE_ARRAYS; a++) store<f64>(st(scratch, np, a, j), 0);
    store<f64>(st(scratch, np, A_EQUITY, j), 1);
    store<f64>(st(scratch, np, S_PEAK, j), 1);
    store<f64>(st(scratch, np, S_TROUGH, j), 1);
  }
  let prevClose = NaN;
  for (let t0 = first; t0 < end; t0 += BT_BLOCK) {
    const t1 = min(end, t0 + BT_BLOCK);
    for (let row = t0; row < t1; row++) {
      if (load<u8>(valid + <usize>row) == 0) continue;
      const c = load<f64>(close + (<usize>row << 3));
      const g = c / prevClose - 1;
      const i = <usize>(row - t0);
      store<f64>(gain + (i << 3), g);
      // the factor of a long mark, 1 + g, and of a short one, 1 + (−1·g) = 1 − g, as the scalar mark computes them
      store<f64>(fl + (i << 4), 1 + g);
      store<f64>(fl + (i << 4) + 8, 1 - g);
      prevClose = c;
    }
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < np; j += 2) {
        signalsOf(io, j, t0, t1, work, depth, sigA);
        signalsOf(io, j + 1, t0, t1, work, depth, sigB);
        runPair(io, scratch, np, j, t0, t1, sigA, sigB, gain, fl);
      }
    } else {
      for (let j = 0; j < n; j++) {
        signalsOf(io, j, t0, t1, work, depth, sigA);
        runRows(io, scratch, np, j, t0, t1, sigA, gain);
      }
    }
  }
  const acc = <usize>load<u32>(io + BT_ACC);
  for (let j = 0; j < n; j++) {
    const peak = load<f64>(st(scratch, np, S_PEAK, j)), trough = load<f64>(st(scratch, np, S_TROUGH, j));
    if (trough < peak) {
      const dd = 1 - trough / peak;
      if (dd > load<f64>(st(scratch, np, A_MAXDD, j))) store<f64>(st(scratch, np, A_MAXDD, j), dd);
    }
    // a position still open after the last valid row: closed virtually at the last close, no exit fee
    if (load<f64>(st(scratch, np, S_POS, j)) != 0) closeTrade(scratch, np, j, load<f64>(st(scratch, np, A_EQUITY, j)), load<f64>(st(scratch, np, S_ENTRY_E, j)));
    for (let a = 0; a < BT_ACC_COUNT; a++) store<f64>(st(acc, n, a, j), load<f64>(st(scratch, np, a, j)));
  }
}
