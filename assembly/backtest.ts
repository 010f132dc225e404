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
@inline export const BT_ATOMS: usize = 28;    // u32: 8 bytes per comparison (atomWords)
@inline export const BT_NATOMS: usize = 32;   // u32: comparisons
@inline export const BT_CODE: usize = 36;     // u32: i32 pairs (op, arg) of the four signals, back to back
@inline export const BT_SIGNALS: usize = 40;  // u32: i32[8], (start pair, pairs) of each signal; 0 pairs = absent
@inline export const BT_SIDE: usize = 44;     // u32: 0 long, 1 short, 2 both
@inline export const BT_FILL: usize = 48;     // u32: 0 next_open, 1 close
@inline export const BT_ACC: usize = 52;      // u32: f64 accumulators, ACC_COUNT arrays of n
@inline export const BT_FEE: usize = 64;      // f64: fee_bps / 1e4
@inline export const BT_SLIP: usize = 72;     // f64: slippage_bps / 1e4
@inline export const BT_RELATIONS: usize = 80; // u32: BT_REL_BYTES per relation (relationWords)
@inline export const BT_NRELATIONS: usize = 84; // u32: relations
@inline export const BT_NSERIES: usize = 88;  // u32: operand series (entries of BT_SERIES)
@inline export const BT_FRAME_BYTES: usize = 92;

// A relation: for each side, u32 kind (0 series, 1 constant), lag, and a pointer to the batch's first
// variant in an i32[n] of series indices (each series preceded by NaNs, so rows before 0 read NaN)
// or an f64[n] of constants.
@inline export const BT_REL_BYTES: usize = 32;

/** Rows per block, a multiple of 128 (event words go two at a time): a block's signal bytes and the series rows it reads stay in cache. */
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
@inline const S_SUM: i32 = 19;       // running sum of the returns (the mean is S · 1/k)
@inline export const BT_STATE_ARRAYS: i32 = 20;

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

/** Words of 64 rows per block. */
@inline const WORDS: i32 = BT_BLOCK / 64;
/** Per variant and block: the four signals' words (value bits), signal k's word w at (k·WORDS + w)·8. */
@inline const SIG_BYTES: usize = <usize>(4 * WORDS) << 3;

/** The float32 just above x (x not NaN; +Infinity stays). */
@inline function nextUp32(x: f32): f32 {
  if (x == Infinity) return x;
  if (x == 0) return reinterpret<f32>(<i32>1);
  const b = reinterpret<i32>(x);
  return reinterpret<f32>(x > 0 ? b + 1 : b - 1);
}

/** Four f32x4 compare masks (16 rows) -> 16 bits, row order. */
@inline function bits16(m0: v128, m1: v128, m2: v128, m3: v128): u32 {
  return <u32>i8x16.bitmask(i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3)));
}

/** One side of a relation at a row, widened to f64 as the reference reads it (NaN before row 0 comes from the series' NaN prefix). */
@inline function sideAt(series: usize, kind: u32, lag: i32, ptr: usize, j: i32, row: i32): f64 {
  if (kind != 0) return load<f64>(ptr + (<usize>j << 3));
  const base = <usize>load<u32>(series + (<usize>load<i32>(ptr + (<usize>j << 2)) << 2));
  return <f64>load<f32>(base + (<isize>(row - lag) << 2));
}

/**
 * A relation between two sides of comparisons, per row: bit "gt" (left > right), "lt" (left < right)
 * and "def" (neither side NaN), as words of 64 rows at `out` (gt, lt, def: WORDS each), then the
 * three bits of row t0 − 1 (the carry into the block's first row) as one word. Table entry:
 * u32 kind, lag, pointer of the left side, then of the right side (as a comparison's sides).
 */
function relationWords(io: usize, rel: usize, j: i32, t0: i32, t1: i32, out: usize, clean: usize): void {
  const series = <usize>load<u32>(io + BT_SERIES);
  const kl = load<u32>(rel), ll = load<i32>(rel + 4), pl = <usize>load<u32>(rel + 8);
  const kr = load<u32>(rel + 12), lr = load<i32>(rel + 16), pr = <usize>load<u32>(rel + 20);
  const W = <usize>WORDS << 3;
  for (let w = 0; w < WORDS * 3 + 1; w++) store<u64>(out + (<usize>w << 3), 0);
  {
    const a = sideAt(series, kl, ll, pl, j, t0 - 1), b = sideAt(series, kr, lr, pr, j, t0 - 1);
    store<u64>(out + 3 * W, <u64>(a > b) | (<u64>(a < b) << 1) | (<u64>(a == a && b == b) << 2));
  }
  const len = t1 - t0;
  if (ASC_FEATURE_SIMD) {
    // float32 against float32 compares exactly; a constant c (float64) becomes the float32 thresholds
    // that give the same answers: x > c ⇔ x > down(c), x < c ⇔ x < up(c), down/up the float32 at or
    // below / at or above c
    let aDown = f32x4.splat(0), aUp = f32x4.splat(0), bDown = f32x4.splat(0), bUp = f32x4.splat(0);
    let ap: usize = 0, bp: usize = 0;
    if (kl != 0) {
      const c = load<f64>(pl + (<usize>j << 3)), f = <f32>c;
      aDown = f32x4.splat(<f64>f <= c ? f : -nextUp32(-f));
      aUp = f32x4.splat(<f64>f >= c ? f : nextUp32(f));
    } else {
      ap = <usize>load<u32>(series + (<usize>load<i32>(pl + (<usize>j << 2)) << 2)) + (<isize>(t0 - ll) << 2);
    }
    if (kr != 0) {
      const c = load<f64>(pr + (<usize>j << 3)), f = <f32>c;
      bDown = f32x4.splat(<f64>f <= c ? f : -nextUp32(-f));
      bUp = f32x4.splat(<f64>f >= c ? f : nextUp32(f));
    } else {
      bp = <usize>load<u32>(series + (<usize>load<i32>(pr + (<usize>j << 2)) << 2)) + (<isize>(t0 - lr) << 2);
    }
    // sides without a NaN on the rows the block reads (per-block flags): defined on every row
    const defined = (kl != 0 || load<u8>(clean + <usize>load<i32>(pl + (<usize>j << 2))) != 0) &&
      (kr != 0 || load<u8>(clean + <usize>load<i32>(pr + (<usize>j << 2))) != 0);
    if (kl != 0 && kr != 0) {
      const a = load<f64>(pl + (<usize>j << 3)), b = load<f64>(pr + (<usize>j << 3));
      for (let w = 0; w < WORDS; w++) {
        const m: u64 = w * 64 + 64 <= len ? <u64>-1 : w * 64 >= len ? 0 : ((<u64>1 << <u64>(len - w * 64)) - 1);
        store<u64>(out + (<usize>w << 3), a > b ? m : 0);
        store<u64>(out + W + (<usize>w << 3), a < b ? m : 0);
        store<u64>(out + 2 * W + (<usize>w << 3), a == a && b == b ? m : 0);
      }
      return;
    }
    for (let g = 0; g < len; g += 16) {
      const at = <usize>g << 2;
      let gt: u32, lt: u32, df: u32;
      if (kl == 0 && kr == 0) {
        const x0 = v128.load(ap + at), x1 = v128.load(ap + at, 16), x2 = v128.load(ap + at, 32), x3 = v128.load(ap + at, 48);
        const y0 = v128.load(bp + at), y1 = v128.load(bp + at, 16), y2 = v128.load(bp + at, 32), y3 = v128.load(bp + at, 48);
        gt = bits16(f32x4.gt(x0, y0), f32x4.gt(x1, y1), f32x4.gt(x2, y2), f32x4.gt(x3, y3));
        lt = bits16(f32x4.lt(x0, y0), f32x4.lt(x1, y1), f32x4.lt(x2, y2), f32x4.lt(x3, y3));
        df = defined ? 0xffff : bits16(v128.and(f32x4.eq(x0, x0), f32x4.eq(y0, y0)), v128.and(f32x4.eq(x1, x1), f32x4.eq(y1, y1)),
          v128.and(f32x4.eq(x2, x2), f32x4.eq(y2, y2)), v128.and(f32x4.eq(x3, x3), f32x4.eq(y3, y3)));
      } else if (kr != 0) {
        const x0 = v128.load(ap + at), x1 = v128.load(ap + at, 16), x2 = v128.load(ap + at, 32), x3 = v128.load(ap + at, 48);
        gt = bits16(f32x4.gt(x0, bDown), f32x4.gt(x1, bDown), f32x4.gt(x2, bDown), f32x4.gt(x3, bDown));
        lt = bits16(f32x4.lt(x0, bUp), f32x4.lt(x1, bUp), f32x4.lt(x2, bUp), f32x4.lt(x3, bUp));
        df = defined ? 0xffff : bits16(f32x4.eq(x0, x0), f32x4.eq(x1, x1), f32x4.eq(x2, x2), f32x4.eq(x3, x3));
      } else {
        const y0 = v128.load(bp + at), y1 = v128.load(bp + at, 16), y2 = v128.load(bp + at, 32), y3 = v128.load(bp + at, 48);
        gt = bits16(f32x4.lt(y0, aUp), f32x4.lt(y1, aUp), f32x4.lt(y2, aUp), f32x4.lt(y3, aUp));
        lt = bits16(f32x4.gt(y0, aDown), f32x4.gt(y1, aDown), f32x4.gt(y2, aDown), f32x4.gt(y3, aDown));
        df = defined ? 0xffff : bits16(f32x4.eq(y0, y0), f32x4.eq(y1, y1), f32x4.eq(y2, y2), f32x4.eq(y3, y3));
      }
      // rows past the block's end were read but are not the block's
      if (g + 16 > len) {
        const keep: u32 = (<u32>1 << <u32>(len - g)) - 1;
        gt &= keep; lt &= keep; df &= keep;
      }
      const wd = <usize>(g >> 6) << 3, sh = <u64>(g & 63);
      store<u64>(out + wd, load<u64>(out + wd) | (<u64>gt << sh));
      store<u64>(out + W + wd, load<u64>(out + W + wd) | (<u64>lt << sh));
      store<u64>(out + 2 * W + wd, load<u64>(out + 2 * W + wd) | (<u64>df << sh));
    }
  } else {
    for (let i = 0; i < len; i++) {
      const a = sideAt(series, kl, ll, pl, j, t0 + i), b = sideAt(series, kr, lr, pr, j, t0 + i);
      const wd = <usize>(i >> 6) << 3, bit = <u64>1 << <u64>(i & 63);
      if (a > b) store<u64>(out + wd, load<u64>(out + wd) | bit);
      if (a < b) store<u64>(out + W + wd, load<u64>(out + W + wd) | bit);
      if (a == a && b == b) store<u64>(out + 2 * W + wd, load<u64>(out + 2 * W + wd) | bit);
    }
  }
}

/**
 * A comparison's words from its relation's: value and definedness, WORDS each, at `out`. Table entry:
 * u32 relation, u32 kind (0 above, 1 below, 2 cross above, 3 cross below; + 4 when its sides are the
 * relation's swapped, so that gt and lt trade places). A cross reads the row before through the
 * relation's carry bits.
 */
function atomWords(atom: usize, relWords: usize, out: usize): void {
  const W = <usize>WORDS << 3;
  const rel = relWords + <usize>load<u32>(atom) * (<usize>(WORDS * 3 + 1) << 3);
  const kind = load<u32>(atom + 4);
  const swap = kind >= 4, cmp = kind & 3;
  const gtW = rel + (swap ? W : 0), ltW = rel + (swap ? 0 : W), dfW = rel + 2 * W;
  const carry = load<u64>(rel + 3 * W);
  let cg: u64 = swap ? (carry >> 1) & 1 : carry & 1, cl: u64 = swap ? carry & 1 : (carry >> 1) & 1, cd: u64 = (carry >> 2) & 1;
  for (let w = 0; w < WORDS; w++) {
    const g = load<u64>(gtW + (<usize>w << 3)), l = load<u64>(ltW + (<usize>w << 3)), d = load<u64>(dfW + (<usize>w << 3));
    let v: u64, def: u64;
    if (cmp == 0) { v = g; def = d; }
    else if (cmp == 1) { v = l; def = d; }
    else {
      const pd = (d << 1) | cd;
      const pv = cmp == 2 ? (g << 1) | cg : (l << 1) | cl;
      v = (cmp == 2 ? g : l) & pd & ~pv;
      def = d & pd;
    }
    store<u64>(out + (<usize>w << 3), v);
    store<u64>(out + W + (<usize>w << 3), def);
    cg = g >> 63; cl = l >> 63; cd = d >> 63;
  }
}

/**
 * A signal's postfix code over the comparisons' words, one word of rows at a time, with a stack of
 * (value, definedness) word pairs; the value words go to `out` (WORDS of them).
 */
function signalWords(code: usize, pairs: i32, atomW: usize, stack: usize, out: usize): void {
  const W = <usize>WORDS << 3;
  for (let w = 0; w < WORDS; w++) {
    let top = 0;
    for (let k = 0; k < pairs; k++) {
      const op = load<i32>(code + (<usize>k << 3)), arg = load<i32>(code + (<usize>k << 3) + 4);
      if (op == 0) {
        const a = atomW + <usize>arg * 2 * W;
        store<u64>(stack + (<usize>top << 4), load<u64>(a + (<usize>w << 3)));
        store<u64>(stack + (<usize>top << 4) + 8, load<u64>(a + W + (<usize>w << 3)));
        top++;
      } else if (op == 3) {
        const p = stack + (<usize>(top - 1) << 4);
        const v = load<u64>(p), d = load<u64>(p + 8);
        store<u64>(p, d & ~v);
      } else {
        const first = top - arg;
        const p = stack + (<usize>first << 4);
        let v = load<u64>(p), d = load<u64>(p + 8);
        for (let c = first + 1; c < top; c++) {
          const q = stack + (<usize>c << 4);
          v = op == 1 ? v & load<u64>(q) : v | load<u64>(q);
          d &= load<u64>(q + 8);
        }
        store<u64>(p, v);
        store<u64>(p + 8, d);
        top = first + 1;
      }
    }
    store<u64>(out + (<usize>w << 3), load<u64>(stack));
  }
}

/** Whether a relation reads the same sides for variants j − 1 and j (same series, or the same constant bits). */
@inline function sameSides(rel: usize, j: i32): bool {
  for (let k: usize = 0; k < 2; k++) {
    const kind = load<u32>(rel + k * 12), ptr = <usize>load<u32>(rel + k * 12 + 8);
    if (kind != 0 ? load<u64>(ptr + (<usize>j << 3)) != load<u64>(ptr + (<usize>(j - 1) << 3)) : load<i32>(ptr + (<usize>j << 2)) != load<i32>(ptr + (<usize>(j - 1) << 2))) return false;
  }
  return true;
}

/**
 * The four signals' words of variant j over a block into `sig` (absent signals: 0). With `after`,
 * the work area holds variant j − 1's relation words of the same block, and a relation whose sides
 * are the same for j keeps them (variants in grid order often differ in one param only).
 */
function signalsOf(io: usize, j: i32, t0: i32, t1: i32, work: usize, sig: usize, after: bool, clean: usize): void {
  const W = <usize>WORDS << 3;
  const rels = <usize>load<u32>(io + BT_RELATIONS), nRels = load<i32>(io + BT_NRELATIONS);
  const atoms = <usize>load<u32>(io + BT_ATOMS), nAtoms = load<i32>(io + BT_NATOMS);
  const code = <usize>load<u32>(io + BT_CODE), signals = <usize>load<u32>(io + BT_SIGNALS);
  const relW = work, atomW = relW + <usize>nRels * (<usize>(WORDS * 3 + 1) << 3), stack = atomW + <usize>nAtoms * 2 * W;
  for (let r = 0; r < nRels; r++) {
    const rel = rels + <usize>r * BT_REL_BYTES;
    if (after && sameSides(rel, j)) continue;
    relationWords(io, rel, j, t0, t1, relW + <usize>r * (<usize>(WORDS * 3 + 1) << 3), clean);
  }
  for (let a = 0; a < nAtoms; a++) atomWords(atoms + (<usize>a << 3), relW, atomW + <usize>a * 2 * W);
  for (let k = 0; k < 4; k++) {
    const pairs = load<i32>(signals + (<usize>k << 3) + 4);
    if (pairs == 0) {
      for (let w = 0; w < WORDS; w++) store<u64>(sig + <usize>k * W + (<usize>w << 3), 0);
      continue;
    }
    signalWords(code + (<usize>load<i32>(signals + (<usize>k << 3)) << 3), pairs, atomW, stack, sig + <usize>k * W);
  }
}

/** The signal bits of row i of a block (bit k: signal k). */
@inline function bitsAt(sig: usize, i: i32): i32 {
  const wd = <usize>(i >> 6) << 3, sh = <u64>(i & 63);
  const W = <usize>WORDS << 3;
  return <i32>((load<u64>(sig + wd) >> sh) & 1) | (<i32>((load<u64>(sig + W + wd) >> sh) & 1) << 1) |
    (<i32>((load<u64>(sig + 2 * W + wd) >> sh) & 1) << 2) | (<i32>((load<u64>(sig + 3 * W + wd) >> sh) & 1) << 3);
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
function runRows(io: usize, s: usize, n: i32, j: i32, t0: i32, t1: i32, base: i32, sig: usize, gain: usize): void {
  const close = <usize>load<u32>(io + BT_CLOSE), open = <usize>load<u32>(io + BT_OPEN);
  const valid = <usize>load<u32>(io + BT_VALID), inv = <usize>load<u32>(io + BT_INV);
  const side = load<u32>(io + BT_SIDE), atClose = load<u32>(io + BT_FILL) == 1;
  const fee = load<f64>(io + BT_FEE), slip = load<f64>(io + BT_SLIP);
  let e = load<f64>(st(s, n, A_EQUITY, j)), mean = load<f64>(st(s, n, A_MEAN, j)), m2 = load<f64>(st(s, n, A_M2, j));
  let sum = load<f64>(st(s, n, S_SUM, j));
  let down2 = load<f64>(st(s, n, A_DOWN2, j)), maxdd = load<f64>(st(s, n, A_MAXDD, j)), exposed = load<f64>(st(s, n, A_EXPOSED, j));
  let peak = load<f64>(st(s, n, S_PEAK, j)), trough = load<f64>(st(s, n, S_TROUGH, j));
  let p = load<f64>(st(s, n, S_POS, j)), ref = load<f64>(st(s, n, S_REF, j)), refPrev = load<f64>(st(s, n, S_REF_PREV, j)) != 0;
  // R is the previous valid close while refPrev holds: the pair loop marks without storing it
  if (refPrev) ref = load<f64>(gain + (<usize>BT_BLOCK << 3) + (<usize>(t0 - base) << 3));
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
        const g = refPrev ? load<f64>(gain + (<usize>(row - base) << 3)) : c / ref - 1;
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
        const d = decide(p, bitsAt(sig, row - base), side);
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
    sum = sum + ret;
    const next = sum * load<f64>(inv + (<usize>row << 3));
    m2 = m2 + (ret - mean) * (ret - next);
    mean = next;
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
  store<f64>(st(s, n, S_PEAK, j), peak); store<f64>(st(s, n, S_TROUGH, j), trough); store<f64>(st(s, n, S_SUM, j), sum);
  store<f64>(st(s, n, S_POS, j), p); store<f64>(st(s, n, S_REF, j), ref); store<f64>(st(s, n, S_REF_PREV, j), refPrev ? 1 : 0);
  store<f64>(st(s, n, S_PENDING, j), pending); store<f64>(st(s, n, S_RUINED, j), ruined ? 1 : 0);
  store<f64>(st(s, n, S_ENTRY_E, j), entryE);
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

/**
 * The rows of a block where either lane's signal bits meet its watch, as WORDS words at `ev`, from
 * the pair of words holding row `from` on (the words before it are not read again). SIMD build only
 * (the pair loop's): each signal's words masked by its watch bit (all ones or zero), two at a time.
 */
@inline function eventWords(sigA: usize, watchA: i32, sigB: usize, watchB: i32, ev: usize, from: i32): void {
  if (!ASC_FEATURE_SIMD) return;
  const W = <usize>WORDS << 3;
  const a0 = i64x2.splat(-<i64>(watchA & 1)), a1 = i64x2.splat(-<i64>((watchA >> 1) & 1));
  const a2 = i64x2.splat(-<i64>((watchA >> 2) & 1)), a3 = i64x2.splat(-<i64>((watchA >> 3) & 1));
  const b0 = i64x2.splat(-<i64>(watchB & 1)), b1 = i64x2.splat(-<i64>((watchB >> 1) & 1));
  const b2 = i64x2.splat(-<i64>((watchB >> 2) & 1)), b3 = i64x2.splat(-<i64>((watchB >> 3) & 1));
  for (let w = (from >> 6) & ~1; w < WORDS; w += 2) {
    const o = <usize>w << 3;
    const x = v128.or(
      v128.or(v128.or(v128.and(v128.load(sigA + o), a0), v128.and(v128.load(sigA + W + o), a1)),
        v128.or(v128.and(v128.load(sigA + 2 * W + o), a2), v128.and(v128.load(sigA + 3 * W + o), a3))),
      v128.or(v128.or(v128.and(v128.load(sigB + o), b0), v128.and(v128.load(sigB + W + o), b1)),
        v128.or(v128.and(v128.load(sigB + 2 * W + o), b2), v128.and(v128.load(sigB + 3 * W + o), b3))));
    v128.store(ev + o, x);
  }
}

/**
 * The decision of variant j at row i of a block, on a bar that only marks (fills at the next open):
 * the target of the next valid bar.
 */
@inline function decideLane(s: usize, n: i32, j: i32, sig: usize, i: i32, side: u32): void {
  if (load<f64>(st(s, n, S_RUINED, j)) != 0) return;
  store<f64>(st(s, n, S_PENDING, j), decide(load<f64>(st(s, n, S_POS, j)), bitsAt(sig, i), side));
}

/** Variant j's next valid bar needs the full row logic: a fill pending, or a mark against an entry price. */
@inline function slowNext(s: usize, n: i32, j: i32, atClose: bool): bool {
  if (load<f64>(st(s, n, S_RUINED, j)) != 0) return false;
  const p = load<f64>(st(s, n, S_POS, j));
  return (!atClose && load<f64>(st(s, n, S_PENDING, j)) != p) || (p != 0 && load<f64>(st(s, n, S_REF_PREV, j)) == 0);
}

/** The first row at or after block row i whose event bit is set, or len (the block's rows) when none is. */
@inline function nextEvent(ev: usize, i: i32, len: i32): i32 {
  let w = i >> 6;
  let x = load<u64>(ev + (<usize>w << 3)) & (<u64>-1 << <u64>(i & 63));
  while (x == 0) {
    w++;
    if (w >= WORDS) return len;
    x = load<u64>(ev + (<usize>w << 3));
  }
  const k = (w << 6) + <i32>ctz(x);
  return k < len ? k : len;
}

// Every row of the current block is valid (set per block by backtest): pairRows' stretches then
// skip the per-row validity test.
let blockAllValid = false;
// The least and greatest gain g of the current block's valid rows: with g > −1 a long mark's factor
// 1 + g is positive, with g < 1 a short one's 1 − g is (exactly so: near ∓1 the sum is exact).
let blockMinGain: f64 = 0;
let blockMaxGain: f64 = 0;

// A lane's fill at the next open as fillLane works it out, before anything is stored: pairRows
// stores both lanes' fills only once neither ruins (a ruin takes the full row logic).
let fillP: f64 = 0;
let fillExitE: f64 = -1;
let fillEntryE: f64 = 0;

/**
 * Variant jj's fill at the next open at valid row `row` and the mark at its close, from equity e,
 * with R the previous valid close (the pair loop's state): the same operations as runRows. Returns
 * the equity after both, or 0 when it ruins; fillP is the position after it, fillExitE the equity
 * its exit leg closes the open trade at (−1: no exit leg), fillEntryE the equity right before the
 * entry fee.
 */
@inline function fillLane(io: usize, s: usize, n: i32, jj: i32, row: i32, prevClose: f64, e: f64): f64 {
  const price = load<f64>(<usize>load<u32>(io + BT_OPEN) + (<usize>row << 3));
  const c = load<f64>(<usize>load<u32>(io + BT_CLOSE) + (<usize>row << 3));
  const fee = load<f64>(io + BT_FEE), slip = load<f64>(io + BT_SLIP);
  const p = load<f64>(st(s, n, S_POS, jj)), target = load<f64>(st(s, n, S_PENDING, jj));
  let q = p;
  fillExitE = -1;
  if (p != 0) {
    const x = price * (1 - p * slip);
    e = e * (1 + p * (x / prevClose - 1));
    e = e * (1 - fee);
    if (e <= 0) return 0;
    fillExitE = e;
    q = 0;
  }
  if (target != 0) {
    fillEntryE = e;
    e = e * (1 - fee);
    q = target;
    const ref = price * (1 + target * slip);
    e = e * (1 + q * (c / ref - 1));
    if (e <= 0) return 0;
  }
  fillP = q;
  return e;
}

/** Stores variant jj's fill as fillLane worked it out (exitE, entryE, q: its fillExitE, fillEntryE, fillP). */
function commitFill(s: usize, n: i32, jj: i32, exitE: f64, entryE: f64, q: f64): void {
  if (exitE >= 0) closeTrade(s, n, jj, exitE, load<f64>(st(s, n, S_ENTRY_E, jj)));
  if (q != 0) store<f64>(st(s, n, S_ENTRY_E, jj), entryE);
  store<f64>(st(s, n, S_POS, jj), q);
  store<f64>(st(s, n, S_PENDING, jj), q);
  store<f64>(st(s, n, S_REF_PREV, jj), 1);
}

/** Variant jj has a fill due at the next open (and nothing else that needs the full logic). */
@inline function fillDue(s: usize, n: i32, jj: i32): bool {
  return load<f64>(st(s, n, S_RUINED, jj)) == 0 && load<f64>(st(s, n, S_PENDING, jj)) != load<f64>(st(s, n, S_POS, jj));
}

/** Welford's M2 after a return r that moved the mean from `mean` to `next`: M2 + (r − mean)·(r − next). */
@inline function m2After(M2: v128, r: v128, mean: v128, next: v128): v128 {
  return f64x2.add(M2, f64x2.mul(f64x2.sub(r, mean), f64x2.sub(r, next)));
}

/** The downside sum after a return r: + min(r, 0)² (+ 0 where r is not negative; the sum is never −0). */
@inline function down2After(DOWN2: v128, r: v128, zero: v128): v128 {
  const neg = f64x2.pmin(zero, r);
  return f64x2.add(DOWN2, f64x2.mul(neg, neg));
}

/**
 * The greatest drawdown after equity E: where E passes the peak (`up`) and the trough since the peak
 * is below it, that episode's drawdown 1 − trough/peak counts. PEAK and TROUGH are updated after.
 */
@inline function maxddAfter(MAXDD: v128, up: v128, PEAK: v128, TROUGH: v128, one: v128): v128 {
  const ends = v128.and(up, f64x2.lt(TROUGH, PEAK));
  let out = MAXDD;
  if (v128.any_true(ends)) {
    const dd = f64x2.sub(one, f64x2.div(TROUGH, PEAK));
    out = v128.bitselect(dd, MAXDD, v128.and(ends, f64x2.gt(dd, MAXDD)));
  }
  return out;
}

/**
 * Variants j and j + 1 over rows `from` … t1 − 1 of a block (t0 its first row), two f64 lanes (SIMD
 * build), while R is the previous close. Rows run in stretches between event rows (where either
 * lane's signal bits meet its watch), with no per-row signal test inside a stretch. At an event row,
 * with fills at the close, the row is returned (the full logic runs it); with fills at the next open
 * the decision only sets the next bar's target, and at the next valid row each lane with a fill due
 * is filled in scalar (fillLane, the same operations as runRows) while the other lane marks, and
 * the loop goes on with the new positions. The mark's factor is 1 + p·g with the block's shared g
 * (the same operations as the scalar mark; 1 for a flat lane, g being finite as prices are
 * positive) and the return is the factor − 1; the exposure counts the marks (whole numbers, so
 * adding their count at once gives the same bits). Returns the first row that needs the full logic
 * (a ruin, a fill at the close), or t1, with the state stored back.
 */
function pairRows(io: usize, s: usize, n: i32, j: i32, t0: i32, from: i32, t1: i32, sigA: usize, sigB: usize, gain: usize, ev: usize): i32 {
  const valid = <usize>load<u32>(io + BT_VALID), inv = <usize>load<u32>(io + BT_INV);
  const side = load<u32>(io + BT_SIDE), atClose = load<u32>(io + BT_FILL) == 1;
  const one = f64x2.splat(1.0), zero = f64x2.splat(0.0);
  let E = v128.load(st(s, n, A_EQUITY, j)), MEAN = v128.load(st(s, n, A_MEAN, j)), M2 = v128.load(st(s, n, A_M2, j));
  let DOWN2 = v128.load(st(s, n, A_DOWN2, j)), MAXDD = v128.load(st(s, n, A_MAXDD, j)), EXPOSED = v128.load(st(s, n, A_EXPOSED, j));
  let PEAK = v128.load(st(s, n, S_PEAK, j)), TROUGH = v128.load(st(s, n, S_TROUGH, j)), SUM = v128.load(st(s, n, S_SUM, j));
  let P = v128.load(st(s, n, S_POS, j));
  let inPos = f64x2.ne(P, zero);
  let flat = !v128.any_true(inPos);
  const len = t1 - t0;
  let marks = 0;
  let row = from;
  let out = t1;
  while (row < t1) {
    const stop = t0 + nextEvent(ev, row - t0, len);
    const last = stop < t1 ? stop + 1 : t1;
    let full = false;
    if (flat) {
      // both lanes flat up to the event row: no mark and a return of 0, so the sum of the returns
      // stays and the mean follows 1/k; (0 − m)·(0 − next) is m·next (negation is exact and the mean
      // is never −0), one multiplication for the two subtractions and one multiplication
      for (; row < stop; row++) {
        if (load<u8>(valid + <usize>row) == 0) continue;
        const next = f64x2.mul(SUM, v128.load64_splat(inv + (<usize>row << 3)));
        M2 = f64x2.add(M2, f64x2.mul(MEAN, next));
        MEAN = next;
      }
    }
    if (!flat && row < stop && (!v128.any_true(f64x2.gt(P, zero)) || blockMinGain > -1) && (!v128.any_true(f64x2.lt(P, zero)) || blockMaxGain < 1)) {
      // the rows before the event row, where a lane in position only marks: the same operations as
      // the checked loop below without its per-row tests (validity when the block has no hole, the
      // event row, the ruin). Every factor is positive here (the block's gains bound them), so a
      // mark can only ruin by underflowing to 0, which stays 0: a lane at E ≤ 0 after the stretch
      // sends it back to the checked loop from the state it started with
      const from0 = row, marks0 = marks;
      const E0 = E, MEAN0 = MEAN, M20 = M2, DOWN20 = DOWN2, MAXDD0 = MAXDD, PEAK0 = PEAK, TROUGH0 = TROUGH, SUM0 = SUM;
      // a hole's row does nothing (a block without one skips the test: the same branch every row)
      const holes = !blockAllValid;
      for (; row < stop; row++) {
        if (holes && load<u8>(valid + <usize>row) == 0) continue;
        const factor = f64x2.add(one, f64x2.mul(P, v128.load64_splat(gain + (<usize>(row - t0) << 3))));
        E = f64x2.mul(E, factor);
        marks++;
        const r = f64x2.sub(factor, one);
        SUM = f64x2.add(SUM, r);
        const next = f64x2.mul(SUM, v128.load64_splat(inv + (<usize>row << 3)));
        M2 = m2After(M2, r, MEAN, next);
        MEAN = next;
        DOWN2 = down2After(DOWN2, r, zero);
        const up = f64x2.gt(E, PEAK);
        MAXDD = maxddAfter(MAXDD, up, PEAK, TROUGH, one);
        PEAK = f64x2.pmax(PEAK, E);
        TROUGH = v128.bitselect(E, f64x2.pmin(TROUGH, E), up);
      }
      if (v128.any_true(v128.and(f64x2.le(E, zero), inPos))) {
        row = from0;
        marks = marks0;
        E = E0; MEAN = MEAN0; M2 = M20; DOWN2 = DOWN20; MAXDD = MAXDD0; PEAK = PEAK0; TROUGH = TROUGH0; SUM = SUM0;
      }
    }
    // the stretch before the next event row (or the block's end), then the event row itself
    for (; row < last; row++) {
      if (load<u8>(valid + <usize>row) == 0) continue;
      const event = row == stop;
      if (event && atClose) {
        full = true;
        break;
      }
      const i = <usize>(row - t0);
      if (flat) {
        if (event) {
          decideLane(s, n, j, sigA, <i32>i, side);
          decideLane(s, n, j + 1, sigB, <i32>i, side);
        }
        // both lanes flat: no mark and a return of 0; the sum of the returns stays, the mean follows 1/k
        const next = f64x2.mul(SUM, v128.load64_splat(inv + (<usize>row << 3)));
        M2 = f64x2.add(M2, f64x2.mul(f64x2.sub(zero, MEAN), f64x2.sub(zero, next)));
        MEAN = next;
        continue;
      }
      const factor = f64x2.add(one, f64x2.mul(P, v128.load64_splat(gain + (i << 3))));
      const e2 = f64x2.mul(E, factor);
      // a mark that ruins (E ≤ 0) takes the full logic
      if (v128.any_true(v128.and(f64x2.le(e2, zero), inPos))) {
        full = true;
        break;
      }
      if (event) {
        decideLane(s, n, j, sigA, <i32>i, side);
        decideLane(s, n, j + 1, sigB, <i32>i, side);
      }
      E = e2;
      marks++;
      const r = f64x2.sub(factor, one);
      SUM = f64x2.add(SUM, r);
      const next = f64x2.mul(SUM, v128.load64_splat(inv + (<usize>row << 3)));
      M2 = m2After(M2, r, MEAN, next);
      MEAN = next;
      DOWN2 = down2After(DOWN2, r, zero);
      const up = f64x2.gt(E, PEAK);
      MAXDD = maxddAfter(MAXDD, up, PEAK, TROUGH, one);
      PEAK = f64x2.pmax(PEAK, E);
      TROUGH = v128.bitselect(E, f64x2.pmin(TROUGH, E), up);
    }
    if (full) {
      out = row;
      break;
    }
    // past a valid event row (fills at the next open): a fill it decided is due at the next valid row
    if (!(row > stop && load<u8>(valid + <usize>stop) != 0 && (slowNext(s, n, j, false) || slowNext(s, n, j + 1, false)))) continue;
    while (true) {
      while (row < t1 && load<u8>(valid + <usize>row) == 0) row++;
      if (row >= t1) break;
      const dueA = fillDue(s, n, j), dueB = fillDue(s, n, j + 1);
      // anything else that needs the full logic (a mark against an entry price) leaves the loop
      if ((!dueA && slowNext(s, n, j, false)) || (!dueB && slowNext(s, n, j + 1, false))) {
        full = true;
        break;
      }
      const i = <usize>(row - t0);
      const g = load<f64>(gain + (i << 3)), prevClose = load<f64>(gain + (<usize>BT_BLOCK << 3) + (i << 3));
      const eA = f64x2.extract_lane(E, 0), eB = f64x2.extract_lane(E, 1);
      const pA = f64x2.extract_lane(P, 0), pB = f64x2.extract_lane(P, 1);
      let fA: f64, fB: f64, rA: f64, rB: f64;
      let xA: f64 = -1, nA: f64 = 0, qA = pA;
      if (dueA) {
        fA = fillLane(io, s, n, j, row, prevClose, eA);
        if (fA == 0) {
          full = true;
          break;
        }
        xA = fillExitE;
        nA = fillEntryE;
        qA = fillP;
        rA = fA / eA - 1;
      } else {
        const factor = 1 + pA * g;
        fA = eA * factor;
        if (pA != 0 && fA <= 0) {
          full = true;
          break;
        }
        rA = factor - 1;
      }
      let qB = pB;
      if (dueB) {
        fB = fillLane(io, s, n, j + 1, row, prevClose, eB);
        if (fB == 0) {
          full = true;
          break;
        }
        qB = fillP;
        rB = fB / eB - 1;
      } else {
        const factor = 1 + pB * g;
        fB = eB * factor;
        if (pB != 0 && fB <= 0) {
          full = true;
          break;
        }
        rB = factor - 1;
      }
      // neither lane ruins: store the fills, count the marks so far at the old positions
      if (dueA) commitFill(s, n, j, xA, nA, qA);
      if (dueB) commitFill(s, n, j + 1, fillExitE, fillEntryE, qB);
      EXPOSED = f64x2.add(EXPOSED, v128.and(inPos, f64x2.splat(<f64>marks)));
      P = f64x2.replace_lane(f64x2.splat(qA), 1, qB);
      inPos = f64x2.ne(P, zero);
      flat = !v128.any_true(inPos);
      // this row's mark, at the new positions
      marks = 1;
      E = f64x2.replace_lane(f64x2.splat(fA), 1, fB);
      const r = f64x2.replace_lane(f64x2.splat(rA), 1, rB);
      SUM = f64x2.add(SUM, r);
      const next = f64x2.mul(SUM, v128.load64_splat(inv + (<usize>row << 3)));
      M2 = m2After(M2, r, MEAN, next);
      MEAN = next;
      DOWN2 = down2After(DOWN2, r, zero);
      const up = f64x2.gt(E, PEAK);
      MAXDD = maxddAfter(MAXDD, up, PEAK, TROUGH, one);
      PEAK = f64x2.pmax(PEAK, E);
      TROUGH = v128.bitselect(E, f64x2.pmin(TROUGH, E), up);
      // the new positions watch other signals: this row's decision, then on
      eventWords(sigA, watchOf(s, n, j, side), sigB, watchOf(s, n, j + 1, side), ev, <i32>i);
      if (((load<u64>(ev + ((i >> 6) << 3)) >> <u64>(i & 63)) & 1) != 0) {
        decideLane(s, n, j, sigA, <i32>i, side);
        decideLane(s, n, j + 1, sigB, <i32>i, side);
      }
      row++;
      if (!(slowNext(s, n, j, false) || slowNext(s, n, j + 1, false))) break;
    }
    if (full) {
      out = row;
      break;
    }
  }
  EXPOSED = f64x2.add(EXPOSED, v128.and(inPos, f64x2.splat(<f64>marks)));
  v128.store(st(s, n, A_EQUITY, j), E); v128.store(st(s, n, A_MEAN, j), MEAN); v128.store(st(s, n, A_M2, j), M2);
  v128.store(st(s, n, A_DOWN2, j), DOWN2); v128.store(st(s, n, A_MAXDD, j), MAXDD); v128.store(st(s, n, A_EXPOSED, j), EXPOSED);
  v128.store(st(s, n, S_PEAK, j), PEAK); v128.store(st(s, n, S_TROUGH, j), TROUGH); v128.store(st(s, n, S_SUM, j), SUM);
  return out;
}

/**
 * Variants j and j + 1 over a block: runs of bars that only mark in pairRows; every other bar (a
 * fill due, a decision with fills at the close, a ruin) through the scalar row logic (runRows) for
 * both lanes, from the same state, so the two paths give the same bits.
 */
function runPair(io: usize, s: usize, n: i32, j: i32, t0: i32, t1: i32, sigA: usize, sigB: usize, gain: usize, ev: usize): void {
  const side = load<u32>(io + BT_SIDE), atClose = load<u32>(io + BT_FILL) == 1;
  let row = t0;
  while (row < t1) {
    if (!(slowNext(s, n, j, atClose) || slowNext(s, n, j + 1, atClose))) {
      eventWords(sigA, watchOf(s, n, j, side), sigB, watchOf(s, n, j + 1, side), ev, row - t0);
      row = pairRows(io, s, n, j, t0, row, t1, sigA, sigB, gain, ev);
      if (row >= t1) break;
    }
    runRows(io, s, n, j, row, row + 1, t0, sigA, gain);
    runRows(io, s, n, j + 1, row, row + 1, t0, sigB, gain);
    row++;
  }
}

/**
 * Scores n variants (the batch's per-variant operand arrays start at its first variant and hold one
 * entry past the last) over the scored rows; writes BT_ACC_COUNT accumulator arrays of n f64 at the
 * frame's BT_ACC. State arrays are of n rounded up to even (the SIMD build runs variants in pairs;
 * a padding lane repeats the last variant and is never written out). Scratch, in order (the host
 * sizes it in src/backtest/kernel.ts scratchBytes): the state arrays, the block's gains and previous
 * closes, two lanes' signal words, the event words, then the relation, comparison and stack words.
 */
export function backtest(io: usize, n: i32, scratch: usize): void {
  const first = load<i32>(io + BT_FIRST), end = load<i32>(io + BT_END);
  const close = <usize>load<u32>(io + BT_CLOSE), valid = <usize>load<u32>(io + BT_VALID);
  const np = (n + 1) & ~1;
  const B = <usize>BT_BLOCK;
  const gain = scratch + (<usize>BT_STATE_ARRAYS * <usize>np << 3);
  // gain: each valid row's close / previous valid close − 1, then (B further) that previous close
  const sigA = gain + (B << 4), sigB = sigA + SIG_BYTES;
  const ev = sigB + SIG_BYTES;
  // per operand series, 1 when the rows the block's comparisons read hold no NaN (S bytes, rounded to 8)
  const clean = ev + (<usize>WORDS << 3);
  const nSeries = load<i32>(io + BT_NSERIES);
  const seriesTable = <usize>load<u32>(io + BT_SERIES);
  const work = clean + ((<usize>nSeries + 7) & ~7);
  // the deepest lag of a compared series: a block reads rows t0 − lag … t1 − 1 − lag
  let maxLag = 0;
  {
    const rels = <usize>load<u32>(io + BT_RELATIONS), nRels = load<i32>(io + BT_NRELATIONS);
    for (let r = 0; r < nRels; r++) {
      for (let k: usize = 0; k < 2; k++) {
        const at = rels + <usize>r * BT_REL_BYTES + k * 12;
        if (load<u32>(at) == 0) maxLag = max(maxLag, load<i32>(at + 4));
      }
    }
  }
  for (let j = 0; j < np; j++) {
    for (let a = 0; a < BT_STATE_ARRAYS; a++) store<f64>(st(scratch, np, a, j), 0);
    store<f64>(st(scratch, np, A_EQUITY, j), 1);
    store<f64>(st(scratch, np, S_PEAK, j), 1);
    store<f64>(st(scratch, np, S_TROUGH, j), 1);
  }
  let prevClose = NaN;
  for (let t0 = first; t0 < end; t0 += BT_BLOCK) {
    const t1 = min(end, t0 + BT_BLOCK);
    blockAllValid = true;
    let lo: f64 = 0, hi: f64 = 0;
    for (let row = t0; row < t1; row++) {
      if (load<u8>(valid + <usize>row) == 0) {
        blockAllValid = false;
        continue;
      }
      const c = load<f64>(close + (<usize>row << 3));
      // 0 at the first valid row (no position is open there; a flat lane's factor 1 + 0·g needs a finite g)
      const g = prevClose == prevClose ? c / prevClose - 1 : 0;
      lo = min(lo, g);
      hi = max(hi, g);
      store<f64>(gain + (<usize>(row - t0) << 3), g);
      store<f64>(gain + (B << 3) + (<usize>(row - t0) << 3), prevClose);
      prevClose = c;
    }
    blockMinGain = lo;
    blockMaxGain = hi;
    // only the SIMD build's comparisons read the flags
    if (ASC_FEATURE_SIMD) {
      // rows before 0 are the series' NaN prefix: a block that reads them is not clean. Four
      // series at a time, without an early exit, so their reads (mostly from memory: this is the
      // block's first touch of its series rows) are in flight together
      const r0 = t0 - maxLag;
      let k = 0;
      for (; k + 4 <= nSeries; k += 4) {
        const b0 = <usize>load<u32>(seriesTable + (<usize>k << 2)), b1 = <usize>load<u32>(seriesTable + (<usize>(k + 1) << 2));
        const b2 = <usize>load<u32>(seriesTable + (<usize>(k + 2) << 2)), b3 = <usize>load<u32>(seriesTable + (<usize>(k + 3) << 2));
        let n0 = v128.splat<i32>(0), n1 = n0, n2 = n0, n3 = n0;
        let row = r0;
        for (; row + 4 <= t1; row += 4) {
          const at = <isize>row << 2;
          const x0 = v128.load(b0 + at), x1 = v128.load(b1 + at), x2 = v128.load(b2 + at), x3 = v128.load(b3 + at);
          n0 = v128.or(n0, f32x4.ne(x0, x0)); n1 = v128.or(n1, f32x4.ne(x1, x1));
          n2 = v128.or(n2, f32x4.ne(x2, x2)); n3 = v128.or(n3, f32x4.ne(x3, x3));
        }
        let ok0 = !v128.any_true(n0), ok1 = !v128.any_true(n1), ok2 = !v128.any_true(n2), ok3 = !v128.any_true(n3);
        for (; row < t1; row++) {
          const at = <isize>row << 2;
          const x0 = load<f32>(b0 + at), x1 = load<f32>(b1 + at), x2 = load<f32>(b2 + at), x3 = load<f32>(b3 + at);
          ok0 = ok0 && x0 == x0; ok1 = ok1 && x1 == x1; ok2 = ok2 && x2 == x2; ok3 = ok3 && x3 == x3;
        }
        store<u8>(clean + <usize>k, ok0 ? 1 : 0);
        store<u8>(clean + <usize>k + 1, ok1 ? 1 : 0);
        store<u8>(clean + <usize>k + 2, ok2 ? 1 : 0);
        store<u8>(clean + <usize>k + 3, ok3 ? 1 : 0);
      }
      for (; k < nSeries; k++) {
        const base = <usize>load<u32>(seriesTable + (<usize>k << 2));
        let ok = true;
        let row = r0;
        for (; row + 4 <= t1 && ok; row += 4) {
          const x = v128.load(base + (<isize>row << 2));
          ok = i32x4.all_true(f32x4.eq(x, x));
        }
        for (; row < t1 && ok; row++) {
          const x = load<f32>(base + (<isize>row << 2));
          ok = x == x;
        }
        store<u8>(clean + <usize>k, ok ? 1 : 0);
      }
    }
    if (ASC_FEATURE_SIMD) {
      for (let j = 0; j < np; j += 2) {
        signalsOf(io, j, t0, t1, work, sigA, j > 0, clean);
        signalsOf(io, j + 1, t0, t1, work, sigB, true, clean);
        runPair(io, scratch, np, j, t0, t1, sigA, sigB, gain, ev);
      }
    } else {
      for (let j = 0; j < n; j++) {
        signalsOf(io, j, t0, t1, work, sigA, j > 0, clean);
        runRows(io, scratch, np, j, t0, t1, t0, sigA, gain);
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
