// Lane helpers shared by every kernel. The helpers above the "SIMD helpers" line (frame, spans, ldx,
// paramAt, st1, cell) serve both builds; those below it use v128 and only the SIMD build reaches them.
//
// Lane layout used by the kernels: one f64x2 holds two variants of one indicator at one time step,
// lane 0 = variant j, lane 1 = variant j + 1. Inputs are float32 in memory and widened once per step;
// outputs are narrowed to float32 on store, with the canonical quiet NaN 0x7FC00000.

// Kernel call frame (u32 pointers), written by the host before every call:
//   [0] src  [1] open  [2] high  [3] low  [4] close  [5] volume   (0 when absent)
//   [8 .. 15] output base pointers, one per kernel slot (0 = output not materialised)
@inline export const IO_SRC: usize = 0;
@inline export const IO_OPEN: usize = 4;
@inline export const IO_HIGH: usize = 8;
@inline export const IO_LOW: usize = 12;
@inline export const IO_CLOSE: usize = 16;
@inline export const IO_VOLUME: usize = 20;
@inline export const IO_OUT: usize = 32;

/** Time steps per chunk: a chunk's output rows stay cache-resident while every variant block writes them. */
@inline export const CHUNK: i32 = 256;

/**
 * Bars per chunk for a call: CHUNK for TIME_MAJOR (rows shared by all variants stay cache-resident),
 * the whole series for VARIANT_MAJOR (each lane streams its own row; chunking only breaks the streams).
 */
@inline export function span(t: i32, vStride: usize): i32 {
  return vStride == 4 ? CHUNK : t;
}

/**
 * A shorter TIME_MAJOR chunk for kernels with little state per block and one output, whose rows then
 * stay in L1 (TILE rows × 784 B at 196 variants) while every block writes them (ema, atr, mfi, ...);
 * kernels with several outputs and more state per block (macd) are slower with it and keep CHUNK.
 */
@inline export const TILE: i32 = 32;

/** Bars per chunk with TILE for TIME_MAJOR (≤ CHUNK, so chunk-sized tables still fit). */
@inline export function spanTile(t: i32, vStride: usize): i32 {
  return vStride == 4 ? TILE : t;
}

/** As spanTile for kernels that keep CHUNK-sized tables: CHUNK for VARIANT_MAJOR. */
@inline export function tileStep(vStride: usize): i32 {
  return vStride == 4 ? TILE : CHUNK;
}

/**
 * Before a TIME_MAJOR chunk writes rows t0 … t1 − 1 of an output: when the call covers whole rows
 * (n variants per row), zero them with one memory.fill first. A bulk fill takes the cache lines
 * without reading them from memory (no read-for-ownership), so the kernel's stores then hit cache
 * instead of fetching every line they overwrite. Every element is
 * written again by the kernel, so the zeros never show.
 */
@inline export function claimRows(o: usize, t0: i32, t1: i32, tStride: usize, vStride: usize, n: i32): void {
  if (o != 0 && vStride == 4 && tStride == (<usize>n << 2)) memory.fill(o + <usize>t0 * tStride, 0, <usize>(t1 - t0) * tStride);
}

/**
 * Frame slot [6]: how many rows from the call's first are computed but not stored (0 = store all).
 * The warm start of a time piece (compute/plan.ts TimePiece) is such a dry call: only its final
 * state matters. Kernels that support it (registry `timeSplit`) send dry rows to a sink in their
 * scratch or skip the stores.
 */
@inline export const IO_SKIP: usize = 24;

@inline export function dryRows(io: usize): i32 {
  return <i32>load<u32>(io + IO_SKIP);
}

/**
 * Frame slot [7]: nonzero when the call resumes the state a previous call left in scratch (a time
 * piece continuing from the bar before its first): the kernel keeps its state arrays instead of
 * starting them empty, and bar −1 (the input just before the call's first bar) decides whether they
 * are seeded. Kernels that support it (registry `timeSplit`) say which scratch arrays hold state.
 */
@inline export const IO_RESUME: usize = 28;

@inline export function resumed(io: usize): bool {
  return load<u32>(io + IO_RESUME) != 0;
}

/**
 * Frame slot [16]: the bar index of the call's first row within the whole series (0 for a call that
 * starts the series). Kernels whose rules depend on the bar index (a window is full from bar n − 1
 * on, a ring slot is bar mod size) use base + i, so a resumed call (a time piece, a stream's push)
 * gives the rows an unsplit call gives. docs/kernel-state.md states the whole contract.
 */
@inline export const IO_T0: usize = 64;

@inline export function firstBar(io: usize): i32 {
  return <i32>load<u32>(io + IO_T0);
}

/**
 * Frame slot [17]: the profile of conventions, 0 for gridta's (the default), 1 for TA-Lib's (seeds,
 * lookbacks and zero-division outputs as TA-Lib 0.6 computes them; src/registry/types.ts Profile).
 * A kernel whose id TA-Lib does not compute ignores it.
 */
@inline export const IO_PROFILE: usize = 68;

@inline export function talibProfile(io: usize): bool {
  return load<u32>(io + IO_PROFILE) == 1;
}

/**
 * Output base for the chunk of rows t0 … t1 − 1: `out` when the chunk is stored, else an address
 * that puts the chunk's rows in `sink` (TILE rows of tStride bytes, reused by every dry chunk, so
 * they stay in cache). The host only makes whole calls dry (skip = t), so no chunk straddles `skip`.
 */
@inline export function dryBase(out: usize, sink: usize, t0: i32, t1: i32, skip: i32, tStride: usize): usize {
  return out == 0 || t1 > skip ? out : sink - <usize>t0 * tStride;
}

@inline export const CANON_NAN: u32 = 0x7fc00000;

@inline export function ioPtr(io: usize, slot: usize): usize {
  return <usize>load<u32>(io + slot);
}

@inline export function outPtr(io: usize, k: i32): usize {
  return <usize>load<u32>(io + IO_OUT + (<usize>k << 2));
}

@inline export function ldx(p: usize, i: i32): f64 {
  return <f64>load<f32>(p + (<usize>i << 2));
}

@inline export function paramAt(params: usize, n: i32, p: i32, j: i32): f64 {
  return load<f64>(params + ((<usize>p * <usize>n + <usize>j) << 3));
}

/** Scalar store: narrow to float32, canonical NaN. */
@inline export function st1(o: usize, y: f64): void {
  const f = <f32>y;
  store<u32>(o, f != f ? CANON_NAN : reinterpret<u32>(f));
}

/** f64 scratch cell j of array a (arrays of n f64 laid out back to back from `base`). */
@inline export function cell(base: usize, n: i32, a: i32, j: i32): usize {
  return base + ((<usize>a * <usize>n + <usize>j) << 3);
}

/**
 * Seeds a rolling window of two running sums per variant (zscore's S and Q, mfi's positive and
 * negative flows): both sums at 0, the window (param 0) as f64 in array `nf` and as i32 in array `w`.
 */
@inline export function seedWindowSums(scratch: usize, n: i32, params: usize, a: i32, b: i32, nf: i32, w: i32): void {
  for (let j = 0; j < n; j++) {
    const win = paramAt(params, n, 0, j);
    store<f64>(cell(scratch, n, a, j), 0.0);
    store<f64>(cell(scratch, n, b, j), 0.0);
    store<f64>(cell(scratch, n, nf, j), win);
    store<i32>(cell(scratch, n, w, j), <i32>win);
  }
}

// ---- SIMD helpers (the SIMD build only) ----

/** Lanes [a0, a1] | [b0, b1] -> f32x4 [a0, a1, b0, b1], each narrowed; NaN payloads as computed. */
@inline export function narrowFinite(a: v128, b: v128): v128 {
  return i8x16.shuffle(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b),
    0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
}

/** Lanes [a0, a1] | [b0, b1] -> f32x4 [a0, a1, b0, b1], each narrowed, canonical NaN. */
@inline export function narrow4(a: v128, b: v128): v128 {
  const v = narrowFinite(a, b);
  return v128.bitselect(i32x4.splat(CANON_NAN), v, f32x4.ne(v, v));
}

/** Stores the four f32 lanes of v for variants j..j+3 of one time step: one 16-byte store when they are adjacent (TIME_MAJOR). */
@inline export function store4(o: usize, vStride: usize, v: v128): void {
  if (vStride == 4) {
    v128.store(o, v);
  } else {
    v128.store32_lane(o, v, 0);
    v128.store32_lane(o + vStride, v, 1);
    v128.store32_lane(o + (vStride << 1), v, 2);
    v128.store32_lane(o + vStride * 3, v, 3);
  }
}

/** TIME_MAJOR store of the first min(k, 4) f32 lanes of v (adjacent variants; k < 4 in a padded last block). */
@inline export function storeLanes(o: usize, v: v128, k: i32): void {
  if (k >= 4) {
    v128.store(o, v);
  } else if (k & 2) {
    v128.store64_lane(o, v, 0);
    if (k & 1) v128.store32_lane(o + 8, v, 2);
  } else {
    v128.store32_lane(o, v, 0);
  }
}

/** Store four variants' values of one time step, canonical NaN. */
@inline export function st4(o: usize, vStride: usize, a: v128, b: v128): void {
  store4(o, vStride, narrow4(a, b));
}

/** As st4 for values known not to be NaN (finite recursions): no canonicalisation needed. */
@inline export function st4finite(o: usize, vStride: usize, a: v128, b: v128): void {
  store4(o, vStride, narrowFinite(a, b));
}

/** Four canonical NaNs for one time step. */
@inline export function stNaN4(o: usize, vStride: usize): void {
  if (vStride == 4) {
    v128.store(o, i32x4.splat(CANON_NAN));
  } else {
    store<u32>(o, CANON_NAN);
    store<u32>(o + vStride, CANON_NAN);
    store<u32>(o + (vStride << 1), CANON_NAN);
    store<u32>(o + vStride * 3, CANON_NAN);
  }
}

/**
 * Stores the eight f32 lanes lo | hi for variants j..j+7 of one time step. With the literal stride 4
 * (TIME_MAJOR) two 16-byte stores; any other stride, store4 per half.
 */
@inline export function store8(o: usize, vStride: usize, lo: v128, hi: v128): void {
  if (vStride == 4) {
    v128.store(o, lo);
    v128.store(o, hi, 16);
  } else {
    store4(o, vStride, lo);
    store4(o + (vStride << 2), vStride, hi);
  }
}

/** Store eight variants' values of one time step (lanes a | b | c | d), canonical NaN. */
@inline export function st8(o: usize, vStride: usize, a: v128, b: v128, c: v128, d: v128): void {
  store8(o, vStride, narrow4(a, b), narrow4(c, d));
}

/** As st8 for values known not to be NaN (finite recursions). */
@inline export function st8finite(o: usize, vStride: usize, a: v128, b: v128, c: v128, d: v128): void {
  store8(o, vStride, narrowFinite(a, b), narrowFinite(c, d));
}

/** Eight canonical NaNs for one time step (the layout of st8). */
@inline export function stNaN8(o: usize, vStride: usize): void {
  if (vStride == 4) {
    v128.store(o, i32x4.splat(CANON_NAN));
    v128.store(o, i32x4.splat(CANON_NAN), 16);
  } else {
    stNaN4(o, vStride);
    stNaN4(o + (vStride << 2), vStride);
  }
}

/** Two canonical NaNs for one time step (the layout of st2). */
@inline export function stNaN2(o: usize, vStride: usize): void {
  store<u32>(o, CANON_NAN);
  store<u32>(o + vStride, CANON_NAN);
}

/** Store two variants' values of one time step (scalar narrowing per lane). */
@inline export function st2(o: usize, vStride: usize, a: v128): void {
  st1(o, f64x2.extract_lane(a, 0));
  st1(o + vStride, f64x2.extract_lane(a, 1));
}

/** Lane masks t >= n (the outgoing term exists) and t >= n − 1 (the window is full). */
@inline export function geMask(i: i32, nf: v128): v128 {
  return f64x2.ge(f64x2.splat(<f64>i), nf);
}

/** Index i − L clamped at 0 (the lane is masked where i < L). */
@inline export function back(p: usize, i: i32, L: i32): usize {
  return p + (<usize>max(i - L, 0) << 2);
}

/** NaN mask of each lane. */
@inline export function isnan2(v: v128): v128 {
  return f64x2.ne(v, v);
}

/** Two f32 values from two addresses, widened into one f64x2. */
@inline export function gather2(p0: usize, p1: usize): v128 {
  return f64x2.replace_lane(f64x2.splat(<f64>load<f32>(p0)), 1, <f64>load<f32>(p1));
}

/** f64x2 of two adjacent f64 cells. */
@inline export function ld2(p: usize): v128 {
  return v128.load(p);
}

/**
 * The outgoing terms src[i − w0], src[i − w1] | src[i − w2], src[i − w3] of a block whose windows
 * are consecutive (w1 = w0 + 1, w2 = w0 + 2, w3 = w0 + 3): one 16-byte load from src[i − w3] holds
 * all four, newest last. Returns lanes (w0, w1); `back2hi` gives (w2, w3) from the same load.
 */
@inline export function back2lo(q: v128): v128 {
  return f64x2.promote_low_f32x4(i8x16.shuffle(q, q, 12, 13, 14, 15, 8, 9, 10, 11, 0, 1, 2, 3, 0, 1, 2, 3));
}
@inline export function back2hi(q: v128): v128 {
  return f64x2.promote_low_f32x4(i8x16.shuffle(q, q, 4, 5, 6, 7, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3));
}

/** The outgoing terms src[i − w0], src[i − w1] (lanes A) of a block; when `consec`, from the one 16-byte load at src[i − w3]. */
@inline export function outgoingA(consec: bool, x: usize, i: i32, w0: i32, w1: i32, w3: i32): v128 {
  return consec ? back2lo(v128.load(x + (<usize>(i - w3) << 2))) : gather2(x + (<usize>(i - w0) << 2), x + (<usize>(i - w1) << 2));
}

/** The outgoing terms src[i − w2], src[i − w3] (lanes B) of a block; when `consec`, from the same 16-byte load. */
@inline export function outgoingB(consec: bool, x: usize, i: i32, w2: i32, w3: i32): v128 {
  return consec ? back2hi(v128.load(x + (<usize>(i - w3) << 2))) : gather2(x + (<usize>(i - w2) << 2), x + (<usize>(i - w3) << 2));
}

/**
 * Whether fl32(q), q = fl64(s · r) with r = fl64(1 / n), may differ from fl32(fl64(s / n)) in any of
 * the four lanes of qA | qB. q is within 3 binary64 ulps of the correctly rounded quotient, so both
 * narrow to the same float32 unless q lies within 4 ulps of a float32 rounding midpoint (its low 29
 * mantissa bits near 0x10000000). Quotients below the float32 normal range (where the midpoints
 * move) must be ruled out by the caller (`smallQuotient`). Callers divide exactly when a lane is
 * flagged: about 1% of the lanes for ttrc.csv's closes and windows 5 … 200, nearly all of them exact
 * ties (the mean of float32 prices on one grid is a midpoint for about one bar in n at an even n).
 * The low words of the four lanes, shifted left by 3, sit within 32 of 0x80000000 exactly when near,
 * that is when the word + 32 lies in [0x80000000, 0x80000040]: as a signed number, below
 * −2³¹ + 65. `MID_ADD` = splat(32) and `MID_LIM` = splat(0x80000041), passed in so that loops keep
 * them in registers (V8 rebuilds a v128 constant at every use inside a loop). A signed comparison
 * is one x86 instruction; the unsigned one V8 emulates with four.
 */
@inline export function nearMidpoint4(qA: v128, qB: v128, midAdd: v128, midLim: v128): v128 {
  const lo = i32x4.shl(i8x16.shuffle(qA, qB, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27), 3);
  return i32x4.lt_s(i32x4.add(lo, midAdd), midLim);
}
@inline export const MID_ADD: i32 = 32;
@inline export const MID_LIM: i32 = 0x80000041;

/** Lanes of q below 2^−125 in magnitude (zero included), where float32 rounding is not by midpoints of normal numbers. */
@inline export function smallQuotient(q: v128, absMask: v128, smallest: v128): v128 {
  return i64x2.lt_s(v128.and(q, absMask), smallest);
}

/**
 * Copies n bytes inside the memory (memory.copy): the host's copies of kernel state (a stream keeps
 * the state before its last bar) run at memmove speed instead of element by element through a
 * shared typed array.
 */
export function copy_bytes(dst: usize, src: usize, n: usize): void {
  memory.copy(dst, src, n);
}
