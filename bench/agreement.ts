/**
 * Agreement check, run before anything is timed: "speed without agreement is not a
 * win". gridta and the plain loops are compared with gridta's reference on the whole data set
 * (first, middle and last variant, every output). Peers are compared on a hole-free stretch of the
 * data after a settling period of 10 × the grid's largest window, so that seeding conventions
 * (SMA-seeded EMA, Wilder sums) have decayed; a relative difference above 1e-4 flags the row. How a
 * peer treats a missing bar (NaN) is checked separately, on a stretch around the first hole.
 * Backtests: the plain loop's metrics against engine.backtest's, every metric of every variant
 * within 1e-9 relative (NaN equal to NaN).
 */
import type { Candles } from '../src/candles/index.js';
import { METRIC_NAMES, type BacktestResult } from '../src/index.js';
import { registry, type SeriesInputs } from '../src/registry/index.js';
import type { BenchCase } from './cases.js';
import type { PeerAdapter, PeerCandles, PeerSeries } from './peers/types.js';

export const REL_TOLERANCE = 1e-4;
/** Bars compared after the settling period. */
export const COMPARE_BARS = 2000;

export interface Agreement {
  status: 'bit-identical' | 'agrees' | 'differs' | 'n/a';
  /** Largest |got − want| / max(|want|, floor) over the compared bars (floor: 1e-3 × the output's mean |want|). */
  maxRel: number;
  /** Bars where exactly one side is NaN. */
  nanMismatch: number;
  /** Values compared (bars × outputs × variants). */
  compared: number;
  /** Where maxRel was found. */
  worst?: { output: string; variant: Readonly<Record<string, number>>; bar: number; got: number; want: number };
  /** The known convention behind a difference (from the adapter). */
  convention?: string;
  /** How a peer treats a missing bar. */
  holes?: string;
  /** Why the check could not run, or what it ran on. */
  note?: string;
}

export const checkVariants = (c: BenchCase): number[] => [...new Set([0, Math.floor((c.variants - 1) / 2), c.variants - 1])];

/** The candle series of bars [a, b) as the reference and the peers read them. */
function sliceCandles(candles: Candles, a = 0, b = candles.t): SeriesInputs & PeerCandles {
  const s = (x: Float32Array | undefined) => x?.subarray(a, b);
  const close = candles.close.subarray(a, b);
  return { t: b - a, src: close, close, open: s(candles.open), high: s(candles.high), low: s(candles.low), volume: s(candles.volume) };
}

function reference(c: BenchCase, inp: SeriesInputs, v: number): Readonly<Record<string, Float32Array>> {
  const kernel = registry.get(c.id).kernel;
  if (!kernel) throw new Error(`${c.id} has no kernel (and so no reference binding)`);
  return kernel.reference(inp, c.params(v));
}

/** Peer series aligned to the end of a T-bar window (peers drop warm-up bars at the start); null/undefined → NaN. */
export function alignEnd(x: PeerSeries, T: number): Float64Array {
  const out = new Float64Array(T).fill(NaN);
  const off = T - x.length;
  for (let i = Math.max(0, -off); i < x.length; i++) {
    const v = x[i];
    out[i + off] = typeof v === 'number' ? v : NaN;
  }
  return out;
}

class Accumulator {
  maxRel = 0;
  nanMismatch = 0;
  compared = 0;
  bitIdentical = true;
  worst: Agreement['worst'];

  add(
    output: string,
    variant: Readonly<Record<string, number>>,
    got: ArrayLike<number>,
    want: Float32Array,
    from: number,
    to = want.length,
    barOffset = 0,
  ): void {
    let sum = 0,
      cnt = 0;
    for (let t = from; t < to; t++) {
      const w = want[t]!;
      if (w === w) {
        sum += Math.abs(w);
        cnt++;
      }
    }
    const floor = cnt > 0 && sum > 0 ? (1e-3 * sum) / cnt : 1e-12;
    for (let t = from; t < to; t++) {
      const g = got[t]!,
        w = want[t]!;
      this.compared++;
      if (g !== g || w !== w) {
        if ((g !== g) !== (w !== w)) {
          this.nanMismatch++;
          this.bitIdentical = false;
        }
        continue;
      }
      if (!Object.is(Math.fround(g), w) || Math.fround(g) !== g) this.bitIdentical = false;
      const rel = Math.abs(g - w) / Math.max(Math.abs(w), floor);
      if (rel > this.maxRel) {
        this.maxRel = rel;
        this.worst = { output, variant, bar: t + barOffset, got: g, want: w };
      }
    }
  }

  result(extra: Partial<Agreement> = {}): Agreement {
    const ok = this.maxRel <= REL_TOLERANCE && this.nanMismatch === 0;
    const status = this.compared === 0 ? 'n/a' : ok && this.bitIdentical ? 'bit-identical' : ok ? 'agrees' : 'differs';
    return { status, maxRel: this.maxRel, nanMismatch: this.nanMismatch, compared: this.compared, worst: this.worst, ...extra };
  }
}

/**
 * gridta or a plain loop against the reference on the whole data: `series(v, output)` returns
 * variant v of an output as T float32 values.
 */
export function checkFull(c: BenchCase, candles: Candles, series: (v: number, output: string) => Float32Array): Agreement {
  const inp = sliceCandles(candles);
  const acc = new Accumulator();
  for (const v of checkVariants(c)) {
    const want = reference(c, inp, v);
    for (const o of c.outputs) acc.add(o, c.params(v), series(v, o), want[o]!, 0);
  }
  return acc.result();
}

/** Variant v of output k from a TIME_MAJOR array of T·V values. */
export function column(values: Float32Array, T: number, V: number, v: number): Float32Array {
  const out = new Float32Array(T);
  for (let t = 0, i = v; t < T; t++, i += V) out[t] = values[i]!;
  return out;
}

/** Bars where every series the case reads is present. */
function wholeMask(inp: PeerCandles): Uint8Array {
  const m = new Uint8Array(inp.t);
  const all = [inp.close, inp.high, inp.low, inp.volume].filter((x): x is Float32Array => x !== undefined);
  for (let t = 0; t < inp.t; t++) {
    let ok = 1;
    for (const x of all)
      if (x[t] !== x[t]) {
        ok = 0;
        break;
      }
    m[t] = ok;
  }
  return m;
}

/** The first run of whole bars at least `len` long, else the longest run. */
function wholeRun(mask: Uint8Array, len: number): { start: number; end: number } {
  let best = { start: 0, end: 0 };
  let s = -1;
  for (let t = 0; t <= mask.length; t++) {
    if (t < mask.length && mask[t]) {
      if (s < 0) s = t;
      if (t + 1 - s >= len) return { start: s, end: s + len };
      continue;
    }
    if (s >= 0 && t - s > best.end - best.start) best = { start: s, end: t };
    s = -1;
  }
  return best;
}

/** The variants the agreement check runs for a peer: first, middle and last of those it supports. */
export function peerVariants(peer: PeerAdapter, c: BenchCase): number[] {
  const ok: number[] = [];
  for (let v = 0; v < c.variants; v++) if (!peer.unsupportedVariant?.(c.id, c.params(v))) ok.push(v);
  if (ok.length === 0) return [];
  return [...new Set([ok[0]!, ok[Math.floor((ok.length - 1) / 2)]!, ok[ok.length - 1]!])];
}

/** A peer against the reference (relative difference above 1e-4 flags it), plus how it treats a hole. */
export async function checkPeer(peer: PeerAdapter, c: BenchCase, candles: Candles): Promise<Agreement> {
  const variants = peerVariants(peer, c);
  if (variants.length === 0) return new Accumulator().result({ note: 'no supported variant' });
  const settle = 10 * c.largestWindow;
  const full = sliceCandles(candles);
  const mask = wholeMask(full);
  const run = wholeRun(mask, settle + COMPARE_BARS);
  const len = run.end - run.start;
  const acc = new Accumulator();
  let note: string | undefined;
  if (len <= settle + 10) {
    note = `no hole-free stretch of ${settle + 10} bars to settle over (longest: ${len})`;
  } else {
    const inp = sliceCandles(candles, run.start, run.end);
    const prepared = peer.prepare(inp);
    for (const v of variants) {
      const want = reference(c, inp, v);
      const got = peer.extract(c.id, await peer.run(c.id, c.params(v), prepared));
      for (const o of c.outputs) {
        const g = got[o];
        if (g) acc.add(o, c.params(v), alignEnd(g, len), want[o]!, settle, len, run.start);
      }
    }
    note = `bars ${run.start + settle}..${run.end - 1} after ${settle} settling bars`;
  }
  const holes = await holeBehaviour(peer, c, candles, mask, variants[Math.floor(variants.length / 2)]!, settle);
  const res = acc.result({ note, holes });
  if (res.status === 'bit-identical') res.status = 'agrees';
  if (res.status === 'differs') res.convention = peer.conventions?.[c.id];
  return res;
}

/** Runs the peer across the first hole and looks at the bars after the reference has settled again. */
async function holeBehaviour(
  peer: PeerAdapter,
  c: BenchCase,
  candles: Candles,
  mask: Uint8Array,
  v: number,
  settle: number,
): Promise<string | undefined> {
  let h = -1;
  for (let t = settle; t < mask.length; t++)
    if (!mask[t]) {
      h = t;
      break;
    }
  if (h < 0) return undefined;
  let e = h + 1;
  while (e < mask.length && !mask[e]) e++; // the hole's last missing bar + 1
  const a = Math.max(0, h - settle),
    b = Math.min(candles.t, e + settle + 500);
  if (b - e <= settle) return undefined;
  const inp = sliceCandles(candles, a, b);
  const want = reference(c, inp, v);
  const got = peer.extract(c.id, await peer.run(c.id, c.params(v), peer.prepare(inp)));
  const o = c.outputs.find((x) => got[x]) ?? c.outputs[0]!;
  const g = got[o];
  if (!g) return undefined;
  const aligned = alignEnd(g, b - a);
  const from = e - a + settle;
  let valid = 0,
    nan = 0;
  for (let t = from; t < b - a; t++) {
    if (want[o]![t] === want[o]![t]) {
      valid++;
      if (aligned[t] !== aligned[t]) nan++;
    }
  }
  if (valid === 0) return undefined;
  if (nan === valid) return 'NaN from the first missing bar on';
  const acc = new Accumulator();
  acc.add(o, c.params(v), aligned, want[o]!, from);
  return acc.nanMismatch === 0 && acc.maxRel <= REL_TOLERANCE
    ? 'recovers after a missing bar'
    : `differs after a missing bar (${acc.nanMismatch} NaN mismatches, max rel ${acc.maxRel.toExponential(1)})`;
}

/** Backtests: every metric of every variant within this relative difference (NaN equal to NaN). */
export const BACKTEST_REL_TOLERANCE = 1e-9;

export interface BacktestAgreement {
  status: 'agrees' | 'differs';
  /** Largest |plain − gridta| / max(|plain|, |gridta|) over the finite pairs. */
  maxRel: number;
  /** Metric values compared (variants × metrics). */
  compared: number;
  /** The first pair outside the tolerance (or where NaN, ±∞ or the variant set differ). */
  worst?: { metric: string; variant: Readonly<Record<string, number | string>>; plain: number; gridta: number };
  note?: string;
}

/** The plain loop's metrics against engine.backtest's `result.metrics`, variant by variant (matched by params). */
export function checkBacktest(
  plain: { readonly params: readonly Readonly<Record<string, number>>[]; readonly metrics: Readonly<Record<string, Float64Array>> },
  gridta: Pick<BacktestResult, 'variants' | 'metrics' | 'variantIndex'>,
  fixed: Readonly<Record<string, string>>,
): BacktestAgreement {
  if (plain.params.length !== gridta.variants) {
    return {
      status: 'differs',
      maxRel: Number.NaN,
      compared: 0,
      note: `the plain loop ran ${plain.params.length} variants, gridta ${gridta.variants}`,
    };
  }
  let maxRel = 0;
  let compared = 0;
  let worst: BacktestAgreement['worst'];
  for (let v = 0; v < plain.params.length; v++) {
    const params = { ...fixed, ...plain.params[v]! };
    const g = gridta.variantIndex(params);
    if (g < 0) return { status: 'differs', maxRel: Number.NaN, compared, note: `gridta has no variant ${JSON.stringify(params)}` };
    for (const m of METRIC_NAMES) {
      const a = plain.metrics[m]![v]!;
      const b = gridta.metrics[m][g]!;
      compared++;
      let rel: number;
      if (Number.isNaN(a) || Number.isNaN(b)) rel = Number.isNaN(a) && Number.isNaN(b) ? 0 : Number.POSITIVE_INFINITY;
      else if (!Number.isFinite(a) || !Number.isFinite(b)) rel = a === b ? 0 : Number.POSITIVE_INFINITY;
      else rel = a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
      if (rel > BACKTEST_REL_TOLERANCE && worst === undefined) worst = { metric: m, variant: params, plain: a, gridta: b };
      if (Number.isFinite(rel)) maxRel = Math.max(maxRel, rel);
    }
  }
  return worst ? { status: 'differs', maxRel, compared, worst } : { status: 'agrees', maxRel, compared };
}
