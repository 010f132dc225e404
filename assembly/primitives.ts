// Shared primitives (the algorithms of src/reference/primitives.ts) as per-step state machines, written once for two lanes
// (f64x2, SIMD build) and once for one lane (both builds). Each step performs, per variant, exactly
// the operations of the spec's algorithm in the same order, so lane results equal the scalar tail's
// and the TypeScript reference's bit for bit. Counters (k, z) are exact small integers held as f64.

// ---------------------------------------------------------------- EWMA: the first valid x seeds, NaN resets

/** y = isNaN(y) ? x : (a·x) + (b·y); a NaN x makes y NaN (reset). b = 1 − a. */
import { CANON_NAN, CHUNK, cell, narrowFinite, st1, store4 } from './lanes';

@inline export function ewma1(y: f64, x: f64, a: f64, b: f64): f64 {
  return y != y ? x : a * x + b * y;
}

/**
 * One step of TA-Lib's EMA (talib profile) at the c-th valid bar of a segment (c from 0), window w
 * (wf = w as f64), k = 2/(w+1): the first w values are summed from 0 in order, bar w − 1 takes their
 * mean (the seed), every later bar ((v − y)·k) + y. Returns the new state (the running sum while
 * seeding).
 */
@inline export function emaTalibStep(y: f64, v: f64, c: i32, w: i32, wf: f64, k: f64): f64 {
  if (c >= w) return (v - y) * k + y;
  const s = c == 0 ? 0.0 + v : y + v;
  return c == w - 1 ? s / wf : s;
}

/** emaTalibStep past the seed on two lanes: ((x − y)·k) + y, the same three roundings in this order. */
@inline export function emaTalib2(y: v128, x: v128, k: v128): v128 {
  return f64x2.add(f64x2.mul(f64x2.sub(x, y), k), y);
}

@inline export function ewma2(y: v128, x: v128, a: v128, b: v128): v128 {
  return v128.bitselect(x, blend2(a, x, b, y), f64x2.ne(y, y));
}

/**
 * The EWMA blend (a·x) + (b·y) on two lanes, without the NaN seeding of ewma2: for loops that know
 * the state is seeded. Two roundings in this order (no fused multiply-add), as the scalar step.
 */
@inline export function blend2(a: v128, x: v128, b: v128, y: v128): v128 {
  return f64x2.add(f64x2.mul(a, x), f64x2.mul(b, y));
}

// ---------------------------------------------------------------- ROLLSUM / ROLLVAR (incoming term added first)
// State per variant: S (sum), Q (sum of squares, ROLLVAR only), k (NaN terms in window), z (non-zero
// valid terms in window). `v` enters at t; `u` = x[t − n] leaves when t >= n.

/** Scalar ROLLSUM step; returns the window sum or NaN. State in scratch cells. */
@inline export function rollsumStep1(pS: usize, pk: usize, pz: usize, v: f64, u: f64, leaving: bool, valid: bool): f64 {
  let S = load<f64>(pS), k = load<f64>(pk), z = load<f64>(pz);
  if (v != v) k += 1.0; else { if (v != 0) z += 1.0; S = S + v; }
  if (leaving) {
    if (u != u) k -= 1.0; else { if (u != 0) z -= 1.0; S = S - u; }
  }
  if (z == 0) S = 0.0;
  store<f64>(pS, S); store<f64>(pk, k); store<f64>(pz, z);
  return (!valid || k > 0) ? NaN : S;
}

/**
 * Scalar step of TA-Lib's SMA sum (talib profile; src/reference/primitives.ts rollsumTalib) at bar i
 * over windows of w terms: a NaN v empties S and becomes the last NaN bar (cell pN); otherwise u =
 * x[i − w] is subtracted if it came after that bar, then v is added. Returns S, or NaN until the
 * window holds w terms after the last NaN.
 */
@inline export function rollsumTalibStep1(pS: usize, pN: usize, v: f64, u: f64, i: i32, w: i32): f64 {
  let S = load<f64>(pS), last = load<f64>(pN);
  if (v != v) {
    S = 0.0;
    last = <f64>i;
  } else {
    if (<f64>(i - w) > last) S = S - u;
    S = S + v;
  }
  store<f64>(pS, S); store<f64>(pN, last);
  return <f64>(i - w + 1) > last ? S : NaN;
}

/** Scalar ROLLVAR step; returns the clamped variance or NaN. */
@inline export function rollvarStep1(pS: usize, pQ: usize, pk: usize, pz: usize, v: f64, u: f64, leaving: bool, valid: bool, nf: f64): f64 {
  let S = load<f64>(pS), Q = load<f64>(pQ), k = load<f64>(pk), z = load<f64>(pz);
  if (v != v) k += 1.0; else { if (v != 0) z += 1.0; S = S + v; Q = Q + v * v; }
  if (leaving) {
    if (u != u) k -= 1.0; else { if (u != 0) z -= 1.0; S = S - u; Q = Q - u * u; }
  }
  if (z == 0) { S = 0.0; Q = 0.0; }
  store<f64>(pS, S); store<f64>(pQ, Q); store<f64>(pk, k); store<f64>(pz, z);
  if (!valid || k > 0) return NaN;
  const m = S / nf;
  let vr = Q / nf - m * m;
  if (vr < 0 && vr > -1e-12) vr = 0.0;
  return vr;
}

/** Mean from ROLLVAR state just updated (S is ROLLSUM's S bit for bit). */
@inline export function rollmeanFrom1(pS: usize, pk: usize, valid: bool, nf: f64): f64 {
  return (!valid || load<f64>(pk) > 0) ? NaN : load<f64>(pS) / nf;
}

// Two-lane versions. `leave` is the lane mask t >= n, `valid` the lane mask t >= n − 1.

@inline export function one2(): v128 { return f64x2.splat(1.0); }

/** Adds 1.0 to the lanes of c selected by mask m. */
@inline export function count2(c: v128, m: v128): v128 {
  return f64x2.add(c, v128.and(m, f64x2.splat(1.0)));
}
@inline export function uncount2(c: v128, m: v128): v128 {
  return f64x2.sub(c, v128.and(m, f64x2.splat(1.0)));
}

/** ROLLSUM step on lanes: returns the new [S, k, z] through the scratch cells (two f64 each). */
@inline export function rollsumStep2(pS: usize, pk: usize, pz: usize, v: v128, u: v128, leave: v128, valid: v128): v128 {
  let S = v128.load(pS), k = v128.load(pk), z = v128.load(pz);
  const vn = f64x2.ne(v, v);
  const zero = f64x2.splat(0.0);
  k = count2(k, vn);
  z = count2(z, v128.andnot(f64x2.ne(v, zero), vn));
  S = v128.bitselect(S, f64x2.add(S, v), vn);
  const un = f64x2.ne(u, u);
  const uOut = v128.andnot(leave, un);              // leaving and valid
  k = uncount2(k, v128.and(leave, un));
  z = uncount2(z, v128.and(uOut, f64x2.ne(u, zero)));
  S = v128.bitselect(f64x2.sub(S, u), S, uOut);
  S = v128.bitselect(zero, S, f64x2.eq(z, zero));
  v128.store(pS, S); v128.store(pk, k); v128.store(pz, z);
  return v128.bitselect(S, f64x2.splat(NaN), v128.andnot(valid, f64x2.gt(k, zero)));
}

/** ROLLVAR step on lanes; returns the clamped variance (NaN where invalid). */
@inline export function rollvarStep2(pS: usize, pQ: usize, pk: usize, pz: usize, v: v128, u: v128, leave: v128, valid: v128, nf: v128): v128 {
  let S = v128.load(pS), Q = v128.load(pQ), k = v128.load(pk), z = v128.load(pz);
  const vn = f64x2.ne(v, v);
  const zero = f64x2.splat(0.0);
  k = count2(k, vn);
  z = count2(z, v128.andnot(f64x2.ne(v, zero), vn));
  S = v128.bitselect(S, f64x2.add(S, v), vn);
  Q = v128.bitselect(Q, f64x2.add(Q, f64x2.mul(v, v)), vn);
  const un = f64x2.ne(u, u);
  const uOut = v128.andnot(leave, un);
  k = uncount2(k, v128.and(leave, un));
  z = uncount2(z, v128.and(uOut, f64x2.ne(u, zero)));
  S = v128.bitselect(f64x2.sub(S, u), S, uOut);
  Q = v128.bitselect(f64x2.sub(Q, f64x2.mul(u, u)), Q, uOut);
  const z0 = f64x2.eq(z, zero);
  S = v128.bitselect(zero, S, z0);
  Q = v128.bitselect(zero, Q, z0);
  v128.store(pS, S); v128.store(pQ, Q); v128.store(pk, k); v128.store(pz, z);
  const m = f64x2.div(S, nf);
  let vr = f64x2.sub(f64x2.div(Q, nf), f64x2.mul(m, m));
  const clamp = v128.and(f64x2.lt(vr, zero), f64x2.gt(vr, f64x2.splat(-1e-12)));
  vr = v128.bitselect(zero, vr, clamp);
  return v128.bitselect(vr, f64x2.splat(NaN), v128.andnot(valid, f64x2.gt(k, zero)));
}

@inline export function rollmeanFrom2(pS: usize, pk: usize, valid: v128, nf: v128): v128 {
  const ok = v128.andnot(valid, f64x2.gt(v128.load(pk), f64x2.splat(0.0)));
  return v128.bitselect(f64x2.div(v128.load(pS), nf), f64x2.splat(NaN), ok);
}

// ---------------------------------------------------------------- WMA (linear weights 1..n)
// State per variant: A (plain sum), B (weighted sum), k (NaN terms). For t < n the first-window
// accumulation runs (A += x, B += (t+1)·x, NaN counted); from t = n on, the incremental update.
// The output at t is B / D where t >= n − 1 and k == 0, else NaN. For n > T nothing is ever valid,
// as in the normative algorithm.

@inline export function wmaStep1(pA: usize, pB: usize, pk: usize, v: f64, u: f64, tf: f64, n: f64, D: f64, leaving: bool, valid: bool): f64 {
  let A = load<f64>(pA), B = load<f64>(pB), k = load<f64>(pk);
  if (!leaving) {
    if (v != v) k += 1.0; else { A = A + v; B = B + (tf + 1.0) * v; }
  } else {
    let vin = v, vout = u;
    if (vin != vin) { k += 1.0; vin = 0.0; }
    if (vout != vout) { k -= 1.0; vout = 0.0; }
    B = (B - A) + n * vin;
    A = (A - vout) + vin;
  }
  store<f64>(pA, A); store<f64>(pB, B); store<f64>(pk, k);
  return (valid && k == 0) ? B / D : NaN;
}

@inline export function wmaStep2(pA: usize, pB: usize, pk: usize, v: v128, u: v128, tf: v128, n: v128, D: v128, leave: v128, valid: v128): v128 {
  const A = v128.load(pA), B = v128.load(pB), k = v128.load(pk);
  const zero = f64x2.splat(0.0);
  const vn = f64x2.ne(v, v);
  const un = f64x2.ne(u, u);
  // first window
  const Ai = v128.bitselect(A, f64x2.add(A, v), vn);
  const Bi = v128.bitselect(B, f64x2.add(B, f64x2.mul(f64x2.add(tf, f64x2.splat(1.0)), v)), vn);
  // incremental update
  const vin = v128.bitselect(zero, v, vn);
  const vout = v128.bitselect(zero, u, un);
  const Bu = f64x2.add(f64x2.sub(B, A), f64x2.mul(n, vin));
  const Au = f64x2.add(f64x2.sub(A, vout), vin);
  const k1 = uncount2(count2(k, vn), v128.and(leave, un));
  const A1 = v128.bitselect(Au, Ai, leave);
  const B1 = v128.bitselect(Bu, Bi, leave);
  v128.store(pA, A1); v128.store(pB, B1); v128.store(pk, k1);
  const ok = v128.and(valid, f64x2.eq(k1, zero));
  return v128.bitselect(f64x2.div(B1, D), f64x2.splat(NaN), ok);
}

// ---------------------------------------------------------------- ROLLSUM / ROLLVAR over a shared series (volume, structure)
// When every lane of a call reads one series and only the window n differs per lane, the kernels
// keep just the sums per lane (S, and Q for ROLLVAR) and take the counters' tests from two ages of
// the series, computed once per bar for all lanes (exact integers held as f64):
//   ageNaN = t − (last NaN bar, −1 before the first):       k == 0 and t >= n − 1  <=>  ageNaN >= n
//   ageNZ  = t − (last valid non-zero bar, −2^30 before):   z == 0                 <=>  ageNZ  >= n
// NaN terms enter and leave the sums as +0.0, and a lane whose outgoing term does not exist yet
// (t < n) subtracts +0.0. That is exact: a sum starts at +0.0, is reset to +0.0, and a binary64 sum
// or difference is −0 only when its left operand already is, so S is never −0 and S + 0 = S − 0 = S.
// Each lane therefore performs the spec's additions and subtractions of valid terms in the spec's
// order, and its sums, resets and NaN outputs equal those of rollsum / rollvar (src/reference) bit for bit.

@inline export const NO_NZ: i32 = -0x40000000;

/** The outgoing term where t >= n (lane mask), +0.0 where it does not exist yet. */
@inline export function leaving2(u: v128, tf: v128, nf: v128): v128 {
  return v128.and(u, f64x2.ge(tf, nf));
}
@inline export function leaving1(u: f64, tf: f64, nf: f64): f64 {
  return tf >= nf ? u : 0.0;
}

/** +0.0 in the lanes whose window holds no valid non-zero term (ageNZ >= n), else the sum. */
@inline export function resetAged2(acc: v128, ageNZ: v128, nf: v128): v128 {
  return v128.andnot(acc, f64x2.ge(ageNZ, nf));
}
@inline export function resetAged1(acc: f64, ageNZ: f64, nf: f64): f64 {
  return ageNZ >= nf ? 0.0 : acc;
}

/** r where the window is full and NaN-free (ageNaN >= n), NaN elsewhere (lanes: the mask of st4masked). */
@inline export function validAged1(r: f64, ageNaN: f64, nf: f64): f64 {
  return ageNaN >= nf ? r : NaN;
}

/**
 * Stores four variants' values of one time step narrowed to float32, with the canonical NaN in the
 * lanes whose f64 mask (nanA: variants 0–1, nanB: variants 2–3) is set. The other lanes must not be
 * NaN: one select on the narrowed values then replaces both the guards' selects and st4's NaN test.
 */
@inline export function st4masked(o: usize, vStride: usize, a: v128, b: v128, nanA: v128, nanB: v128): void {
  const m = i8x16.shuffle(nanA, nanB, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  store4(o, vStride, v128.bitselect(i32x4.splat(CANON_NAN), narrowFinite(a, b), m));
}

// ---------------------------------------------------------------- shared-series rings (volume, structure)
// A series shared by every variant of a call (TP·volume, money flows, DIFF(AD)) is computed once per
// time chunk into a ring of f64, so the outgoing term x[t − n] is read back exactly as computed. The
// ring holds the whole series when T <= 4096, else 4096 slots >= CHUNK + 2000 (the registry's window
// bound), so no slot still needed is overwritten. The host sizes scratch with the same formula.

@inline export const RING_MAX: i32 = 4096;

/** Ring slots for a series of t bars: the next power of two >= t, at most RING_MAX. */
@inline export function ringSlots(t: i32): i32 {
  return t >= RING_MAX ? RING_MAX : (1 << (32 - clz(t - 1)));
}

/** Address of bar i's slot (any i, masked; callers mask out bars before the series start). */
@inline export function ringAt(ring: usize, mask: i32, i: i32): usize {
  return ring + (<usize>(i & mask) << 3);
}

/** Two lanes' outgoing terms from a shared ring: lane k reads bar i − w_k. */
@inline export function ringGather2(ring: usize, mask: i32, i: i32, w0: i32, w1: i32): v128 {
  return f64x2.replace_lane(f64x2.splat(load<f64>(ringAt(ring, mask, i - w0))), 1, load<f64>(ringAt(ring, mask, i - w1)));
}

// ---------------------------------------------------------------- two window sums over shared rings (structure.zscore, volume.mfi)
// One time chunk of a kernel whose variants differ only in the window n and keep two sums A and B
// (the shared-series ROLLSUM above) of terms read from rings: per bar, each sum adds its entering term,
// subtracts its leaving one (leaving2 / leaving1) and is reset by its non-zero age (resetAged2 /
// resetAged1); a finisher, chosen by the compile-time constant `fin`, then gives the output, NaN where
// the window is not full and NaN-free (ageNaN < n). Blocks of four variants (two f64x2 per sum) keep
// the sums in registers along the chunk; the variants left over (all of them in the scalar build) run
// the same operations one lane at a time. Scratch arrays (seedWindowSums): cA, cB the sums, cN the
// window as f64, cW as i32.
//   FIN_ZSCORE: A = ROLLSUM(x), B = ROLLSUM(x·x) of ring A's terms x (the square computed from the
//     entering and the leaving term, as ROLLVAR's Q), both reset by ageA (ROLLVAR resets S and Q
//     together; ringB and ageB are unused). m = A / n, V = (B / n) − (m·m) without
//     ROLLVAR's clamp of (−1e−12, 0) to 0: zscore = (x − m) / sqrt(V) is NaN for every V <= 0 (the guard
//     on V == 0, the sqrt of a negative), clamped or not, so the output is the same.
//   FIN_MFI: A = ROLLSUM(POS) of ring A reset by ageA, B = ROLLSUM(NEG) of ring B reset by ageB;
//     mfi = 100 where B == 0, else 100 − (100 / (1 + (A / B))).
// The lanes store through st4masked, whose mask holds every NaN output: on a valid window zscore is
// finite where V > 0 and mfi is a number.

@inline export const FIN_ZSCORE: i32 = 0;
@inline export const FIN_MFI: i32 = 1;

@inline function mfi1(sp: f64, sn: f64): f64 {
  return sn == 0 ? 100.0 : 100.0 - (100.0 / (1.0 + (sp / sn)));
}

@inline function mfi2(sp: v128, sn: v128): v128 {
  const r = f64x2.sub(f64x2.splat(100.0), f64x2.div(f64x2.splat(100.0), f64x2.add(one2(), f64x2.div(sp, sn))));
  return v128.bitselect(f64x2.splat(100.0), r, f64x2.eq(sn, f64x2.splat(0.0)));
}

@inline export function twoWindowSums(
  scratch: usize, n: i32, cA: i32, cB: i32, cN: i32, cW: i32, ringA: usize, ringB: usize, mask: i32,
  ageNaN: usize, ageA: usize, ageB: usize, out: usize, t0: i32, t1: i32, tStride: usize, vStride: usize, fin: i32,
): void {
  const zs = fin == FIN_ZSCORE;
  let full = 0;
  if (ASC_FEATURE_SIMD) {
    full = n & ~3;
    for (let j = 0; j < full; j += 4) {
      const nfA = v128.load(cell(scratch, n, cN, j)), nfB = v128.load(cell(scratch, n, cN, j + 2));
      const w0 = load<i32>(cell(scratch, n, cW, j)), w1 = load<i32>(cell(scratch, n, cW, j + 1));
      const w2 = load<i32>(cell(scratch, n, cW, j + 2)), w3 = load<i32>(cell(scratch, n, cW, j + 3));
      let aA = v128.load(cell(scratch, n, cA, j)), aB = v128.load(cell(scratch, n, cA, j + 2));
      let bA = v128.load(cell(scratch, n, cB, j)), bB = v128.load(cell(scratch, n, cB, j + 2));
      let o = out + <usize>j * vStride + <usize>t0 * tStride;
      let tf = f64x2.splat(<f64>t0);   // the bar index in f64 lanes, counted rather than converted
      for (let i = t0; i < t1; i++) {
        const at = <usize>(i - t0) << 3;
        const xs = load<f64>(ringAt(ringA, mask, i));
        const x = f64x2.splat(xs);
        const uA = leaving2(ringGather2(ringA, mask, i, w0, w1), tf, nfA), uB = leaving2(ringGather2(ringA, mask, i, w2, w3), tf, nfB);
        aA = f64x2.sub(f64x2.add(aA, x), uA); aB = f64x2.sub(f64x2.add(aB, x), uB);
        if (zs) {
          const xx = f64x2.splat(xs * xs);
          bA = f64x2.sub(f64x2.add(bA, xx), f64x2.mul(uA, uA)); bB = f64x2.sub(f64x2.add(bB, xx), f64x2.mul(uB, uB));
        } else {
          const y = f64x2.splat(load<f64>(ringAt(ringB, mask, i)));
          bA = f64x2.sub(f64x2.add(bA, y), leaving2(ringGather2(ringB, mask, i, w0, w1), tf, nfA));
          bB = f64x2.sub(f64x2.add(bB, y), leaving2(ringGather2(ringB, mask, i, w2, w3), tf, nfB));
        }
        const gA = f64x2.splat(load<f64>(ageA + at)), gB = zs ? gA : f64x2.splat(load<f64>(ageB + at));
        aA = resetAged2(aA, gA, nfA); aB = resetAged2(aB, gA, nfB);
        bA = resetAged2(bA, gB, nfA); bB = resetAged2(bB, gB, nfB);
        const aN = f64x2.splat(load<f64>(ageNaN + at));
        let nanA = f64x2.lt(aN, nfA), nanB = f64x2.lt(aN, nfB);
        let rA: v128, rB: v128;
        if (zs) {
          const mA = f64x2.div(aA, nfA), mB = f64x2.div(aB, nfB);
          const vrA = f64x2.sub(f64x2.div(bA, nfA), f64x2.mul(mA, mA)), vrB = f64x2.sub(f64x2.div(bB, nfB), f64x2.mul(mB, mB));
          rA = f64x2.div(f64x2.sub(x, mA), f64x2.sqrt(vrA)); rB = f64x2.div(f64x2.sub(x, mB), f64x2.sqrt(vrB));
          const zero = f64x2.splat(0.0);
          nanA = v128.or(nanA, f64x2.le(vrA, zero)); nanB = v128.or(nanB, f64x2.le(vrB, zero));
        } else {
          rA = mfi2(aA, bA); rB = mfi2(aB, bB);
        }
        st4masked(o, vStride, rA, rB, nanA, nanB);
        o += tStride;
        tf = f64x2.add(tf, one2());
      }
      v128.store(cell(scratch, n, cA, j), aA); v128.store(cell(scratch, n, cA, j + 2), aB);
      v128.store(cell(scratch, n, cB, j), bA); v128.store(cell(scratch, n, cB, j + 2), bB);
    }
  }
  for (let j = full; j < n; j++) {
    const nf = load<f64>(cell(scratch, n, cN, j));
    const w = load<i32>(cell(scratch, n, cW, j));
    let a = load<f64>(cell(scratch, n, cA, j)), b = load<f64>(cell(scratch, n, cB, j));
    let o = out + <usize>j * vStride + <usize>t0 * tStride;
    let tf = <f64>t0;
    for (let i = t0; i < t1; i++) {
      const at = <usize>(i - t0) << 3;
      const x = load<f64>(ringAt(ringA, mask, i));
      const u = leaving1(load<f64>(ringAt(ringA, mask, i - w)), tf, nf);
      a = (a + x) - u;
      if (zs) b = (b + x * x) - u * u;
      else b = (b + load<f64>(ringAt(ringB, mask, i))) - leaving1(load<f64>(ringAt(ringB, mask, i - w)), tf, nf);
      const gA = load<f64>(ageA + at);
      a = resetAged1(a, gA, nf);
      b = resetAged1(b, zs ? gA : load<f64>(ageB + at), nf);
      let r: f64;
      if (zs) {
        const m = a / nf;
        const vr = b / nf - m * m;
        r = vr <= 0 ? NaN : (x - m) / Math.sqrt(vr);
      } else {
        r = mfi1(a, b);
      }
      st1(o, validAged1(r, load<f64>(ageNaN + at), nf));
      o += tStride;
      tf += 1.0;
    }
    store<f64>(cell(scratch, n, cA, j), a); store<f64>(cell(scratch, n, cB, j), b);
  }
}

// ---------------------------------------------------------------- ROLLMAX / ROLLMIN / AGE_MAX / AGE_MIN deques (per-variant series: stoch_rsi)
// For a series of each variant's own (stoch_rsi's RSI), a monotone deque of bar indices per variant,
// O(1) amortised per bar; series shared by all variants use the tables below. The state is three i32
// at `st` (head, tail: monotone counters; last NaN bar, −1 before the first), the indices live in a
// ring of `histSlots(t)` i32 at `q`. A new value drops the queued values it beats: strictly for
// ROLLMAX / ROLLMIN (of equal values, −0 next to +0 included, the older stays in front, as the
// spec's oldest-first scan that replaces only on > / <), also equal ones for AGE_MAX / AGE_MIN (the
// newer stays, as the scan that replaces on ≥ / ≤). A NaN empties the deque: every window holding it
// is NaN and no later window reaches back past it. Values are read back from the series itself
// (`vmask` < 0: float32 input, widened) or from a per-variant f64 history ring (`vmask` = slots − 1).

@inline export const DQ_MAX: i32 = 0;
@inline export const DQ_MIN: i32 = 1;
@inline export const DQ_AGE_MAX: i32 = 2;
@inline export const DQ_AGE_MIN: i32 = 3;

/** Slots of a per-variant history ring (deque or f64 values) over t bars: the whole series when t <= 2048, else 2048 (> 2000 + 1, the window bound plus the bar being added). */
@inline export function histSlots(t: i32): i32 {
  return t >= 2048 ? 2048 : (1 << (32 - clz(t - 1)));
}

/** Value of bar idx: an f32 input series (vmask < 0) or an f64 history ring. */
@inline export function histValue(vals: usize, vmask: i32, idx: i32): f64 {
  return vmask < 0 ? <f64>load<f32>(vals + (<usize>idx << 2)) : load<f64>(vals + (<usize>(idx & vmask) << 3));
}

@inline export function dqReset(st: usize): void {
  store<i32>(st, 0);
  store<i32>(st, 0, 4);
  store<i32>(st, -1, 8);
}

/**
 * Feeds bar i (its value already readable through vals / vmask) to the deque of window w and returns
 * the bar index of the window's extreme, or −1 where the window is not full (i < w − 1) or holds a NaN.
 */
@inline export function dqStep(st: usize, q: usize, qmask: i32, vals: usize, vmask: i32, i: i32, w: i32, mode: i32): i32 {
  let head = load<i32>(st), tail = load<i32>(st, 4), last = load<i32>(st, 8);
  const v = histValue(vals, vmask, i);
  if (v != v) {
    head = tail;
    last = i;
  } else {
    while (tail != head) {
      const b = histValue(vals, vmask, load<i32>(q + (<usize>((tail - 1) & qmask) << 2)));
      const drop = mode == DQ_MAX ? b < v : mode == DQ_MIN ? b > v : mode == DQ_AGE_MAX ? b <= v : b >= v;
      if (!drop) break;
      tail--;
    }
    store<i32>(q + (<usize>(tail & qmask) << 2), i);
    tail++;
    if (load<i32>(q + (<usize>(head & qmask) << 2)) <= i - w) head++;
  }
  store<i32>(st, head);
  store<i32>(st, tail, 4);
  store<i32>(st, last, 8);
  return i - last >= w ? load<i32>(q + (<usize>(head & qmask) << 2)) : -1;
}

/** The extreme's value for an index from dqStep (NaN for −1). */
@inline export function dqValue(vals: usize, vmask: i32, idx: i32): f64 {
  return idx < 0 ? NaN : histValue(vals, vmask, idx);
}

/** Scratch addresses of per-variant structures laid out array-major like `cell`: deque state d of variant j (16 bytes each), */
@inline export function dqStateAt(base: usize, n: i32, d: i32, j: i32): usize {
  return base + ((<usize>d * <usize>n + <usize>j) << 4);
}
/** … ring d of `slots` i32 of variant j, */
@inline export function i32RingAt(base: usize, n: i32, slots: i32, d: i32, j: i32): usize {
  return base + (((<usize>d * <usize>n + <usize>j) * <usize>slots) << 2);
}
/** … and ring r of `slots` f64 of variant j. */
@inline export function f64RingAt(base: usize, n: i32, slots: i32, r: i32, j: i32): usize {
  return base + (((<usize>r * <usize>n + <usize>j) * <usize>slots) << 3);
}

// ---------------------------------------------------------------- ROLLMAX / ROLLMIN / AGE over a series shared by every variant (momentum, trend)
// When every variant of a call reads the same input series (high, low) and only the window differs,
// one table per series replaces the per-variant deques: level k holds, for bar i, the kept element of
// the 2^k bars ending at i, B_k[i] = comb(B_{k−1}[i − 2^(k−1)], B_{k−1}[i]), built once per bar for all
// variants (levels 0 … K, K = floor(log2 of the call's largest window) <= 10). The window of w bars
// ending at i is the union of the level-k blocks ending at i − w + 2^k and at i, k = floor(log2 w): two
// reads per variant and bar, no branches. comb(older, newer) takes the newer only when it is strictly
// greater (ROLLMAX) / smaller (ROLLMIN), or greater or equal (AGE_MAX) / smaller or equal (AGE_MIN):
// the kept element of a union of blocks (overlapping or not) is then the oldest (ROLLMAX / ROLLMIN) or
// newest (AGE) element of the window's extreme class, which is exactly the element the spec's scan
// keeps, −0 next to +0 included. Values are compared as float32: widening is exact and keeps
// the order, so the choices equal those of the binary64 comparisons. A block holding a NaN holds a
// meaningless element; every window holding a NaN is masked by the bar's NaN age (i − last NaN bar
// < w), and a NaN-free window only ever combines NaN-free blocks. Levels are rings of ringSlots(t)
// cells (4096 >= CHUNK + 2000), so a chunk's bars can be added before the windows reading 2000 bars
// back are queried. Layout of a table (XT_LEVELS levels): state (last NaN bar, i32, 16 bytes), NaN
// ages of the chunk's bars (CHUNK i32), value rings (f32), then for the AGE modes index rings (i32).

@inline export const XT_LEVELS: i32 = 11;   // 2^10 = 1024 <= 2000 < 2048

/** Bytes of one shared extreme table over t bars (the host's scratch formula mirrors this). */
@inline export function xtBytes(t: i32, ages: bool): usize {
  return (16 + (<usize>CHUNK << 2) + ((<usize>XT_LEVELS * <usize>ringSlots(t)) << (ages ? 3 : 2)) + 15) & ~15;
}

/** Levels a call needs: floor(log2(largest window)). */
@inline export function xtLevels(wmax: i32): i32 {
  return 31 - clz(wmax);
}

@inline function xtTakeNewer(a: f32, b: f32, mode: i32): bool {
  return mode == DQ_MAX ? b > a : mode == DQ_MIN ? b < a : mode == DQ_AGE_MAX ? b >= a : b <= a;
}

@inline export function xtReset(tab: usize): void {
  store<i32>(tab, -1);
}

/** Adds bars t0 … t1 − 1 of the f32 series x to levels 0 … K and records their NaN ages. */
@inline export function xtFill(tab: usize, slots: i32, K: i32, x: usize, t0: i32, t1: i32, mode: i32): void {
  const mask = slots - 1;
  const ages = tab + 16;
  const vals = ages + (<usize>CHUNK << 2);
  const idxs = vals + ((<usize>XT_LEVELS * <usize>slots) << 2);
  const age = mode == DQ_AGE_MAX || mode == DQ_AGE_MIN;
  let last = load<i32>(tab);
  for (let i = t0; i < t1; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v != v) last = i;
    store<i32>(ages + (<usize>(i - t0) << 2), i - last);
    const at = <usize>(i & mask) << 2;
    store<f32>(vals + at, v);
    if (age) store<i32>(idxs + at, i);
    let h = 1;
    for (let k = 1; k <= K; k++) {
      const lo = (<usize>(k - 1) * <usize>slots) << 2, hi = (<usize>k * <usize>slots) << 2;
      const ao = <usize>((i - h) & mask) << 2;
      const a = load<f32>(vals + lo + ao), b = load<f32>(vals + lo + at);
      const newer = xtTakeNewer(a, b, mode);
      store<f32>(vals + hi + at, newer ? b : a);
      if (age) store<i32>(idxs + hi + at, newer ? load<i32>(idxs + lo + at) : load<i32>(idxs + lo + ao));
      h <<= 1;
    }
  }
  store<i32>(tab, last);
}

/**
 * The window of w bars ending at bar i (t0 = the chunk start of the last fill): its extreme's value
 * (ROLLMAX / ROLLMIN) or age t − p (AGE), NaN where the window is not full or holds a NaN.
 * k = xtLevels(w), pk = 1 << k.
 */
@inline export function xtQuery(tab: usize, slots: i32, k: i32, pk: i32, i: i32, t0: i32, w: i32, mode: i32): f64 {
  const mask = slots - 1;
  const ages = tab + 16;
  const vals = ages + (<usize>CHUNK << 2);
  const lv = (<usize>k * <usize>slots) << 2;
  const ao = <usize>((i - w + pk) & mask) << 2, bo = <usize>(i & mask) << 2;
  const a = load<f32>(vals + lv + ao), b = load<f32>(vals + lv + bo);
  const newer = xtTakeNewer(a, b, mode);
  let r: f64;
  if (mode == DQ_AGE_MAX || mode == DQ_AGE_MIN) {
    const idxs = vals + ((<usize>XT_LEVELS * <usize>slots) << 2);
    r = <f64>(i - (newer ? load<i32>(idxs + lv + bo) : load<i32>(idxs + lv + ao)));
  } else {
    r = <f64>(newer ? b : a);
  }
  return load<i32>(ages + (<usize>(i - t0) << 2)) >= w ? r : NaN;
}

// ---- resume: momentum

/**
 * A shared extreme table for a call that resumes at bar g0 (docs/kernel-state.md). The table keeps
 * nothing between calls: it is rebuilt here from the h history bars before g0 (from bar
 * s = max(0, g0 − h)), one CHUNK at a time, x being the address of bar 0 of the series. The last NaN
 * bar starts at s − 1: a window of at most h + 1 bars ending at g0 or later then sees a NaN before s
 * as old as the window, as it is, so every query of the call gives the value of a table filled from
 * bar 0. `slots` must hold h bars more than the call's first chunk.
 */
@inline export function xtRebuild(tab: usize, slots: i32, K: i32, x: usize, g0: i32, h: i32, mode: i32): void {
  const s = max(0, g0 - h);
  store<i32>(tab, s - 1);
  for (let b = s; b < g0; b += CHUNK) xtFill(tab, slots, K, x, b, min(g0, b + CHUNK), mode);
}

/** A call's shared extreme table: rebuilt from the h bars before bar g0 when the call resumes (xtRebuild), else empty. */
@inline export function xtOpen(tab: usize, slots: i32, K: i32, x: usize, g0: i32, h: i32, mode: i32, resume: bool): void {
  if (resume) xtRebuild(tab, slots, K, x, g0, h, mode);
  else xtReset(tab);
}
